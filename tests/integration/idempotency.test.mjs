// Idempotency-Key on POST /api/rooms: a retry gets the first result back.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, tokenFor } from './helpers.mjs';

let srv, alice, bob;
before(async () => {
  srv = await startServer();
  const app = createApp(srv.db, 'pro');
  alice = tokenFor(app, 'alice');
  bob = tokenFor(app, 'bob');
});
after(async () => { await srv.stop(); });

test('a retry with the same key and body returns the same room', async () => {
  const headers = { 'idempotency-key': 'create-1' };
  const first = await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'once' } });
  const again = await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'once' } });
  assert.equal(first.status, 201);
  assert.equal(again.status, 201);
  assert.deepEqual(again.body, first.body);
  assert.equal(again.headers.get('location'), first.headers.get('location'));
  const list = await api(srv, 'GET', '/api/rooms', { token: alice });
  assert.equal(list.body.rooms.filter((r) => r.name === 'once').length, 1);
});

test('the same key with another body is 409', async () => {
  const headers = { 'idempotency-key': 'create-2' };
  await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'a' } });
  const r = await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'b' } });
  assertError(r, 409, 'IDEMPOTENCY_KEY_REUSED');
});

test('keys are scoped per user', async () => {
  const headers = { 'idempotency-key': 'shared' };
  const a = await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'x' } });
  const b = await api(srv, 'POST', '/api/rooms', { token: bob, headers, body: { name: 'x' } });
  assert.notEqual(a.body.roomId, b.body.roomId);
  assert.equal(b.body.createdBy, 'bob');
});

test('concurrent retries create one room', async () => {
  const headers = { 'idempotency-key': 'race' };
  const rs = await Promise.all(Array.from({ length: 8 }, () =>
    api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'race' } })));
  assert.ok(rs.every((r) => r.status === 201));
  assert.equal(new Set(rs.map((r) => r.body.roomId)).size, 1);
});

test('a bad key is 400', async () => {
  const r = await api(srv, 'POST', '/api/rooms', { token: alice, headers: { 'idempotency-key': 'x'.repeat(200) }, body: {} });
  assertError(r, 400, 'VALIDATION_FAILED', 'Idempotency-Key');
});
