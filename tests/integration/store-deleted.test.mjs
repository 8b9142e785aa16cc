// The database's files deleted while the server runs (issue 8, item 8:
// writes went on being acknowledged into the deleted file, all lost, and
// the restart silently made an empty database). Now: no write is
// acknowledged after the deletion (503 STORE_UNAVAILABLE + Retry-After),
// WebSocket room loads say STORE_UNAVAILABLE, /healthz is not ok, an error
// is logged, a copy of the open database is saved beside it, the next
// start refuses to come up without it, and with the copy moved into place
// every acknowledged write is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { api, assertError, createApp, eventually, startServer, tempDir, tokenFor, WsClient } from './helpers.mjs';

async function serverFor(t, opts) {
  const srv = await startServer(opts);
  t.after(async () => { if (srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.kill(); });
  return srv;
}

test('database deleted while running: nothing acknowledged after it, nothing acknowledged lost', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'droponair.db');
  let srv = await serverFor(t, { dir });
  const app = createApp(srv.db, 'business');
  const alice = tokenFor(app, 'alice');

  // Four writers keep creating rooms; the files go away in the middle.
  const acked = [];
  let refused = 0;
  let ackedAfterDelete = 0;
  let deleted = false;
  let stop = false;
  const writer = async (w) => {
    for (let i = 0; !stop; i++) {
      const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: `w${w}-${i}` } });
      if (r.status === 201) {
        acked.push(r.body.roomId);
        if (deleted) ackedAfterDelete++;
      } else {
        assertError(r, 503, 'STORE_UNAVAILABLE');
        assert.match(r.headers.get('retry-after'), /^\d+$/);
        refused++;
      }
    }
  };
  const writers = [0, 1, 2, 3].map(writer);
  try {
    assert.ok(await eventually(() => acked.length >= 30, 10000), 'writes are acknowledged');
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    deleted = true;
    await eventually(() => refused >= 12, 3000);
  } finally {
    stop = true;
    await Promise.all(writers);
  }
  assert.ok(refused >= 12, `writes after the deletion are refused (refused ${refused}, acknowledged ${ackedAfterDelete})`);
  // Only replies already on their way when the files went may still be 201.
  assert.ok(ackedAfterDelete <= 4, `${ackedAfterDelete} writes acknowledged after the deletion`);
  for (let i = 0; i < 3; i++) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'late' } });
    assertError(r, 503, 'STORE_UNAVAILABLE');
  }
  assertError(await api(srv, 'GET', '/api/rooms', { token: alice }), 503, 'STORE_UNAVAILABLE');

  const h = await api(srv, 'GET', '/healthz');
  assert.equal(h.status, 503);
  assert.equal(h.body.status, 'unavailable');
  assert.equal(h.body.store, 'lost');
  assert.match(h.body.reason, /deleted/);
  assert.ok(!h.body.reason.includes(dir), '/healthz shows no file paths');

  // A WebSocket room load needs the store: a clear error, not ROOM_NOT_FOUND.
  const c = await WsClient.connect(srv, alice);
  const j = await c.request({ type: 'JOIN_ROOM', roomId: 'rm_AAAAAAAAAAAAAAAAAAAAAA' });
  assert.equal(j.ok, false);
  assert.equal(j.error.code, 'STORE_UNAVAILABLE');
  await c.close();

  assert.match(srv.logs(), /level=error msg="database lost: no write is acknowledged until a restart" why="the database file was deleted/);
  const copyLine = /msg="saved a copy of the open database[^\n]*copy="([^"]+)"/.exec(srv.logs());
  assert.ok(copyLine, `the copy is logged:\n${srv.logs()}`);
  await srv.stop();

  // The next start does not come up empty: it names the copy and stops.
  await assert.rejects(startServer({ dir }), (e) => {
    assert.match(e.message, /server exited 1/);
    assert.match(e.message, /droponair\.db\.recovered-\d+ exists/);
    return true;
  });
  assert.ok(!existsSync(file), 'the refused start made no database');

  // Moved into place, the copy has every acknowledged write and nothing else.
  const copies = readdirSync(dir).filter((n) => n.startsWith('droponair.db.recovered-'));
  assert.deepEqual(copies.map((n) => join(dir, n)), [copyLine[1]]);
  renameSync(copyLine[1], file);
  srv = await serverFor(t, { dir });
  const list = await api(srv, 'GET', '/api/rooms?limit=200', { token: alice });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.rooms.map((r) => r.roomId).sort(), [...acked].sort());
  assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
  assert.equal((await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'again' } })).status, 201);
  await srv.stop();
});

test('a database missing at start with its -wal left behind is not silently recreated', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'droponair.db');
  let srv = await serverFor(t, { dir });
  const alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
  assert.equal((await api(srv, 'POST', '/api/rooms', { token: alice, body: {} })).status, 201);
  await srv.kill(); // kill -9: the -wal stays
  assert.ok(existsSync(`${file}-wal`));
  rmSync(file);
  await assert.rejects(startServer({ dir }), /droponair\.db is missing but [^\n]*droponair\.db-wal exists/);
  assert.ok(!existsSync(file));

  // Removing what is left is the operator's way to start empty; a first
  // start on a new path creates the database and says so.
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  srv = await serverFor(t, { dir });
  assert.match(srv.logs(), /level=warn msg="created a new, empty database"/);
  await srv.stop();
});
