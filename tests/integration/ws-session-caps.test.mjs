// What one user can make the server hold: sessions in the reconnect grace,
// connections brought back by RESUME, rooms a session takes part in.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer({ args: ['--ws-grace-ms', '60000'] });
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

async function metric(name) {
  const text = (await api(srv, 'GET', '/metrics')).body;
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

test('a user who connects, watches and drops again and again holds at most 2 x 5 sessions', async () => {
  const token = tokenFor(app, 'churner');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
  const before = await metric('droponair_ws_sessions');
  for (let round = 0; round < 8; round++) {
    const conns = await Promise.all(Array.from({ length: 5 }, () => WsClient.connect(srv, token)));
    for (const c of conns) assert.equal((await c.request({ type: 'WATCH_ROOM', roomId })).ok, true);
    await Promise.all(conns.map((c) => c.terminate())); // no close frame: each goes into the grace
  }
  // 40 sessions were made; the grace (60 s) has not run out for any.
  const held = await metric('droponair_ws_sessions') - before;
  assert.ok(held <= 10, `the user holds ${held} sessions`);
  assert.ok(await metric('droponair_ws_sessions_evicted_total') >= 30);
  // The user can still connect and use the room.
  const c = await WsClient.connect(srv, token);
  assert.equal((await c.request({ type: 'WATCH_ROOM', roomId })).ok, true);
  await c.close();
});

test('RESUME respects the per-user connection cap', async () => {
  const token = tokenFor(app, 'resumer');
  const away = await WsClient.connect(srv, token);
  const resumeToken = away.resumeToken;
  await away.terminate(); // in the grace now
  const live = [];
  for (let i = 0; i < 5; i++) live.push(await WsClient.connect(srv, token));
  const extra = await WsClient.open(srv);
  const r = await extra.request({ type: 'RESUME', resumeToken, lastSeq: 0 });
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.equal(r.error.code, 'RATE_LIMITED');
  assert.equal((await extra.closed).code, 1008);
  // With a connection freed, the same session resumes.
  await live.pop().close();
  const back = await WsClient.open(srv);
  const ok = await back.request({ type: 'RESUME', resumeToken, lastSeq: 0 });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  for (const c of [...live, back]) await c.close();
});

test('a connection can take part in rooms one after another without limit', async () => {
  const token = tokenFor(app, 'roamer');
  const c = await WsClient.connect(srv, token);
  for (let i = 0; i < 70; i++) {
    const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
    const j = await c.request({ type: 'JOIN_ROOM', roomId });
    assert.equal(j.status, 'JOINED', `room ${i}: ${JSON.stringify(j)}`);
    assert.equal((await c.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId, groupId: '' })).ok, true);
  }
  await c.close();
});
