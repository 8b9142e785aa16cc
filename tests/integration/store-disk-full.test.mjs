// The disk under the database fills up (issue 8, item 8: a full disk gave
// 500 INTERNAL and /healthz stayed ok). The test mounts a small tmpfs of its
// own, puts the database there and fills it: writes get 503
// STORE_UNAVAILABLE with Retry-After, /healthz is not ok, reads still work;
// once space is freed the store recovers by itself, and after a restart
// every acknowledged write is there. It unmounts and removes everything
// itself, also when it fails. Mounting needs root (CI runs as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, assertError, createApp, eventually, startServer, tokenFor } from './helpers.mjs';

const notRoot = process.getuid() !== 0 && 'needs root to mount a small tmpfs (CI runs as root)';

// Mounts a tmpfs of `size` on a new directory; t.after unmounts and removes it.
function smallDisk(t, size) {
  const mnt = mkdtempSync(join(tmpdir(), 'dpa-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'dpa-disk-full-test', mnt], { stdio: 'pipe' });
  } catch (e) {
    rmSync(mnt, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here: ${String(e.stderr || e.message).trim()}` };
  }
  t.after(() => {
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    }
    rmSync(mnt, { recursive: true, force: true });
  });
  return { mnt };
}

// Writes into `file` until the file system is full.
function fill(file) {
  const fd = openSync(file, 'w');
  try {
    for (const chunk of [1 << 16, 4096, 512]) {
      const buf = Buffer.alloc(chunk, 0x5a);
      for (;;) {
        try { writeSync(fd, buf); } catch (e) {
          if (e.code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function serverFor(t, opts) {
  const srv = await startServer(opts);
  t.after(async () => { if (srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.kill(); });
  return srv;
}

test('disk full: 503 STORE_UNAVAILABLE + Retry-After, /healthz not ok, recovery when space is freed', { skip: notRoot }, async (t) => {
  const disk = smallDisk(t, '2m');
  if (disk.skip) { t.skip(disk.skip); return; }
  const { mnt } = disk;
  let srv = await serverFor(t, { dir: mnt });
  const alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
  const metadata = { notes: 'x'.repeat(3000) };
  const acked = [];
  acked.push((await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'before', metadata } })).body.roomId);

  const filler = join(mnt, 'filler');
  fill(filler);
  let refused = null;
  for (let i = 0; i < 200 && !refused; i++) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: `full ${i}`, metadata } });
    if (r.status === 201) acked.push(r.body.roomId);
    else refused = r;
  }
  assert.ok(refused, 'a write on a full disk is refused');
  assertError(refused, 503, 'STORE_UNAVAILABLE');
  assert.match(refused.headers.get('retry-after'), /^\d+$/);
  const h = await api(srv, 'GET', '/healthz');
  assert.equal(h.status, 503);
  assert.equal(h.body.status, 'unavailable');
  assert.equal(h.body.store, 'failing');
  assert.match(h.body.reason, /full/);
  assert.equal(typeof h.body.since, 'number');
  assert.match(h.headers.get('retry-after'), /^\d+$/);
  // Writes stay refused while the disk is full; reads are still served.
  assertError(await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'still full', metadata } }), 503, 'STORE_UNAVAILABLE');
  const list = await api(srv, 'GET', '/api/rooms?limit=200', { token: alice });
  assert.equal(list.status, 200);
  assert.equal(list.body.rooms.length, acked.length);
  assert.match(srv.logs(), /level=error msg="store failing[^\n]*err="database or disk is full"/);

  // Space comes back: the store finds out by itself (a probe write each second).
  rmSync(filler);
  assert.ok(await eventually(async () => (await api(srv, 'GET', '/healthz')).status === 200, 10000),
    '/healthz is ok again once there is space');
  const after = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'after', metadata } });
  assert.equal(after.status, 201);
  acked.push(after.body.roomId);
  assert.match(srv.logs(), /msg="store recovered: writes work again"/);
  await srv.stop();

  // Every acknowledged write is on the disk, nothing refused is.
  srv = await serverFor(t, { dir: mnt });
  const again = await api(srv, 'GET', '/api/rooms?limit=200', { token: alice });
  assert.deepEqual(again.body.rooms.map((r) => r.roomId).sort(), [...acked].sort());
  await srv.stop();
});
