// Must NOT compile: on() with an event name the SDK does not deliver (TS2769).
import { DropOnAirClient } from '../../sdk/js/index.js';
declare const client: DropOnAirClient;
client.on('GROUP_CALL_PARTICPANT_JOINED', (ev) => console.log(ev));
