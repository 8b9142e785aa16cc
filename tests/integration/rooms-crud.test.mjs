// Create, get, list, patch and delete a room as its creator.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, tokenFor } from './helpers.mjs';

let srv, alice;
before(async () => {
  srv = await startServer();
  const app = createApp(srv.db, 'pro');
  alice = tokenFor(app, 'alice', { name: 'Alice' });
});
after(async () => { await srv.stop(); });

test('the product page example creates a room with its policy', async () => {
  const start = Date.now() + 3_600_000;
  const r = await api(srv, 'POST', '/api/rooms', {
    token: alice,
    body: { name: 'Weekly sync', scheduledStartAt: start, policy: { waitingRoom: true, requireHost: true } },
  });
  assert.equal(r.status, 201);
  assert.match(r.body.roomId, /^rm_[A-Za-z0-9_-]{22}$/);
  assert.equal(r.headers.get('location'), `/api/rooms/${r.body.roomId}`);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.equal(r.body.name, 'Weekly sync');
  assert.equal(r.body.createdBy, 'alice');
  assert.deepEqual(r.body.hosts, ['alice']);
  assert.equal(r.body.scheduledStartAt, start);
  assert.equal(r.body.scheduledEndAt, null);
  assert.equal(r.body.status, 'ACTIVE');
  assert.deepEqual(r.body.policy, { waitingRoom: true, requireHost: true, maxParticipants: null, autoCloseWhenEmpty: false });
  assert.deepEqual(r.body.metadata, {});
  assert.equal(r.body.version, 1);
  assert.equal(r.body.call, null);
  assert.ok(Math.abs(r.body.createdAt - Date.now()) < 60_000);

  const got = await api(srv, 'GET', `/api/rooms/${r.body.roomId}`, { token: alice });
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, r.body);
});

test('an empty body creates a room with defaults', async () => {
  const r = await api(srv, 'POST', '/api/rooms', { token: alice });
  assert.equal(r.status, 201);
  assert.equal(r.body.name, '');
  assert.deepEqual(r.body.policy, { waitingRoom: false, requireHost: false, maxParticipants: null, autoCloseWhenEmpty: false });
});

test('patch merges, bumps the version only on change, honours If-Match', async () => {
  const c = await api(srv, 'POST', '/api/rooms', {
    token: alice, body: { name: 'a', metadata: { team: 'x', deep: { a: 1 } }, policy: { maxParticipants: 5 } },
  });
  const id = c.body.roomId;
  let r = await api(srv, 'PATCH', `/api/rooms/${id}`, {
    token: alice, headers: { 'if-match': '"1"' },
    body: { name: 'b', policy: { autoCloseWhenEmpty: true }, metadata: { team: null, deep: { b: 2 } }, hosts: ['alice', 'bob'] },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.version, 2);
  assert.equal(r.headers.get('etag'), '"2"');
  assert.equal(r.body.name, 'b');
  assert.deepEqual(r.body.policy, { waitingRoom: false, requireHost: false, maxParticipants: 5, autoCloseWhenEmpty: true });
  assert.deepEqual(r.body.metadata, { deep: { a: 1, b: 2 } });
  assert.deepEqual(r.body.hosts, ['alice', 'bob']);
  assert.ok(r.body.updatedAt >= c.body.updatedAt);

  // Stale If-Match: 412 and nothing changes.
  r = await api(srv, 'PATCH', `/api/rooms/${id}`, { token: alice, headers: { 'if-match': '"1"' }, body: { name: 'c' } });
  assertError(r, 412, 'PRECONDITION_FAILED');
  assert.equal(r.headers.get('etag'), '"2"');

  // A patch that changes nothing keeps the version.
  r = await api(srv, 'PATCH', `/api/rooms/${id}`, { token: alice, body: { name: 'b' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.version, 2);

  // null resets to the default; merge-patch+json is accepted.
  r = await api(srv, 'PATCH', `/api/rooms/${id}`, {
    token: alice, headers: { 'content-type': 'application/merge-patch+json', 'if-match': '*' },
    body: { policy: { maxParticipants: null }, status: 'CLOSED' },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.policy.maxParticipants, null);
  assert.equal(r.body.status, 'CLOSED');
  assert.equal(r.body.version, 3);

  const got = await api(srv, 'GET', `/api/rooms/${id}`, { token: alice });
  assert.deepEqual(got.body, r.body);
});

test('the creator cannot be removed from hosts', async () => {
  const c = await api(srv, 'POST', '/api/rooms', { token: alice, body: { hosts: ['bob'] } });
  assert.deepEqual(c.body.hosts, ['alice', 'bob']);
  const r = await api(srv, 'PATCH', `/api/rooms/${c.body.roomId}`, { token: alice, body: { hosts: ['bob'] } });
  assertError(r, 400, 'VALIDATION_FAILED', 'hosts');
});

test('delete answers 204, then the room is gone', async () => {
  const c = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'gone' } });
  const id = c.body.roomId;
  let r = await api(srv, 'DELETE', `/api/rooms/${id}`, { token: alice, headers: { 'if-match': '"7"' } });
  assertError(r, 412, 'PRECONDITION_FAILED');
  r = await api(srv, 'DELETE', `/api/rooms/${id}`, { token: alice });
  assert.equal(r.status, 204);
  assert.equal(r.body, null);
  assertError(await api(srv, 'GET', `/api/rooms/${id}`, { token: alice }), 404, 'ROOM_NOT_FOUND');
  assertError(await api(srv, 'DELETE', `/api/rooms/${id}`, { token: alice }), 404, 'ROOM_NOT_FOUND');
  assertError(await api(srv, 'PATCH', `/api/rooms/${id}`, { token: alice, body: {} }), 404, 'ROOM_NOT_FOUND');
  const list = await api(srv, 'GET', '/api/rooms', { token: alice });
  assert.ok(!list.body.rooms.some((x) => x.roomId === id));
});

test('unknown room ids are 404', async () => {
  for (const id of ['rm_AAAAAAAAAAAAAAAAAAAAAA', 'nope', 'rm_%2e%2e']) {
    assertError(await api(srv, 'GET', `/api/rooms/${id}`, { token: alice }), 404, 'ROOM_NOT_FOUND');
  }
});
