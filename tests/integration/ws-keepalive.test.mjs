// Keep-alive: the server pings silent WebSockets and cuts those that stay
// silent (no pong) or never authenticate, so dead peers do not keep their place.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer({ args: ['--ws-ping-s', '1', '--ws-idle-s', '3', '--ws-grace-ms', '20000'] });
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

test('a silent client that answers pings stays; one that does not is cut and seen as reconnecting', async () => {
  const token = tokenFor(app, 'host');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
  const alive = await WsClient.connect(srv, token);
  let pings = 0;
  alive.ws.on('ping', () => { pings++; });
  const j = await alive.request({ type: 'JOIN_ROOM', roomId });
  const dead = await WsClient.connect(srv, tokenFor(app, 'dead'));
  await dead.request({ type: 'JOIN_ROOM', roomId });
  await alive.waitEvent('GROUP_CALL_PARTICIPANT_JOINED');
  dead.ws._socket.pause(); // reads nothing: pings go unanswered
  const rec = await alive.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTING', (e) => e.userId === 'dead', 10000);
  assert.equal(rec.callId, j.callId);
  await sleep(1500);
  assert.ok(pings >= 2, `alive saw ${pings} pings`);
  // The answering client is still served after more than --ws-idle-s of silence from it.
  assert.equal((await alive.request({ type: 'PING' })).pong, true);
  dead.ws._socket.resume();
  await dead.closed;
  await alive.close();
});

test('a connection that does not authenticate within 5 s is closed', async () => {
  const c = await WsClient.open(srv);
  const t0 = Date.now();
  await c.closed;
  const ms = Date.now() - t0;
  assert.ok(ms >= 4000 && ms < 15000, `closed after ${ms} ms`);
});
