// Limits: a client that stops reading is dropped; oversized frames; the
// command rate limit; connections per user. Other clients carry on.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app, owner;
before(async () => {
  srv = await startServer({ args: ['--ws-queue-max', '262144', '--ws-rate', '5000', '--ws-burst', '5000'] });
  app = createApp(srv.db, 'business');
  owner = tokenFor(app, 'hank');
});
after(async () => { await srv.stop(); });

async function metric(name) {
  const m = (await api(srv, 'GET', '/metrics')).body;
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(m)[1]);
}

test('a slow reader is disconnected; the sender and others are unaffected', async () => {
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: owner, body: {} })).body.roomId;
  const sender = await WsClient.connect(srv, owner);
  const slow = await WsClient.connect(srv, tokenFor(app, 'slow'));
  const j = await sender.request({ type: 'JOIN_ROOM', roomId });
  await slow.request({ type: 'JOIN_ROOM', roomId });
  slow.ws._socket.pause(); // stops reading; the kernel buffers fill, then the server queue
  const payload = 'x'.repeat(16 * 1024);
  let i = 0;
  const closed = slow.closed.then(() => true);
  let done = false;
  closed.then(() => { done = true; });
  // Bounded: at most 2,000 x 16 KiB, stopping as soon as the server reports the drop.
  while (!done && i < 2000) {
    const r = await sender.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_ICE_CANDIDATE', callId: j.callId, groupId: '', to: 'slow', payload });
    if (!r.ok) break;
    i++;
    if (i % 50 === 0 && await metric('droponair_ws_slow_readers_total') > 0) break;
    await new Promise((res) => setTimeout(res, 2)); // stay under the rate limit
  }
  assert.ok(await metric('droponair_ws_slow_readers_total') >= 1, `sent ${i} without a drop`);
  assert.equal((await sender.request({ type: 'PING' })).ok, true);
  slow.ws._socket.resume();
  await slow.closed;
  await sender.close();
});

test('a reader that never reads again (TCP window full) is cut: others see it reconnecting', async () => {
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: owner, body: {} })).body.roomId;
  const sender = await WsClient.connect(srv, owner);
  const stuck = await WsClient.connect(srv, tokenFor(app, 'stuck'));
  const j = await sender.request({ type: 'JOIN_ROOM', roomId });
  await stuck.request({ type: 'JOIN_ROOM', roomId });
  await sender.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'stuck');
  stuck.ws._socket.pause(); // never resumed while the server decides
  const before = await metric('droponair_ws_slow_readers_total');
  const payload = 'z'.repeat(32 * 1024);
  let gone = false;
  sender.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTING', (e) => e.userId === 'stuck', 60000).then(() => { gone = true; });
  // Paced so the server keeps up: the kernel's buffers (the peer's receive
  // window) fill first, then the server's queue, so the close is requested
  // while the socket cannot take a byte. Bounded: at most 3,000 x 32 KiB.
  for (let i = 0; i < 3000 && !gone; i++) {
    const r = await sender.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_ICE_CANDIDATE', callId: j.callId, groupId: '', to: 'stuck', payload });
    if (!r.ok) break;
    if (i % 10 === 0 && await metric('droponair_ws_slow_readers_total') > before) break;
    await new Promise((res) => setTimeout(res, 4));
  }
  // The close frame cannot be written into a full window: the server cuts
  // the connection anyway, and the peer sees the participant reconnecting.
  const rec = await sender.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTING', (e) => e.userId === 'stuck', 15000);
  assert.equal(rec.callId, j.callId);
  assert.equal((await sender.request({ type: 'PING' })).ok, true);
  stuck.ws._socket.resume();
  await stuck.closed;
  await sender.close();
});

test('a frame over 64 KiB closes the connection with 1009', async () => {
  const c = await WsClient.connect(srv, owner);
  c.sendRaw(JSON.stringify({ id: 1, type: 'PING', pad: 'y'.repeat(70 * 1024) }));
  const { code } = await c.closed;
  assert.equal(code, 1009);
  const other = await WsClient.connect(srv, owner);
  assert.equal((await other.request({ type: 'PING' })).ok, true);
  await other.close();
});

test('commands beyond the default rate (200/s, bursts of 1,000) get RATE_LIMITED', async () => {
  const own = await startServer();
  try {
    const a = createApp(own.db, 'pro');
    const c = await WsClient.connect(own, tokenFor(a, 'fast'));
    const replies = await Promise.all(Array.from({ length: 1500 }, () => c.request({ type: 'PING' }, 20000)));
    const limited = replies.filter((r) => !r.ok);
    assert.ok(limited.length >= 300, `${limited.length} limited`);
    assert.ok(limited.every((r) => r.error.code === 'RATE_LIMITED'));
    assert.ok(replies.filter((r) => r.ok).length >= 1000);
    await c.close();
  } finally {
    await own.stop();
  }
});

test('at most 5 connections per user', async () => {
  const token = tokenFor(app, 'many');
  const ok = [];
  for (let i = 0; i < 5; i++) ok.push(await WsClient.connect(srv, token));
  const sixth = await WsClient.open(srv);
  const r = await sixth.request({ type: 'AUTH', token });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'RATE_LIMITED');
  await sixth.closed;
  await ok[0].close();
  const again = await WsClient.open(srv);
  let r2;
  for (let k = 0; k < 50; k++) { // the closed one is uncounted once the server saw it close
    r2 = await again.request({ type: 'AUTH', token });
    if (r2.ok) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(r2.ok, true);
  for (const c of [...ok.slice(1), again]) await c.close();
});
