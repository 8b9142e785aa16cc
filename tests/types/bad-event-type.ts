// Must NOT compile: a misspelt event type (TS2367).
import { DropOnAirClient } from '../../sdk/js/index.js';
declare const client: DropOnAirClient;
client.onGroupCallEvent((ev) => {
  if (ev.type === 'GROUP_CALL_PARTICPANT_JOINED') console.log(ev);
});
