// The C SDK's example (dpa-join) joins a room and exchanges signals with a
// JS SDK client.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { CheckedWebSocket as WebSocket } from '../integration/helpers.mjs';
import { DropOnAirClient } from '../../sdk/js/src/index.js';
import { BIN, createApp, startServer, tokenFor } from '../integration/helpers.mjs';

const DPA_JOIN = process.env.DPA_JOIN || join(dirname(BIN), 'dpa-join');
let srv, app;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

test('a C client offers, a JS client answers', async () => {
  const js = new DropOnAirClient({ baseUrl: srv.url, token: tokenFor(app, 'jess'), WebSocket });
  const room = await js.createRoom({ name: 'interop' });
  const callId = await js.joinRoom(room.roomId);
  const gotOffer = new Promise((resolve) => js.onGroupCallEvent((ev) => {
    if (ev.type === 'GROUP_CALL_SDP_OFFER') {
      js.sendGroupCallSignal('GROUP_CALL_SDP_ANSWER', ev.callId, '', ev.from, { type: 'answer', sdp: 'v=0 from js' });
      resolve(ev);
    }
  }));
  const c = spawn(DPA_JOIN, ['--url', srv.url, '--token', tokenFor(app, 'carl'), '--room', room.roomId,
    '--offer-to', 'jess', '--exit-on-answer', '--seconds', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d) => { out += d; });
  c.stderr.on('data', (d) => { err += d; });
  const code = await new Promise((resolve) => c.on('exit', resolve));
  assert.equal(code, 0, `dpa-join exited ${code}\n${out}\n${err}`);
  const offer = await gotOffer;
  assert.equal(offer.from, 'carl');
  assert.equal(offer.callId, callId);
  assert.equal(offer.payload.type, 'offer');
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].reply.status, 'JOINED');
  assert.equal(lines[0].reply.callId, callId);
  const answer = lines.find((l) => l.type === 'GROUP_CALL_SDP_ANSWER');
  assert.deepEqual(answer.payload, { type: 'answer', sdp: 'v=0 from js' });
  assert.equal(answer.from, 'jess');
  js.close();
});
