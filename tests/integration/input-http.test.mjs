// The HTTP layer's input: headers read whole or refused (never ignored or
// cut), query arguments the same, paths never routed as a truncated self,
// JSON for what lws's parser gives up on, HEAD without a body, user ids
// holding '/', hosts and token claims at their limits.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { api, assertError, createApp, sign, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app, alice;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  alice = tokenFor(app, 'alice');
});
after(async () => { await srv.stop(); });

const newRoom = async (body = {}) => (await api(srv, 'POST', '/api/rooms', { token: alice, body })).body.roomId;

// Sends bytes on a fresh connection; resolves with all it reads until the
// server closes or nothing more comes for `idle` ms.
function rawRequest(text, idle = 700) {
  return new Promise((resolve, reject) => {
    const sock = connect(srv.port, '127.0.0.1');
    let data = '';
    let timer;
    const done = () => { clearTimeout(timer); sock.destroy(); resolve(data); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(done, idle); };
    sock.on('data', (d) => { data += d; arm(); });
    sock.on('error', (e) => (e.code === 'ECONNRESET' ? done() : reject(e)));
    sock.on('close', done);
    sock.write(text);
    arm();
  });
}

// Splits what a keep-alive connection returned into {status, headers, body};
// heads[i] says the i-th request was a HEAD (its answer has no body).
function responses(text, heads) {
  const out = [];
  while (text.length) {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [line, ...hs] = text.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(hs.map((h) => [h.slice(0, h.indexOf(':')).toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]));
    const status = Number(line.split(' ')[1]);
    const len = Number(headers['content-length'] || 0);
    const bodyLen = heads[out.length] ? 0 : len;
    out.push({ status, headers, body: text.slice(end + 4, end + 4 + bodyLen) });
    text = text.slice(end + 4 + bodyLen);
  }
  return out;
}

test('If-Match is read whole: a long list that does not match is 412, never ignored', async () => {
  const roomId = await newRoom();
  const list = Array.from({ length: 40 }, (_, i) => `"${i + 2}"`).join(', '); // ~250 bytes
  const p = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { name: 'x' }, headers: { 'if-match': list } });
  assertError(p, 412, 'PRECONDITION_FAILED');
  const d = await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: alice, headers: { 'if-match': list } });
  assertError(d, 412, 'PRECONDITION_FAILED');
  // Longer than the server reads: refused, not treated as absent.
  const huge = Array.from({ length: 400 }, (_, i) => `"${i + 2}"`).join(', ');
  const h = await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: alice, headers: { 'if-match': huge } });
  assertError(h, 431, 'HEADERS_TOO_LARGE', 'If-Match');
  const got = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: alice });
  assert.equal(got.status, 200);
  assert.equal(got.body.name, '');
  // A list that holds the version still matches.
  const ok = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { name: 'y' }, headers: { 'if-match': `${list}, "1"` } });
  assert.equal(ok.status, 200);
});

test('Content-Type is read whole: a long non-JSON type is refused, not taken for JSON', async () => {
  const ct = `text/plain; ${'x'.repeat(200)}`;
  const r = await api(srv, 'POST', '/api/rooms', { token: alice, raw: '{}', headers: { 'content-type': ct } });
  assertError(r, 431, 'HEADERS_TOO_LARGE', 'Content-Type');
  const s = await api(srv, 'POST', '/api/rooms', { token: alice, raw: '{}', headers: { 'content-type': `text/plain; ${'x'.repeat(100)}` } });
  assertError(s, 415, 'UNSUPPORTED_MEDIA_TYPE');
});

test('a cursor too long to be ours is 400, not the first page', async () => {
  await newRoom();
  const r = await api(srv, 'GET', `/api/rooms?cursor=${'A'.repeat(600)}`, { token: alice });
  assertError(r, 400, 'VALIDATION_FAILED', 'cursor');
});

test('a path with %00, %0A or an unencoded ; is 400, never routed as its truncated self', async () => {
  for (const path of ['/api/rooms/%00', '/api/rooms/%00?limit=1', '/api/rooms/%00/x', '/api/rooms/./%00',
    '/api/info%0Ax', '/healthz%0D%0Ax', '/api/rooms?limit=5%0A0']) {
    assertError(await api(srv, 'GET', path, { token: alice }), 400, 'BAD_REQUEST');
  }
  const roomId = await newRoom();
  assertError(await api(srv, 'GET', `/api/rooms/${roomId};x`, { token: alice }), 400, 'BAD_REQUEST');
  assertError(await api(srv, 'DELETE', `/api/rooms/${roomId}/%00`, { token: alice }), 400, 'BAD_REQUEST');
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomId}`, { token: alice })).status, 200);
});

test('headers over 8 KiB and a ~8 KB token get a JSON answer, not a closed connection', async () => {
  const big = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(12000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 200/);
  for (const n of [8300, 9000, 50000]) {
    const r = await rawRequest(`GET /api/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(n)}\r\n\r\n`);
    assert.match(r, /^HTTP\/1\.1 401/, `token of ${n} bytes: ${r.slice(0, 80)}`);
    assert.match(r, /"code":"UNAUTHORIZED"/);
  }
  const t = await api(srv, 'GET', '/api/rooms', { token: 'x'.repeat(8200) });
  assertError(t, 401, 'UNAUTHORIZED');
  const o = await rawRequest(`GET /healthz HTTP/1.1\r\nHost: x\r\nOrigin: https://${'o'.repeat(9000)}\r\n\r\n`);
  assert.match(o, /^HTTP\/1\.1 431/);
  assert.match(o, /"code":"HEADERS_TOO_LARGE","message":"[^"]*","field":"Origin"/);
});

test('unknown methods and CONNECT are answered in JSON', async () => {
  for (const [req, method] of [['PROPFIND /api/rooms HTTP/1.1', 'PROPFIND'], ['CONNECT example.com:443 HTTP/1.1', 'CONNECT']]) {
    const r = await rawRequest(`${req}\r\nHost: x\r\n\r\n`);
    assert.match(r, /^HTTP\/1\.1 501/, r.slice(0, 120));
    assert.match(r, /content-type: application\/json/i);
    const body = JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 'NOT_IMPLEMENTED');
    assert.ok(body.error.message.includes(method));
  }
  assert.equal((await api(srv, 'GET', '/healthz')).status, 200);
});

test('HEAD answers have no body, so keep-alive pipelining goes on', async () => {
  const roomId = await newRoom({ name: 'head' });
  const text = await rawRequest(
    'HEAD /api/info HTTP/1.1\r\nHost: x\r\n\r\n' +
    `HEAD /api/rooms/${roomId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice}\r\n\r\n` +
    'HEAD /api/rooms/x/call/end HTTP/1.1\r\nHost: x\r\n\r\n' +
    'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const rs = responses(text, [true, true, true, false]);
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 405, 200], text);
  assert.equal(rs[1].headers.etag, '"1"');
  assert.ok(Number(rs[1].headers['content-length']) > 0);
  assert.match(rs[3].body, /^\{"status":"ok","node":"[^"]+"\}$/);
  assert.match(text, /\{"status":"ok","node":"[^"]+"\}$/);
});

test('a user id holding "/" can be moderated over REST (percent-encoded)', async () => {
  const roomId = await newRoom({ policy: { waitingRoom: true } });
  const slash = await WsClient.connect(srv, tokenFor(app, 'team/ann'));
  const waiter = await WsClient.connect(srv, tokenFor(app, 'team/bob'));
  assert.equal((await slash.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  assert.equal((await waiter.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  const a = await api(srv, 'POST', `/api/rooms/${roomId}/waiting/team%2Fann/admit`, { token: alice });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.deepEqual(a.body.admitted, ['team/ann']);
  await slash.waitEvent('GROUP_CALL_ADMITTED');
  const d = await api(srv, 'POST', `/api/rooms/${roomId}/waiting/team%2Fbob/deny`, { token: alice });
  assert.equal(d.status, 204);
  await waiter.waitEvent('GROUP_CALL_DENIED');
  const r = await api(srv, 'POST', `/api/rooms/${roomId}/participants/team%2Fann/remove`, { token: alice });
  assert.equal(r.status, 204, JSON.stringify(r.body));
  const ev = await slash.waitEvent('GROUP_CALL_REMOVED');
  assert.equal(ev.reason, 'REMOVED_BY_HOST');
  await slash.close();
  await waiter.close();
});

test('hosts: 50 others plus the creator is too many', async () => {
  const fifty = Array.from({ length: 50 }, (_, i) => `h${i}`);
  assertError(await api(srv, 'POST', '/api/rooms', { token: alice, body: { hosts: fifty } }), 400, 'VALIDATION_FAILED', 'hosts');
  const ok = await api(srv, 'POST', '/api/rooms', { token: alice, body: { hosts: fifty.slice(1) } });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.hosts.length, 50);
  const withCreator = await api(srv, 'POST', '/api/rooms', { token: alice, body: { hosts: ['alice', ...fifty.slice(1)] } });
  assert.equal(withCreator.status, 201);
});

test('token claims: a far exp works; non-integer nbf or iat is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = (extra) => sign({ sub: 'zed', iss: app.appId, exp: now + 3600, ...extra }, app.secret, { kid: app.kid });
  const far = `${claims({}).split('.')[0]}.${Buffer.from(`{"sub":"zed","exp":9223372036854775807}`).toString('base64url')}`;
  const { createHmac } = await import('node:crypto');
  const farToken = `${far}.${createHmac('sha256', app.secret).update(far).digest('base64url')}`;
  assert.equal((await api(srv, 'GET', '/api/rooms', { token: farToken })).status, 200);
  for (const extra of [{ nbf: 'later' }, { nbf: 1.5 }, { iat: 'now' }, { iat: true }, { exp: now + 3600.5 }]) {
    assertError(await api(srv, 'GET', '/api/rooms', { token: claims(extra) }), 401, 'UNAUTHORIZED');
  }
});

test('over HTTP/2 a HEAD or 204 answer ends its stream', async () => {
  const { execFileSync } = await import('node:child_process');
  const http2 = await import('node:http2');
  const { tempDir } = await import('./helpers.mjs');
  const dir = tempDir();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/k.pem`,
    '-out', `${dir}/c.pem`, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const tls = await startServer({ args: ['--tls-cert', `${dir}/c.pem`, '--tls-key', `${dir}/k.pem`] });
  const tapp = createApp(tls.db, 'pro');
  const token = tokenFor(tapp, 'alice');
  const client = http2.connect(`https://127.0.0.1:${tls.port}`, { rejectUnauthorized: false });
  const ask = (headers, body) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`stream did not end: ${JSON.stringify(headers)}`)), 3000);
    const req = client.request(headers);
    let status, data = '';
    req.on('response', (h) => { status = h[':status']; });
    req.on('data', (d) => { data += d; });
    req.on('end', () => { clearTimeout(t); resolve({ status, data }); });
    req.on('error', reject);
    req.end(body);
  });
  try {
    const head = await ask({ ':method': 'HEAD', ':path': '/api/info' });
    assert.deepEqual([head.status, head.data], [200, '']);
    const made = await ask({ ':method': 'POST', ':path': '/api/rooms', authorization: `Bearer ${token}`, 'content-type': 'application/json' }, '{}');
    assert.equal(made.status, 201);
    const del = await ask({ ':method': 'DELETE', ':path': `/api/rooms/${JSON.parse(made.data).roomId}`, authorization: `Bearer ${token}` });
    assert.deepEqual([del.status, del.data], [204, '']);
  } finally {
    client.close();
    await tls.stop();
  }
});
