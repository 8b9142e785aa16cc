// Bad bodies and requests: each gets a clear JSON error; the server goes on.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { api, assertError, createApp, startServer, tokenFor } from './helpers.mjs';

let srv, alice, roomId;
before(async () => {
  srv = await startServer();
  alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
  roomId = (await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'r' } })).body.roomId;
});
after(async () => { await srv.stop(); });

test('field table: unknown, wrong type, out of range, each named', async () => {
  const cases = [
    [{ waitingroom: true }, 'waitingroom'],
    [{ policy: { waitingroom: true } }, 'policy.waitingroom'],
    [{ name: 7 }, 'name'],
    [{ name: 'x'.repeat(201) }, 'name'],
    [{ policy: { maxParticipants: 26 } }, 'policy.maxParticipants'],
    [{ policy: { maxParticipants: 0 } }, 'policy.maxParticipants'],
    [{ policy: { maxParticipants: 2.5 } }, 'policy.maxParticipants'],
    [{ policy: { requireHost: 'yes' } }, 'policy.requireHost'],
    [{ policy: [] }, 'policy'],
    [{ scheduledStartAt: -5 }, 'scheduledStartAt'],
    [{ scheduledStartAt: '2026-01-01' }, 'scheduledStartAt'],
    [{ scheduledStartAt: 10, scheduledEndAt: 5 }, 'scheduledEndAt'],
    [{ hosts: 'bob' }, 'hosts'],
    [{ hosts: ['ok', 3] }, 'hosts[1]'],
    [{ hosts: Array.from({ length: 51 }, (_, i) => `u${i}`) }, 'hosts'],
    [{ metadata: 'x' }, 'metadata'],
    [{ metadata: { big: 'x'.repeat(4100) } }, 'metadata'],
    [{ roomId: 'rm_mine' }, 'roomId'],
    [{ version: 3 }, 'version'],
  ];
  for (const [body, field] of cases) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, body });
    assertError(r, 400, 'VALIDATION_FAILED', field);
    assert.ok(r.body.error.message.includes(field.replace(/\[\d+\]$/, '')), r.body.error.message);
  }
  const p = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { status: 'OPEN' } });
  assertError(p, 400, 'VALIDATION_FAILED', 'status');
  const q = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { createdBy: 'eve' } });
  assertError(q, 400, 'VALIDATION_FAILED', 'createdBy');
});

test('malformed JSON is 400 MALFORMED_JSON; a non-object is 400', async () => {
  for (const raw of ['{bad', '{"a":1,}', "{'a':1}", '{"a":NaN}', '{"name":"x"} trailing', '\u00ff']) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, raw, headers: { 'content-type': 'application/json' } });
    assertError(r, 400, 'MALFORMED_JSON');
  }
  for (const raw of ['[]', '"x"', '12', 'null']) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, raw, headers: { 'content-type': 'application/json' } });
    assertError(r, 400, 'VALIDATION_FAILED');
  }
  const bad = Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]); // invalid UTF-8
  const r = await api(srv, 'POST', '/api/rooms', { token: alice, raw: bad, headers: { 'content-type': 'application/json' } });
  assertError(r, 400, 'MALFORMED_JSON');
});

test('other media types are 415', async () => {
  const r = await api(srv, 'POST', '/api/rooms', {
    token: alice, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assertError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
});

test('an oversized body is 413 and the server keeps serving', async () => {
  const raw = JSON.stringify({ name: 'x', metadata: { pad: 'y'.repeat(70 * 1024) } });
  const r = await api(srv, 'POST', '/api/rooms', { token: alice, raw, headers: { 'content-type': 'application/json' } });
  assertError(r, 413, 'PAYLOAD_TOO_LARGE');
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomId}`, { token: alice })).status, 200);
});

test('a chunked body is 411', async () => {
  const reply = await rawRequest(srv.port,
    `POST /api/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice}\r\n` +
    'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 411/);
  assert.match(reply, /"code":"LENGTH_REQUIRED"/);
});

test('unknown routes are 404, wrong methods 405 with Allow', async () => {
  assertError(await api(srv, 'GET', '/api/nothing', { token: alice }), 404, 'NOT_FOUND');
  assertError(await api(srv, 'GET', '/api/rooms/a/b', { token: alice }), 404, 'NOT_FOUND');
  const r = await api(srv, 'PUT', '/api/rooms', { token: alice, body: {} });
  assertError(r, 405, 'METHOD_NOT_ALLOWED');
  assert.match(r.headers.get('allow'), /GET/);
  assert.match(r.headers.get('allow'), /POST/);
});

test('bad query parameters are named', async () => {
  assertError(await api(srv, 'GET', '/api/rooms?limit=0', { token: alice }), 400, 'VALIDATION_FAILED', 'limit');
  assertError(await api(srv, 'GET', '/api/rooms?limit=201', { token: alice }), 400, 'VALIDATION_FAILED', 'limit');
  assertError(await api(srv, 'GET', '/api/rooms?limit=ten', { token: alice }), 400, 'VALIDATION_FAILED', 'limit');
  assertError(await api(srv, 'GET', '/api/rooms?status=OPEN', { token: alice }), 400, 'VALIDATION_FAILED', 'status');
  assertError(await api(srv, 'GET', '/api/rooms?cursor=zzz', { token: alice }), 400, 'VALIDATION_FAILED', 'cursor');
});

// Sends bytes on a fresh TCP connection and returns everything read until close or 3 s.
function rawRequest(port, text) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.setTimeout(3000, () => { sock.destroy(); resolve(data); });
    sock.on('data', (d) => { data += d; if (/\r\n\r\n[\s\S]*\}/.test(data)) { sock.destroy(); resolve(data); } });
    sock.on('error', reject);
    sock.on('close', () => resolve(data));
    sock.write(text);
  });
}

test('Content-Type must be JSON exactly: a longer media type is 415', async () => {
  for (const ct of ['application/jsonx', 'application/json-seq', 'application/jsonp; charset=utf-8']) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, raw: '{"name":"x"}', headers: { 'content-type': ct } });
    assert.equal(r.status, 415, ct);
    assert.equal(r.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
  }
  const ok = await api(srv, 'POST', '/api/rooms', { token: alice, raw: '{"name":"x"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
  assert.equal(ok.status, 201);
});
