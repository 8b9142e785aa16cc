// A room acknowledged with 201 survives kill -9 and a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tempDir, tokenFor } from './helpers.mjs';

test('rooms acknowledged before kill -9 are there after restart', async () => {
  const dir = tempDir();
  let srv = await startServer({ dir });
  const app = createApp(srv.db, 'business');
  const alice = tokenFor(app, 'alice');
  // Many writes in flight at once (they share group commits), then kill
  // the server the moment the last reply arrives.
  const created = await Promise.all(Array.from({ length: 60 }, (_, i) =>
    api(srv, 'POST', '/api/rooms', { token: alice, body: { name: `durable ${i}`, metadata: { i } } })));
  const patched = await api(srv, 'PATCH', `/api/rooms/${created[0].body.roomId}`, { token: alice, body: { name: 'patched' } });
  const deleted = await api(srv, 'DELETE', `/api/rooms/${created[1].body.roomId}`, { token: alice });
  await srv.kill();
  assert.ok(created.every((r) => r.status === 201));
  assert.equal(patched.status, 200);
  assert.equal(deleted.status, 204);

  srv = await startServer({ dir });
  for (const c of created.slice(2)) {
    const r = await api(srv, 'GET', `/api/rooms/${c.body.roomId}`, { token: alice });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, c.body);
  }
  const p = await api(srv, 'GET', `/api/rooms/${created[0].body.roomId}`, { token: alice });
  assert.equal(p.body.name, 'patched');
  assert.equal(p.body.version, 2);
  assert.equal((await api(srv, 'GET', `/api/rooms/${created[1].body.roomId}`, { token: alice })).status, 404);
  const list = await api(srv, 'GET', '/api/rooms?limit=200', { token: alice });
  assert.equal(list.body.rooms.length, 59);
  await srv.stop();
});
