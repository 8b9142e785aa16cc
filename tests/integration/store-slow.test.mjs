// A slow or locked store, made slow for real: another process (the sqlite3
// CLI) holds the database's write lock, so the store worker waits on its
// busy timeout (5 s) and then gives up.
// - A request that was read completely gets its answer however long the
//   store takes: --header-timeout is for reading the request, not for our
//   work (issue 8, item 9: a bodyless GET/DELETE was cut with no reply at
//   the header timeout, and the DELETE still committed).
// - A store locked past its busy timeout answers 503 STORE_UNAVAILABLE with
//   Retry-After, /healthz says why, and both recover by themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { api, assertError, createApp, eventually, sleep, startServer, tokenFor } from './helpers.mjs';

const noCli = spawnSync('sqlite3', ['-version']).status !== 0 && 'needs the sqlite3 CLI (scripts/deps.sh installs it)';

// Takes the database's write lock from another process; release() commits
// and waits for that process to end.
async function holdWriteLock(file) {
  const p = spawn('sqlite3', [file], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => p.on('exit', resolve));
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sqlite3 did not take the lock: ${err}`)), 10000);
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('locked')) { clearTimeout(t); resolve(); }
    });
    p.on('exit', (code) => { clearTimeout(t); reject(new Error(`sqlite3 exited ${code}: ${err}`)); });
    p.stdin.write("PRAGMA busy_timeout = 10000;\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n");
  });
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      p.stdin.end('COMMIT;\n');
      await exited;
    },
  };
}

const dbFile = (srv) => srv.db.replace(/^sqlite:/, '');

// A server that is killed when the test ends without stopping it (a failure).
async function serverFor(t, opts) {
  const srv = await startServer(opts);
  t.after(async () => { if (srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.kill(); });
  return srv;
}

test('GET list and DELETE waiting on the store past --header-timeout still get their answers', { skip: noCli }, async (t) => {
  const srv = await serverFor(t, { args: ['--header-timeout', '1'] });
  const alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
  const keep = (await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'keep' } })).body.roomId;
  const gone = (await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'gone' } })).body.roomId;

  const lock = await holdWriteLock(dbFile(srv));
  let list, del;
  const t0 = Date.now();
  try {
    const pending = Promise.all([
      api(srv, 'GET', '/api/rooms', { token: alice }),
      api(srv, 'DELETE', `/api/rooms/${gone}`, { token: alice }),
    ]);
    await sleep(2500); // well past the 1 s header timeout, within the 5 s busy timeout
    await lock.release();
    [list, del] = await pending;
  } finally {
    await lock.release();
  }
  assert.ok(Date.now() - t0 >= 2400, 'the requests waited for the store');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.rooms.map((r) => r.roomId).sort(), [keep, gone].sort());
  assert.equal(del.status, 204);
  assert.equal((await api(srv, 'GET', `/api/rooms/${gone}`, { token: alice })).status, 404);
  assert.equal((await api(srv, 'GET', `/api/rooms/${keep}`, { token: alice })).status, 200);
  await srv.stop();
});

test('a store locked past its busy timeout: 503 STORE_UNAVAILABLE + Retry-After, /healthz not ok, then recovery', { skip: noCli }, async (t) => {
  const srv = await serverFor(t);
  const alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
  const before = (await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'before' } })).body.roomId;

  const lock = await holdWriteLock(dbFile(srv));
  try {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'refused' } });
    assertError(r, 503, 'STORE_UNAVAILABLE');
    assert.match(r.headers.get('retry-after'), /^\d+$/);
    const h = await api(srv, 'GET', '/healthz');
    assert.equal(h.status, 503);
    assert.equal(h.body.status, 'unavailable');
    assert.equal(h.body.store, 'failing');
    assert.match(h.body.reason, /locked/);
    assert.match(h.headers.get('retry-after'), /^\d+$/);
    const m = await api(srv, 'GET', '/metrics');
    assert.match(m.body, /droponair_store_up 0\n/);
  } finally {
    await lock.release();
  }
  // The worker probes every second; the first write that commits makes it ok.
  assert.ok(await eventually(async () => (await api(srv, 'GET', '/healthz')).status === 200, 10000),
    '/healthz is ok again once the lock is gone');
  const after = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'after' } });
  assert.equal(after.status, 201);
  const list = await api(srv, 'GET', '/api/rooms', { token: alice });
  assert.deepEqual(list.body.rooms.map((r) => r.name).sort(), ['after', 'before']);
  assert.equal(list.body.rooms.find((r) => r.name === 'before').roomId, before);
  assert.match((await api(srv, 'GET', '/metrics')).body, /droponair_store_up 1\n/);
  assert.match(srv.logs(), /level=error msg="store failing[^\n]*err="database is locked"/);
  assert.match(srv.logs(), /msg="store recovered: writes work again"/);
  await srv.stop();
});
