// A JS SDK client driven by the Android SDK's interop test (InteropTest.java)
// over stdin/stdout, one JSON object per line. It uses sdk/js as an app
// would, on the `ws` package with every frame received checked against
// protocol/droponair.v1.json (CheckedWebSocket).
//
//   node js-peer.mjs URL TOKEN
// stdin:  {"cmd":"join","roomId"} | {"cmd":"signal","type","callId","to","payload"}
//         | {"cmd":"leave","roomId"} | {"cmd":"quit"}
// stdout: {"reply":"join","callId","status"} | {"reply":"signal","ok"}
//         | {"event":{...}} for every group-call event | {"error":"..."}
import { createInterface } from 'node:readline';
import { CheckedWebSocket } from '../../../../../tests/integration/helpers.mjs';
import { DropOnAirClient } from '../../../../js/src/index.js';

const [url, token] = process.argv.slice(2);
const client = new DropOnAirClient({ baseUrl: url, token, WebSocket: CheckedWebSocket });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
client.onGroupCallEvent((event) => out({ event }));

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let m;
  try {
    m = JSON.parse(line);
    if (m.cmd === 'join') {
      const r = await client.joinRoom(m.roomId);
      out({ reply: 'join', callId: client.lastJoin.callId || null, status: client.lastJoin.status, r });
    } else if (m.cmd === 'signal') {
      const r = await client.sendGroupCallSignal(m.type, m.callId, '', m.to, m.payload);
      out({ reply: 'signal', ok: r.ok, code: r.ok ? null : r.error.code });
    } else if (m.cmd === 'leave') {
      await client.leaveCall(m.roomId);
      out({ reply: 'leave' });
    } else if (m.cmd === 'quit') {
      client.close();
      rl.close();
      process.stdin.destroy();
    }
  } catch (err) {
    out({ error: `${err.code || ''} ${err.message}` });
  }
});
rl.on('close', () => { client.close(); });
