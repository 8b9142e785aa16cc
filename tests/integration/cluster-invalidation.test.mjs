// Room cache invalidation over Redis (issue 11): two processes share one
// SQLite file and one Redis. A room written through one is read back
// changed from the other at once (the writer answers once the other node
// acknowledged the announcement: without that, on two busy cores, the
// client's next GET overtook Redis's delivery about once in 30 tries), a live call on the other takes the
// change, and after Redis restarts the nodes reconnect and invalidation
// works again (while it is down, reads go to the store: never stale).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, eventually, startServer, tempDir, tokenFor, WsClient } from './helpers.mjs';
import { startRedis } from './redis.mjs';

const health = async (srv) => (await fetch(`${srv.url}/healthz`)).json();

async function cluster(t) {
  const dir = tempDir();
  const redis = await startRedis({ dir });
  const db = `sqlite:${dir}/shared.db`;
  const a = await startServer({ dir, db, args: ['--redis', redis.url, '--node-id', 'a'] });
  const b = await startServer({ dir, db, args: ['--redis', `${redis.url}/0`, '--node-id', 'b'] });
  t.after(async () => {
    for (const s of [a, b]) if (s.proc.exitCode === null) await s.kill();
    await redis.kill();
  });
  for (const s of [a, b]) assert.ok(await eventually(async () => (await health(s)).redis === 'up'), `${s.url} reaches redis`);
  return { dir, redis, a, b, app: createApp(db, 'business') };
}

// PATCH through one node, GET through the other straight after.
async function patchThenRead(from, to, token, roomId, name) {
  const p = await api(from, 'PATCH', `/api/rooms/${roomId}`, { token, body: { name } });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const g = await api(to, 'GET', `/api/rooms/${roomId}`, { token });
  assert.equal(g.status, 200);
  assert.equal(g.body.name, name, `read through ${to.url} right after the PATCH`);
  assert.equal(g.body.version, p.body.version);
  assert.equal(g.headers.get('etag'), p.headers.get('etag'));
}

test('a room written through one node is read back changed through the other, Redis restart included', async (t) => {
  const { redis, a, b, app } = await cluster(t);
  const alice = tokenFor(app, 'alice');
  const created = await api(a, 'POST', '/api/rooms', { token: alice, body: { name: 'v1' } });
  assert.equal(created.status, 201);
  const roomId = created.body.roomId;

  // b caches v1, then sees each later write at once, whichever node made it.
  assert.equal((await api(b, 'GET', `/api/rooms/${roomId}`, { token: alice })).body.name, 'v1');
  await patchThenRead(a, b, alice, roomId, 'v2');
  await patchThenRead(b, a, alice, roomId, 'v3');
  for (let i = 4; i < 24; i++) await patchThenRead(i % 2 ? a : b, i % 2 ? b : a, alice, roomId, `v${i}`);

  // Redis goes away: both say so, and reads go to the store (never stale).
  await redis.kill();
  for (const s of [a, b]) assert.ok(await eventually(async () => (await health(s)).redis === 'down'), 'redis down in /healthz');
  await patchThenRead(a, b, alice, roomId, 'while-down');
  assert.match(b.logs(), /level=warn node=b msg="redis down: room cache off[^\n]*why=/);
  assert.match((await (await fetch(`${b.url}/metrics`)).text()), /^droponair_redis_up 0$/m);

  // Back on the same port: both reconnect and invalidation works again.
  const again = await startRedis({ dir: redis.dir, port: redis.port });
  t.after(() => again.kill());
  for (const s of [a, b]) assert.ok(await eventually(async () => (await health(s)).redis === 'up', 10000), 'redis back in /healthz');
  assert.match(a.logs(), /msg="redis is back: room announcements flow again"/);
  assert.equal((await api(b, 'GET', `/api/rooms/${roomId}`, { token: alice })).body.name, 'while-down');
  await patchThenRead(a, b, alice, roomId, 'after');
  await patchThenRead(b, a, alice, roomId, 'after-2');
  assert.match((await (await fetch(`${a.url}/metrics`)).text()), /^droponair_redis_up 1$/m);

  // DELETE through one node: gone through the other at once.
  assert.equal((await api(a, 'DELETE', `/api/rooms/${roomId}`, { token: alice })).status, 204);
  assertError(await api(b, 'GET', `/api/rooms/${roomId}`, { token: alice }), 404, 'ROOM_NOT_FOUND');
  await Promise.all([a.stop(), b.stop()]);
});

test('a live call on one node takes a change made through another', async (t) => {
  const { a, b, app } = await cluster(t);
  const alice = tokenFor(app, 'alice');
  const roomId = (await api(a, 'POST', '/api/rooms', { token: alice, body: { name: 'call' } })).body.roomId;
  const c = await WsClient.connect(b, tokenFor(app, 'bob'));
  assert.equal((await c.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');

  // A PATCH through a: bob, in the call on b, hears ROOM_UPDATED.
  await api(a, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { name: 'renamed' } });
  const upd = await c.waitEvent('ROOM_UPDATED');
  assert.equal(upd.room.name, 'renamed');
  // Closing it through a ends the call on b.
  await api(a, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { status: 'CLOSED' } });
  const ended = await c.waitEvent('GROUP_CALL_ENDED');
  assert.equal(ended.reason, 'ROOM_CLOSED');
  const g = await api(b, 'GET', `/api/rooms/${roomId}`, { token: alice });
  assert.equal(g.body.status, 'CLOSED');
  assert.equal(g.body.call, null);

  // Deleting it through a: b drops it too.
  const c2 = await WsClient.connect(b, tokenFor(app, 'carol'));
  await api(a, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { status: 'ACTIVE' } });
  assert.equal((await c2.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  assert.equal((await api(a, 'DELETE', `/api/rooms/${roomId}`, { token: alice })).status, 204);
  assert.equal((await c2.waitEvent('GROUP_CALL_ENDED')).reason, 'ROOM_DELETED');
  await c.close();
  await c2.close();
  await Promise.all([a.stop(), b.stop()]);
});
