// A small app against the installed package: tests/types/package.py packs
// sdk/js, installs the tarball into a scratch project next to this file and
// compiles it with tsc --strict. Each @ts-expect-error line must fail to
// compile (an unused one is itself an error).
import { DropOnAirClient, DropOnAirError, VERSION } from '@droponair/sdk';
import type { CallRoster, DropOnAirEvent, EventMap, JoinResult, Participant } from '@droponair/sdk';
import { MeshCall } from '@droponair/sdk/webrtc';

const version: '0.14.0' = VERSION;
const client = new DropOnAirClient({ baseUrl: 'http://127.0.0.1:8080', getToken: () => 'a JWT' });

// Events: the name picks the handler's type.
const names = new Map<string, string>();
client.on('GROUP_CALL_PARTICIPANT_JOINED', (ev) => { names.set(ev.userId, ev.name); });
client.on('GROUP_CALL_PARTICIPANT_LEFT', (ev) => {
  const reason: 'LEFT' | 'DISCONNECTED' | 'REMOVED' | 'REPLACED' = ev.reason;
  console.log(`${names.get(ev.userId) ?? ev.userId} left (${reason})`);
});
client.on('SDK_REJOINED', (ev) => {
  if (ev.status === 'ERROR') console.log(ev.error?.code);
  else console.log(`rejoined ${ev.roomId}: ${ev.status}, call ${ev.callId ?? 'none'}`);
});
client.on('SDK_CONNECTION_STATE', (ev) => { document.title = ev.state; });
// @ts-expect-error: a misspelt event name does not compile
client.on('GROUP_CALL_PARTICPANT_JOINED', () => {});
// @ts-expect-error: nor does a field the event does not have
client.on('GROUP_CALL_WAITING', (ev) => console.log(ev.usrId));

function describe(ev: DropOnAirEvent): string {
  switch (ev.type) {
    case 'GROUP_CALL_MEDIA_STATE': return `${ev.userId}: audio ${ev.audio}, video ${ev.video}`;
    case 'GROUP_CALL_ENDED': return `ended (${ev.reason})`;
    case 'SDK_CONNECTION_STATE': return `connection ${ev.state}`;
    default: return ev.type;
  }
}
const offAll = client.on('*', (ev) => console.log(describe(ev)));
const admitted: EventMap['GROUP_CALL_ADMITTED']['participants'] = [];

// Joining: the typed result, and the product page's string.
async function enter(roomId: string): Promise<string> {
  let r: JoinResult;
  try {
    r = await client.join(roomId);
  } catch (err) {
    if (err instanceof DropOnAirError && err.code === 'ROOM_FULL') return `full (${err.limitSource ?? '?'})`;
    throw err;
  }
  switch (r.status) {
    case 'JOINED': {
      const everyone: Participant[] = r.participants;
      const roster: CallRoster | null = client.getCall(roomId);
      const mesh = new MeshCall(client, { roomId, onRemoteStream: (userId, stream) => console.log(userId, stream.id) });
      mesh.start();
      return `${r.callId}: ${everyone.length} in, roster ${roster?.status}`;
    }
    case 'WAITING_ROOM_PENDING':
      return `waiting at ${r.position}`;
    case 'HOST_REQUIRED':
    case 'ROOM_CLOSED':
      // @ts-expect-error: only JOINED has a callId
      return r.callId;
    default: {
      const unreachable: never = r;
      return unreachable;
    }
  }
}

const callId: string = await client.joinRoom('rm_2f0Nq8yQ3kHc1xT9bL4wZa');
// @ts-expect-error: joinRoom resolves to a string, not the result object
console.log(callId.status);
console.log(version, await enter('rm_2f0Nq8yQ3kHc1xT9bL4wZa'), admitted.length);
offAll();
client.close();
