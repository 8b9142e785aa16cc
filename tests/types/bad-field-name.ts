// Must NOT compile: a misspelt field (TS2551).
import { DropOnAirClient } from '../../sdk/js/index.js';
declare const client: DropOnAirClient;
client.onGroupCallEvent((ev) => {
  if (ev.type === 'GROUP_CALL_PARTICIPANT_JOINED') console.log(ev.usrId);
});
