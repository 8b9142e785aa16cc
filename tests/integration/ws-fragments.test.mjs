// Commands split over several WebSocket fragments behave like whole frames,
// including RESUME, which swaps the session under the connection.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer({ args: ['--ws-grace-ms', '3000'] });
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

// Sends text as n fragments (a text frame with fin=false, continuations after).
function sendFragments(c, text, n) {
  const size = Math.ceil(text.length / n);
  for (let i = 0; i < n; i++) {
    const part = text.slice(i * size, (i + 1) * size);
    c.ws.send(part, { fin: i === n - 1, binary: false });
  }
}

// Sends cmd (with an id) in n fragments and resolves with its reply.
function requestFragmented(c, cmd, n) {
  const id = c.nextId++;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no reply to ${cmd.type}`)), 5000);
    c.pending.set(id, (m) => { clearTimeout(t); resolve(m); });
    sendFragments(c, JSON.stringify({ id, ...cmd }), n);
  });
}

test('RESUME in three fragments takes over the session; the server stays up', async () => {
  const token = tokenFor(app, 'frag');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
  const first = await WsClient.connect(srv, token);
  const j = await first.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(j.status, 'JOINED');

  for (let round = 0; round < 3; round++) {
    const next = await WsClient.open(srv);
    const cur = round === 0 ? first : next;
    const r = await requestFragmented(next, { type: 'RESUME', resumeToken: first.resumeToken, lastSeq: 0 }, 3);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.userId, 'frag');
    // The session goes on over the new connection: a fragmented command works too.
    const p = await requestFragmented(next, { type: 'PING' }, 4);
    assert.equal(p.pong, true);
    assert.ok(cur);
  }
  const room = await api(srv, 'GET', `/api/rooms/${roomId}`, { token });
  assert.equal(room.status, 200);
  assert.equal(room.body.call.participantCount, 1);
  assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
});

test('a fragmented AUTH and a fragmented JOIN work; an over-long fragmented message is closed with 1009', async () => {
  const token = tokenFor(app, 'pieces');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
  const c = await WsClient.open(srv);
  const a = await requestFragmented(c, { type: 'AUTH', token }, 5);
  assert.equal(a.ok, true, JSON.stringify(a));
  const j = await requestFragmented(c, { type: 'JOIN_ROOM', roomId }, 2);
  assert.equal(j.status, 'JOINED');

  const big = JSON.stringify({ id: 99, type: 'PING', pad: 'x'.repeat(80 * 1024) });
  sendFragments(c, big, 8);
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
  assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
});

test('RESUME takes over a session whose old connection the server is closing', async () => {
  const token = tokenFor(app, 'closing');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
  const old = await WsClient.connect(srv, token);
  const j = await old.request({ type: 'JOIN_ROOM', roomId });
  const bob = await WsClient.connect(srv, tokenFor(app, 'bob-c'));
  await bob.request({ type: 'JOIN_ROOM', roomId });
  await old.waitEvent('GROUP_CALL_PARTICIPANT_JOINED');
  const lastSeq = old.lastSeq();
  // Too large: the server starts closing (1009); the old client never reads
  // its close frame, so the connection lingers while the session moves.
  old.sendRaw(JSON.stringify({ id: 99, type: 'PING', pad: 'x'.repeat(70 * 1024) }));
  old.ws._socket.pause();
  const next = await WsClient.open(srv);
  const r = await next.request({ type: 'RESUME', resumeToken: old.resumeToken, lastSeq });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal((await next.request({ type: 'PING' })).pong, true);
  await bob.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_ICE_CANDIDATE', callId: j.callId, groupId: '', to: 'closing', payload: 'after-resume' });
  const ev = await next.waitEvent('GROUP_CALL_ICE_CANDIDATE');
  assert.equal(ev.payload, 'after-resume');
  old.ws._socket.resume();
  old.terminate();
  for (const c of [next, bob]) await c.close();
});
