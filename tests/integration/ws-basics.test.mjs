// WebSocket basics: the ways to authenticate, bad frames, unauthenticated commands.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, sign, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app, alice;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  alice = tokenFor(app, 'alice', { name: 'Alice' });
});
after(async () => { await srv.stop(); });

test('AUTH as the first frame returns userId and a resume token', async () => {
  const c = await WsClient.open(srv);
  assert.equal(c.ws.protocol, 'droponair.v1');
  const r = await c.request({ type: 'AUTH', token: alice });
  assert.deepEqual(Object.keys(r).sort(), ['id', 'ok', 'resumeToken', 'userId']);
  assert.equal(r.ok, true);
  assert.equal(r.userId, 'alice');
  assert.match(r.resumeToken, /^rt_/);
  const p = await c.request({ type: 'PING' });
  assert.equal(p.pong, true);
  await c.close();
});

test('Authorization header and ?token= get a SESSION frame first', async () => {
  for (const opts of [{ token: alice }, { query: `?token=${alice}` }]) {
    const c = await WsClient.open(srv, opts);
    const ev = await c.waitEvent('SESSION');
    assert.equal(ev.userId, 'alice');
    assert.match(ev.resumeToken, /^rt_/);
    assert.equal(c.frames[0].type, 'SESSION');
    await c.close();
  }
});

test('a bad header token gets an ERROR frame and a close', async () => {
  const c = await WsClient.open(srv, { token: 'nope.nope.nope' });
  const ev = await c.waitEvent('ERROR');
  assert.equal(ev.error.code, 'UNAUTHORIZED');
  const { code } = await c.closed;
  assert.equal(code, 1008);
});

test('a client offering no subprotocol is served the same protocol', async () => {
  const c = await WsClient.open(srv, { protocol: null });
  const r = await c.request({ type: 'AUTH', token: alice });
  assert.equal(r.ok, true);
  await c.close();
});

test('commands before AUTH are UNAUTHORIZED; bad tokens too', async () => {
  const c = await WsClient.open(srv);
  const r = await c.request({ type: 'JOIN_ROOM', roomId: 'rm_x' });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'UNAUTHORIZED');
  const now = Math.floor(Date.now() / 1000);
  const expired = sign({ sub: 'alice', exp: now - 3600 }, app.secret, { kid: app.kid });
  const a = await c.request({ type: 'AUTH', token: expired });
  assert.equal(a.ok, false);
  assert.equal(a.error.code, 'UNAUTHORIZED');
  await c.close();
});

test('garbage frames get BAD_REQUEST and the connection goes on', async () => {
  const c = await WsClient.connect(srv, alice);
  c.sendRaw('not json');
  c.sendRaw('[1,2]');
  c.sendRaw('{"id":99}');
  c.sendRaw('{"id":98,"type":"FLY"}');
  c.sendRaw('{"id":97,"type":"JOIN_ROOM"}');
  c.sendRaw('{"id":96,"type":"JOIN_ROOM","roomId":7}');
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await sleep(300);
  const errors = c.frames.filter((f) => f.ok === false);
  assert.equal(errors.length, 7, JSON.stringify(c.frames));
  assert.ok(errors.every((f) => f.error.code === 'BAD_REQUEST'));
  assert.deepEqual(errors.filter((f) => f.id !== undefined).map((f) => f.id).sort(), [96, 97, 98, 99]);
  assert.equal(errors.find((f) => f.id === 97).error.field, 'roomId');
  assert.equal((await c.request({ type: 'PING' })).ok, true);
  await c.close();
});

test('AUTH again refreshes the same user; another user is FORBIDDEN', async () => {
  const c = await WsClient.connect(srv, alice);
  const again = await c.request({ type: 'AUTH', token: tokenFor(app, 'alice', { name: 'Alice 2' }) });
  assert.equal(again.ok, true);
  assert.equal(again.resumeToken, c.resumeToken);
  const other = await c.request({ type: 'AUTH', token: tokenFor(app, 'bob') });
  assert.equal(other.ok, false);
  assert.equal(other.error.code, 'FORBIDDEN');
  await c.close();
});

test('a connection that never authenticates is closed', async () => {
  const c = await WsClient.open(srv);
  const t0 = Date.now();
  await c.closed;
  assert.ok(Date.now() - t0 < 15000);
});
