// Calls left open by a crash are ended at start-up; auto-close rooms close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { api, createApp, startServer, tempDir, tokenFor, WsClient } from './helpers.mjs';

test('kill -9 with live calls, restart: calls ended, auto-close rooms CLOSED', async () => {
  const dir = tempDir();
  let srv = await startServer({ dir });
  const app = createApp(srv.db, 'pro');
  const owner = tokenFor(app, 'hank');
  const once = (await api(srv, 'POST', '/api/rooms', { token: owner, body: { policy: { autoCloseWhenEmpty: true } } })).body.roomId;
  const keep = (await api(srv, 'POST', '/api/rooms', { token: owner, body: {} })).body.roomId;
  const c = await WsClient.connect(srv, owner);
  const before = (await api(srv, 'GET', `/api/rooms/${once}`, { token: owner })).body;
  const j1 = await c.request({ type: 'JOIN_ROOM', roomId: once });
  const j2 = await c.request({ type: 'JOIN_ROOM', roomId: keep });
  // The call records are written by the store worker; let them land.
  await new Promise((r) => setTimeout(r, 300));
  await srv.kill();

  srv = await startServer({ dir });
  assert.match(srv.logs(), /calls ended by restart" calls=2 rooms_closed=1/);
  const closed = (await api(srv, 'GET', `/api/rooms/${once}`, { token: owner })).body;
  assert.equal(closed.status, 'CLOSED');
  // Closed by the same rule as a call that ends: version + 1, updatedAt moves forward.
  assert.equal(closed.version, before.version + 1);
  assert.ok(closed.updatedAt >= before.updatedAt);
  const k = (await api(srv, 'GET', `/api/rooms/${keep}`, { token: owner })).body;
  assert.equal(k.status, 'ACTIVE');
  assert.equal(k.call, null);
  const rows = execFileSync('sqlite3', [join(dir, 'droponair.db'),
    'SELECT call_id, end_reason, peak_participants FROM calls ORDER BY started_at'], { encoding: 'utf8' });
  // The peak is recorded as people join (participant sessions), so a crash keeps it.
  assert.equal(rows.trim(), `${j1.callId}|SERVER_RESTART|1\n${j2.callId}|SERVER_RESTART|1`);
  await srv.stop();
});
