// droponaird on PostgreSQL (--db postgres://...): the REST scenarios that
// touch the store, run against a throwaway cluster this file starts itself
// (scripts/pg-test.sh, 127.0.0.1, a private directory) and stops at the end.
// Then what only a shared database has: two processes racing for the last
// rooms of an app, an app made by the CLI while the server runs, a restart
// after kill -9 with live calls, and the database going away and coming back.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api, assertError, createApp, eventually, root, startServer, tempDir, tokenFor, WsClient,
} from './helpers.mjs';

const script = join(root, 'scripts', 'pg-test.sh');
const pgDir = mkdtempSync(join(tmpdir(), 'dpa-pg-'));
const pg = (...args) => execFileSync(script, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
// Stopped and removed even when a test fails or the process is interrupted.
process.on('exit', () => {
  try { pg('stop', pgDir); } catch { /* already stopped */ }
  rmSync(pgDir, { recursive: true, force: true });
});

const psql = (db, sql) => execFileSync('psql', [db, '-XAtc', sql], { encoding: 'utf8' }).trim();

let base; // postgres://postgres@127.0.0.1:PORT/postgres
let dbn = 0;
// A database of its own for each scenario.
function freshDb() {
  const name = `dpa_it_${++dbn}`;
  psql(base, `CREATE DATABASE ${name}`);
  return base.replace(/\/postgres$/, `/${name}`);
}

const plans = { tiny: { maxRoomsPerApp: 5, maxParticipantsPerCall: 5, features: ['scheduled_rooms'] } };

before(() => { base = pg('start', pgDir, '0'); });
after(() => { pg('stop', pgDir); });

test('rooms on PostgreSQL: create, get, patch with If-Match, list pages, delete', async () => {
  const srv = await startServer({ db: freshDb() });
  try {
    const app = createApp(srv.db, 'pro');
    const alice = tokenFor(app, 'alice');
    let r = await api(srv, 'POST', '/api/rooms', {
      token: alice, body: { name: 'a', hosts: ['bob'], metadata: { team: 'x', deep: { a: 1 } }, policy: { maxParticipants: 5 } },
    });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('etag'), '"1"');
    const id = r.body.roomId;
    assert.equal(r.headers.get('location'), `/api/rooms/${id}`);

    r = await api(srv, 'GET', `/api/rooms/${id}`, { token: alice });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.hosts, ['alice', 'bob']);
    assert.deepEqual(r.body.metadata, { team: 'x', deep: { a: 1 } });

    r = await api(srv, 'PATCH', `/api/rooms/${id}`, {
      token: alice, headers: { 'if-match': '"1"' }, body: { name: 'b', metadata: { team: null }, policy: { waitingRoom: true } },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 2);
    assert.equal(r.headers.get('etag'), '"2"');
    assertError(await api(srv, 'PATCH', `/api/rooms/${id}`, { token: alice, headers: { 'if-match': '"1"' }, body: { name: 'c' } }),
      412, 'PRECONDITION_FAILED');

    // More rooms, then pages of 3: every room once, newest first (createdAt, then roomId).
    const made = [(await api(srv, 'GET', `/api/rooms/${id}`, { token: alice })).body];
    for (let i = 0; i < 7; i++) made.push((await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: `r${i}` } })).body);
    const seen = [];
    let cursor = null;
    do {
      const q = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
      const page = await api(srv, 'GET', `/api/rooms${q}`, { token: alice });
      assert.equal(page.status, 200);
      seen.push(...page.body.rooms);
      cursor = page.body.nextCursor;
    } while (cursor);
    const newestFirst = (a, b) => b.createdAt - a.createdAt || (a.roomId < b.roomId ? 1 : -1);
    assert.deepEqual(seen.map((x) => x.roomId), [...made].sort(newestFirst).map((x) => x.roomId));
    // bob hosts the first room only.
    const bobs = await api(srv, 'GET', '/api/rooms', { token: tokenFor(app, 'bob') });
    assert.deepEqual(bobs.body.rooms.map((x) => x.roomId), [id]);

    assert.equal((await api(srv, 'DELETE', `/api/rooms/${id}`, { token: alice })).status, 204);
    assertError(await api(srv, 'GET', `/api/rooms/${id}`, { token: alice }), 404, 'ROOM_NOT_FOUND');
    // What the server says is what the database holds.
    assert.equal(psql(srv.db, 'SELECT count(*) FROM rooms'), '7');
  } finally {
    await srv.stop();
  }
});

test('Idempotency-Key on PostgreSQL: a retry gets the first room, another body 409, racing retries one room', async () => {
  const srv = await startServer({ db: freshDb() });
  try {
    const alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
    const headers = { 'idempotency-key': 'k1' };
    const first = await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'once' } });
    const again = await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'once' } });
    assert.equal(first.status, 201);
    assert.deepEqual(again.body, first.body);
    assertError(await api(srv, 'POST', '/api/rooms', { token: alice, headers, body: { name: 'other' } }), 409, 'IDEMPOTENCY_KEY_REUSED');
    const rs = await Promise.all(Array.from({ length: 8 }, () =>
      api(srv, 'POST', '/api/rooms', { token: alice, headers: { 'idempotency-key': 'race' }, body: { name: 'race' } })));
    assert.ok(rs.every((r) => r.status === 201));
    assert.equal(new Set(rs.map((r) => r.body.roomId)).size, 1);
  } finally {
    await srv.stop();
  }
});

test('two processes on one database: the room limit is exact, and the CLI\'s new app is picked up', async () => {
  const db = freshDb();
  const dir = tempDir();
  const plansFile = join(dir, 'plans.json');
  writeFileSync(plansFile, JSON.stringify(plans));
  const a = await startServer({ db, plans });
  const b = await startServer({ db, plans });
  try {
    const app = createApp(db, 'tiny', ['--plans', plansFile]);
    const tok = tokenFor(app, 'alice');
    // Both servers learn of the app from the database (polled each second, or at once on an unknown kid).
    assert.ok(await eventually(async () => (await api(a, 'GET', '/api/rooms', { token: tok })).status === 200));
    assert.ok(await eventually(async () => (await api(b, 'GET', '/api/rooms', { token: tok })).status === 200));
    const rs = await Promise.all(Array.from({ length: 16 }, (_, i) =>
      api(i % 2 ? a : b, 'POST', '/api/rooms', { token: tok, body: { name: `n${i}` } })));
    const created = rs.filter((r) => r.status === 201).length;
    assert.equal(created, plans.tiny.maxRoomsPerApp, rs.map((r) => r.status).join(' '));
    for (const r of rs.filter((x) => x.status !== 201)) assertError(r, 403, 'ROOM_LIMIT_REACHED');
    assert.equal(psql(db, `SELECT count(*) FROM rooms WHERE app_id = '${app.appId}'`), String(plans.tiny.maxRoomsPerApp));
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('two processes PATCH one room with the same If-Match: one wins, the other gets 412, nothing is lost', async () => {
  const db = freshDb();
  const a = await startServer({ db });
  const b = await startServer({ db });
  // A third session holds the row, so both PATCHes are in their transactions
  // before either can write: the race the row lock must order.
  const holder = spawn('psql', [db, '-XAq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  holder.stdout.on('data', (d) => { out += d; });
  try {
    const app = createApp(db, 'pro');
    const tok = tokenFor(app, 'alice');
    assert.ok(await eventually(async () => (await api(b, 'GET', '/api/rooms', { token: tok })).status === 200));
    const id = (await api(a, 'POST', '/api/rooms', { token: tok, body: { name: 'orig' } })).body.roomId;
    holder.stdin.write(`BEGIN; SELECT 'locked' FROM rooms WHERE room_id = '${id}' FOR UPDATE;\n`);
    assert.ok(await eventually(async () => out.includes('locked')));
    const pa = api(a, 'PATCH', `/api/rooms/${id}`, { token: tok, body: { name: 'fromA' }, headers: { 'if-match': '"1"' } });
    const pb = api(b, 'PATCH', `/api/rooms/${id}`, { token: tok, body: { metadata: { by: 'B' } }, headers: { 'if-match': '"1"' } });
    await new Promise((r) => setTimeout(r, 300)); // both are now waiting on the lock
    holder.stdin.end('COMMIT;\n');
    const [ra, rb] = await Promise.all([pa, pb]);
    const statuses = [ra.status, rb.status].sort();
    assert.deepEqual(statuses, [200, 412], `${ra.status} ${JSON.stringify(ra.body)} / ${rb.status} ${JSON.stringify(rb.body)}`);
    const winner = ra.status === 200 ? ra : rb;
    // The store holds exactly the winner's change, at version 2, and so does the
    // winner (the loser's own cache follows only with --redis: cluster tests).
    const row = psql(db, `SELECT name || '|' || metadata || '|' || version FROM rooms WHERE room_id = '${id}'`);
    assert.equal(row, ra.status === 200 ? 'fromA|{}|2' : 'orig|{"by":"B"}|2');
    assert.equal(winner.headers.get('etag'), '"2"');
    const g = await api(ra.status === 200 ? a : b, 'GET', `/api/rooms/${id}`, { token: tok });
    assert.equal(g.body.version, 2);
    assert.equal(g.body.name, ra.status === 200 ? 'fromA' : 'orig');
  } finally {
    holder.kill();
    await a.stop();
    await b.stop();
  }
});

test('kill -9 with live calls on PostgreSQL, restart: calls ended, auto-close rooms CLOSED', async () => {
  const db = freshDb();
  let srv = await startServer({ db });
  const owner = tokenFor(createApp(db, 'pro'), 'hank');
  const once = (await api(srv, 'POST', '/api/rooms', { token: owner, body: { policy: { autoCloseWhenEmpty: true } } })).body;
  const keep = (await api(srv, 'POST', '/api/rooms', { token: owner, body: {} })).body;
  const c = await WsClient.connect(srv, owner);
  const j1 = await c.request({ type: 'JOIN_ROOM', roomId: once.roomId });
  const j2 = await c.request({ type: 'JOIN_ROOM', roomId: keep.roomId });
  assert.equal(j1.status, 'JOINED');
  assert.equal(j2.status, 'JOINED');
  // The call records are written by the store worker; let them land.
  await new Promise((r) => setTimeout(r, 300));
  await srv.kill();
  c.terminate();

  srv = await startServer({ db });
  try {
    assert.match(srv.logs(), /calls ended by restart" calls=2 rooms_closed=1/);
    const closed = (await api(srv, 'GET', `/api/rooms/${once.roomId}`, { token: owner })).body;
    assert.equal(closed.status, 'CLOSED');
    assert.equal(closed.version, once.version + 1);
    assert.equal((await api(srv, 'GET', `/api/rooms/${keep.roomId}`, { token: owner })).body.status, 'ACTIVE');
    assert.equal(psql(db, 'SELECT call_id, end_reason FROM calls ORDER BY call_id'),
      [`${j1.callId}|SERVER_RESTART`, `${j2.callId}|SERVER_RESTART`].sort().join('\n'));
  } finally {
    await srv.stop();
  }
});

test('PostgreSQL down: 503 STORE_UNAVAILABLE, /healthz failing; back up: writes work, nothing acknowledged is lost', async () => {
  const srv = await startServer({ db: freshDb() });
  let up = true;
  try {
    const alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
    const acked = [(await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'before' } })).body.roomId];
    pg('down', pgDir);
    up = false;
    const refused = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'while down' } });
    assertError(refused, 503, 'STORE_UNAVAILABLE');
    assert.match(refused.headers.get('retry-after'), /^\d+$/);
    const h = await api(srv, 'GET', '/healthz');
    assert.equal(h.status, 503);
    assert.equal(h.body.store, 'failing');
    assert.doesNotMatch(JSON.stringify(h.body), /password/);
    pg('up', pgDir);
    up = true;
    assert.ok(await eventually(async () => (await api(srv, 'GET', '/healthz')).status === 200, 10000),
      '/healthz is ok again once PostgreSQL is back');
    const after = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'after' } });
    assert.equal(after.status, 201);
    acked.push(after.body.roomId);
    assert.match(srv.logs(), /msg="store recovered: writes work again"/);
    const names = psql(srv.db, 'SELECT name FROM rooms ORDER BY created_at').split('\n');
    assert.deepEqual(names, ['before', 'after']);
    const list = await api(srv, 'GET', '/api/rooms', { token: alice });
    assert.deepEqual(list.body.rooms.map((r) => r.roomId).sort(), acked.sort());
  } finally {
    if (!up) pg('up', pgDir);
    await srv.stop();
  }
});
