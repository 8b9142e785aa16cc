// Who may do what: creator, host, another user of the app, another app.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, tokenFor } from './helpers.mjs';

let srv, alice, bob, carol, mallory, roomId;
before(async () => {
  srv = await startServer();
  const app = createApp(srv.db, 'business');
  const other = createApp(srv.db, 'business');
  alice = tokenFor(app, 'alice');
  bob = tokenFor(app, 'bob');
  carol = tokenFor(app, 'carol');
  mallory = tokenFor(other, 'alice'); // same user id, another app
  const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'team', hosts: ['bob'] } });
  roomId = r.body.roomId;
});
after(async () => { await srv.stop(); });

test('any user of the app may read the room', async () => {
  for (const t of [alice, bob, carol]) {
    const r = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: t });
    assert.equal(r.status, 200);
    assert.equal(r.body.roomId, roomId);
  }
});

test('another app gets 404 for every method, even with the right id', async () => {
  assertError(await api(srv, 'GET', `/api/rooms/${roomId}`, { token: mallory }), 404, 'ROOM_NOT_FOUND');
  assertError(await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: mallory, body: { name: 'x' } }), 404, 'ROOM_NOT_FOUND');
  assertError(await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: mallory }), 404, 'ROOM_NOT_FOUND');
  const list = await api(srv, 'GET', '/api/rooms', { token: mallory });
  assert.deepEqual(list.body.rooms, []);
});

test('a host or another user cannot change or delete it', async () => {
  for (const t of [bob, carol]) {
    assertError(await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: t, body: { name: 'x' } }), 403, 'FORBIDDEN');
    assertError(await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: t }), 403, 'FORBIDDEN');
  }
  const r = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: alice });
  assert.equal(r.body.name, 'team');
  assert.equal(r.body.version, 1);
});

test('the list holds rooms the caller created or hosts', async () => {
  const byBob = await api(srv, 'POST', '/api/rooms', { token: bob, body: { name: 'bobs' } });
  const ids = async (t) => (await api(srv, 'GET', '/api/rooms', { token: t })).body.rooms.map((r) => r.roomId);
  assert.deepEqual(await ids(alice), [roomId]);
  assert.deepEqual(await ids(bob), [byBob.body.roomId, roomId]);
  assert.deepEqual(await ids(carol), []);
  // Making carol a host puts the room in her list; dropping bob takes it out of his.
  await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { hosts: ['alice', 'carol'] } });
  assert.deepEqual(await ids(carol), [roomId]);
  assert.deepEqual(await ids(bob), [byBob.body.roomId]);
});

test('the creator may change and delete it', async () => {
  const r = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { name: 'renamed' } });
  assert.equal(r.status, 200);
  assert.equal((await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: alice })).status, 204);
});
