// GET /api/rooms: newest first, cursor pages without gaps or repeats, status filter.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor } from './helpers.mjs';

let srv, alice;
const made = [];
before(async () => {
  srv = await startServer();
  alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
  for (let i = 0; i < 23; i++) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: `room ${i}` } });
    made.push(r.body);
  }
  for (const r of made.slice(0, 5)) {
    await api(srv, 'PATCH', `/api/rooms/${r.roomId}`, { token: alice, body: { status: 'CLOSED' } });
  }
});
after(async () => { await srv.stop(); });

const newestFirst = (a, b) => b.createdAt - a.createdAt || (a.roomId < b.roomId ? 1 : -1);

test('pages of 10 cover every room once, newest first', async () => {
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const q = cursor ? `?limit=10&cursor=${encodeURIComponent(cursor)}` : '?limit=10';
    const r = await api(srv, 'GET', `/api/rooms${q}`, { token: alice });
    assert.equal(r.status, 200);
    assert.ok(r.body.rooms.length <= 10);
    seen.push(...r.body.rooms);
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.equal(seen.length, 23);
  const expected = [...made].sort(newestFirst).map((r) => r.roomId);
  assert.deepEqual(seen.map((r) => r.roomId), expected);
});

test('default limit is 50 and the last page has no cursor', async () => {
  const r = await api(srv, 'GET', '/api/rooms', { token: alice });
  assert.equal(r.body.rooms.length, 23);
  assert.equal(r.body.nextCursor, null);
});

test('status filters', async () => {
  const closed = await api(srv, 'GET', '/api/rooms?status=CLOSED', { token: alice });
  assert.equal(closed.body.rooms.length, 5);
  assert.ok(closed.body.rooms.every((r) => r.status === 'CLOSED'));
  const active = await api(srv, 'GET', '/api/rooms?status=ACTIVE&limit=200', { token: alice });
  assert.equal(active.body.rooms.length, 18);
});
