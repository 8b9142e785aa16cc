// Health, metrics, the served OpenAPI document and CORS.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, createApp, root, startServer, tokenFor } from './helpers.mjs';

let srv, alice;
before(async () => {
  srv = await startServer({ args: ['--cors-origin', 'https://app.example'] });
  alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
});
after(async () => { await srv.stop(); });

test('/healthz answers ok', async () => {
  const r = await api(srv, 'GET', '/healthz');
  assert.equal(r.status, 200);
  // The node id names the process that answered (--node-id, else HOSTNAME-PID).
  assert.deepEqual(Object.keys(r.body), ['status', 'node']);
  assert.equal(r.body.status, 'ok');
  assert.match(r.body.node, /^[A-Za-z0-9._-]+-\d+$/);
});

test('/metrics counts requests by route and status and rooms in total', async () => {
  await api(srv, 'POST', '/api/rooms', { token: alice, body: {} });
  await api(srv, 'POST', '/api/rooms', { token: alice, body: {} });
  await api(srv, 'GET', '/api/rooms/rm_AAAAAAAAAAAAAAAAAAAAAA', { token: alice });
  const r = await api(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const m = r.body;
  assert.match(m, /droponair_http_requests_total\{route="\/api\/rooms",method="POST",status="201"\} 2\n/);
  assert.match(m, /droponair_http_requests_total\{route="\/api\/rooms\/\{roomId\}",method="GET",status="404"\} 1\n/);
  assert.match(m, /droponair_http_request_duration_seconds_bucket\{route="\/api\/rooms",le="\+Inf"\} 2\n/);
  assert.match(m, /droponair_rooms 2\n/);
  assert.match(m, /process_resident_memory_bytes \d+/);
});

test('/api/openapi.json is docs/openapi.json', async () => {
  const r = await api(srv, 'GET', '/api/openapi.json');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, JSON.parse(readFileSync(join(root, 'docs', 'openapi.json'), 'utf8')));
  assert.equal(r.body.openapi, '3.1.0');
});

test('CORS: preflight and exposed headers for an allowed origin only', async () => {
  const pre = await api(srv, 'OPTIONS', '/api/rooms', {
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,idempotency-key' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(pre.headers.get('access-control-allow-methods'), /PATCH/);
  assert.match(pre.headers.get('access-control-allow-headers'), /Idempotency-Key/);
  assert.match(pre.headers.get('access-control-allow-headers'), /If-Match/);

  const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: {}, headers: { origin: 'https://app.example' } });
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(r.headers.get('access-control-expose-headers'), /ETag/);
  assert.match(r.headers.get('access-control-expose-headers'), /Location/);

  const other = await api(srv, 'GET', '/api/rooms', { token: alice, headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test('dev mode allows any origin and prints a working token', async () => {
  const dev = await startServer({ args: ['--dev'] });
  try {
    assert.match(dev.stdout(), /appId: +dev/);
    const token = dev.stdout().split('\n').find((l) => l.startsWith('eyJ'));
    const r = await api(dev, 'GET', '/api/info', { token, headers: { origin: 'http://localhost:5173' } });
    assert.equal(r.body.userId, 'alice');
    assert.equal(r.body.plan, 'business');
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    const room = await api(dev, 'POST', '/api/rooms', { token, body: { name: 'dev room' } });
    assert.equal(room.status, 201);
  } finally {
    await dev.stop();
  }
});
