// Must NOT compile: a field used with the wrong type (TS2322).
import { DropOnAirClient } from '../../sdk/js/index.js';
declare const client: DropOnAirClient;
client.onGroupCallEvent((ev) => {
  if (ev.type === 'GROUP_CALL_PARTICIPANT_JOINED') {
    const n: number = ev.userId;
    void n;
  }
});
