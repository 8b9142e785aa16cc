// --ops-listen: /metrics and /healthz on a separate address (a second lws
// vhost on the same loop). /metrics then leaves the public port, /healthz
// stays on both; the operations port serves nothing else (no API, no
// console, no WebSocket), is plain HTTP, refuses connections near the
// descriptor limit like the public port, and comes from a file or a
// variable like every option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { api, BIN, createApp, idle, sleep, startProcess, tempDir, tokenFor } from './helpers.mjs';

// The operations port a server logged in its "listening" line.
function opsOf(srv) {
  const m = /msg="listening" .* ops=(\S+):(\d+)/.exec(srv.logs());
  assert.ok(m, `no ops= in:\n${srv.logs()}`);
  return { url: `http://127.0.0.1:${m[2]}`, port: Number(m[2]) };
}

// Whether a WebSocket upgrade to port succeeds.
function wsOpens(port) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, 'droponair.v1');
    ws.on('open', () => { ws.close(); resolve(true); });
    ws.on('error', () => resolve(false));
  });
}

test('/metrics moves to the operations port; /healthz is on both; nothing else is served there', async () => {
  const srv = await startProcess({ args: ['--ops-listen', '127.0.0.1:0'] });
  try {
    const ops = opsOf(srv);
    assert.notEqual(ops.port, srv.port);
    const app = createApp(srv.db, 'pro');
    assert.equal((await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'alice'), body: {} })).status, 201);

    const m = await api(ops, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.body, /droponair_http_requests_total\{route="\/api\/rooms",method="POST",status="201"\} 1\n/);
    const pub = await api(srv, 'GET', '/metrics');
    assert.equal(pub.status, 404);
    assert.equal(pub.body.error.code, 'NOT_FOUND');
    assert.match(pub.body.error.message, /operations port \(--ops-listen\)/);

    for (const s of [srv, ops]) {
      const h = await api(s, 'GET', '/healthz');
      assert.equal(h.status, 200);
      assert.equal(h.body.status, 'ok');
    }
    // The API, the console and WebSockets stay on the public port.
    const info = await fetch(`${ops.url}/api/info`);
    assert.equal(info.status, 404);
    assert.match((await info.json()).error.message, /serves \/healthz and \/metrics only/);
    assert.equal((await fetch(`${ops.url}/`)).status, 404);
    assert.equal((await fetch(`${srv.url}/`)).status, 200);
    assert.equal(await wsOpens(ops.port), false);
    assert.equal(await wsOpens(srv.port), true);
    // Requests on both ports are counted, by route.
    const again = (await api(ops, 'GET', '/metrics')).body;
    assert.match(again, /droponair_http_requests_total\{route="\/healthz",method="GET",status="200"\} 2\n/);
  } finally {
    await srv.stop();
  }
});

test('without --ops-listen /metrics is on the public port, as before', async () => {
  const srv = await startProcess();
  try {
    assert.match(srv.logs(), /msg="listening" .* ops=off/);
    assert.equal((await api(srv, 'GET', '/metrics')).status, 200);
  } finally {
    await srv.stop();
  }
});

test('ops-listen from the config file and from DROPONAIR_OPS_LISTEN; each --reuse-port process has its own', async () => {
  const dir = tempDir();
  const conf = join(dir, 'ops.conf');
  writeFileSync(conf, 'ops-listen = 127.0.0.1:0\n');
  const a = await startProcess({ dir, args: ['--config', conf, '--reuse-port', '--node-id', 'a'] });
  const b = await startProcess({ dir, db: a.db, port: a.port, args: ['--reuse-port', '--node-id', 'b'], env: { DROPONAIR_OPS_LISTEN: '127.0.0.1:0' } });
  try {
    // One public port, two operations ports: each names its own process.
    assert.equal(a.port, b.port);
    for (const [s, id] of [[a, 'a'], [b, 'b']]) {
      const m = await api(opsOf(s), 'GET', '/metrics');
      assert.match(m.body, new RegExp(`droponair_node_info\\{node="${id}"\\} 1`));
    }
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('a bad or busy --ops-listen address is refused at start', async () => {
  const r = spawnSync(BIN, ['serve', '--db', 'sqlite::memory:', '--ops-listen', 'nowhere'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^droponaird: --ops-listen wants HOST:PORT, not "nowhere"$/m);
  const srv = await startProcess();
  try {
    const busy = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', 'sqlite::memory:', '--ops-listen', `127.0.0.1:${srv.port}`],
      { encoding: 'utf8', timeout: 10000 });
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /msg="cannot listen" addr=127\.0\.0\.1:\d+ what=ops/);
  } finally {
    await srv.stop();
  }
});

test('near the descriptor limit the operations port answers 503 too, then serves again', async () => {
  const LIMIT = 192;
  const srv = await startProcess({ prefix: ['prlimit', `--nofile=${LIMIT}:${LIMIT}`, '--'], args: ['--ops-listen', '127.0.0.1:0', '--header-timeout', '30'] });
  const ops = opsOf(srv);
  const held = [];
  try {
    for (let i = 0; i < LIMIT; i++) held.push(await idle(srv.port));
    await sleep(300);
    const late = await idle(ops.port);
    await Promise.race([late.closed, sleep(3000)]);
    assert.ok(late.data().startsWith('HTTP/1.1 503'), `the operations port answered: ${late.data() || '(nothing)'}`);
    for (const c of held) c.sock.destroy();
    await sleep(300);
    assert.equal((await api(ops, 'GET', '/metrics')).status, 200);
  } finally {
    for (const c of held) c.sock.destroy();
    await srv.stop();
  }
});
