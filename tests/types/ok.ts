// Compiles under tsc --strict: the SDK's event types narrow on `type`.
import { DropOnAirClient } from '../../sdk/js/index.js';
import type { GroupCallEvent, Participant, Protocol } from '../../sdk/js/index.js';

declare const client: DropOnAirClient;

client.onGroupCallEvent((ev: GroupCallEvent) => {
  switch (ev.type) {
    case 'GROUP_CALL_PARTICIPANT_JOINED': {
      const who: string = ev.userId;
      const role: 'HOST' | 'CO_HOST' | 'PARTICIPANT' = ev.role;
      void who; void role;
      break;
    }
    case 'GROUP_CALL_ADMITTED': {
      const urls: string[] = ev.iceServers.flatMap((s) => s.urls);
      const first: Participant | undefined = ev.participants[0];
      void urls; void first;
      break;
    }
    case 'GROUP_CALL_SDP_OFFER': {
      const from: string = ev.from;
      const payload: unknown = ev.payload;
      void from; void payload;
      break;
    }
    case 'ROOM_UPDATED': {
      const version: number = ev.room.version;
      void version;
      break;
    }
    case 'SDK_REJOINED': {
      const callId: string | null = ev.callId;
      void callId;
      break;
    }
    default: {
      const seq: number = ev.seq;
      void seq;
    }
  }
});

// The hand-written REST shapes and the protocol's are the same shapes.
const p1: Participant = {} as Protocol.Participant;
const p2: Protocol.Participant = {} as Participant;
void p1; void p2;

// A reply is typed by its command.
declare const joined: Protocol.Commands['JOIN_ROOM']['reply'];
if (joined.status === 'JOINED') {
  const n: number = joined.participants.length;
  void n;
} else if (joined.status === 'WAITING_ROOM_PENDING') {
  const pos: number = joined.position;
  void pos;
}

// on(name, handler): the handler gets that event's shape; '*' gets them all.
client.on('GROUP_CALL_WAITING', (ev) => {
  const position: number = ev.position;
  void position;
});
client.on('SDK_CONNECTION_STATE', (ev) => {
  const state: 'connecting' | 'open' | 'reconnecting' | 'closed' = ev.state;
  void state;
});
const off: () => void = client.on('*', (ev) => {
  if (ev.type === 'SDK_REJOINED' && ev.status === 'ERROR') console.log(ev.error?.code);
});
off();

// join(): the outcome, narrowed by status.
const result = await client.join('rm_x');
switch (result.status) {
  case 'JOINED': { const id: string = result.callId; void id; break; }
  case 'WAITING_ROOM_PENDING': { const pos: number = result.position; void pos; break; }
  default: { const s: 'HOST_REQUIRED' | 'ROOM_CLOSED' = result.status; void s; }
}
