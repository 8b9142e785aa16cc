// The string and integer policy (docs/api.md, "Strings"): invalid UTF-8,
// U+0000, control characters and integers beyond 64 bits are refused and
// named, over REST and over WebSocket, never stored or pushed to anyone.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app, alice, roomId;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  alice = tokenFor(app, 'alice');
  roomId = (await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'r' } })).body.roomId;
});
after(async () => { await srv.stop(); });

const json = { 'content-type': 'application/json' };
// A JSON body as raw bytes: `parts` are strings or byte arrays, concatenated.
const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('invalid UTF-8 that json-c lets through is 400 and names the field', async () => {
  const cases = [
    [bytes('{"name":"a', [0xed, 0xa0, 0x80], '"}'), 'name'], // an encoded surrogate
    [bytes('{"name":"', [0xc0, 0xaf], '"}'), 'name'], // an overlong '/'
    [bytes('{"name":"', [0xf4, 0x90, 0x80, 0x80], '"}'), 'name'], // above U+10FFFF
    [bytes('{"metadata":{"k":"', [0xed, 0xbf, 0xbf], '"}}'), 'metadata.k'],
    [bytes('{"hosts":["', [0xc0, 0xaf], '"]}'), 'hosts[0]'],
    ['{"name":"\\ud800"}', 'name'], // an unpaired surrogate escape
  ];
  for (const [raw, field] of cases) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, raw, headers: json });
    assertError(r, 400, 'VALIDATION_FAILED', field);
  }
});

test('control characters are refused; tab, LF and CR only in free text', async () => {
  for (const [body, field] of [
    [{ name: 'red \u001b[31malert' }, 'name'],
    [{ name: 'two\nlines' }, 'name'],
    [{ name: 'del\u007f' }, 'name'],
    [{ name: 'c1\u0085' }, 'name'],
    [{ metadata: { k: 'bell\u0007' } }, 'metadata.k'],
    [{ metadata: { list: ['ok', { deep: '\u0001' }] } }, 'metadata.list[1].deep'],
  ]) {
    assertError(await api(srv, 'POST', '/api/rooms', { token: alice, body }), 400, 'VALIDATION_FAILED', field);
  }
  const r = await api(srv, 'POST', '/api/rooms', {
    token: alice, body: { name: 'Café ☕ 😀', metadata: { notes: 'line 1\nline 2\tend\r\n', 'clé': 'é' } },
  });
  assert.equal(r.status, 201);
  assert.equal(r.body.name, 'Café ☕ 😀');
  assert.equal(r.body.metadata.notes, 'line 1\nline 2\tend\r\n');
});

test('U+0000 is refused, in values and in member names', async () => {
  assertError(await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'a\u0000b' } }),
    400, 'VALIDATION_FAILED', 'name');
  // json-c would keep "a" as the member name and drop the rest.
  assertError(await api(srv, 'POST', '/api/rooms', { token: alice, body: { metadata: { 'a\u0000b': 1 } } }),
    400, 'VALIDATION_FAILED', 'metadata.a\\u0000b');
  assertError(await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, body: { metadata: { 'x\u0000': 'y' } } }),
    400, 'VALIDATION_FAILED', 'metadata.x\\u0000');
  const got = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: alice });
  assert.deepEqual(got.body.metadata, {});
  assert.equal(got.body.version, 1);
});

test('integers beyond 64 bits are refused, not clamped', async () => {
  for (const [raw, field] of [
    ['{"scheduledStartAt":9223372036854775808}', 'scheduledStartAt'],
    ['{"scheduledEndAt":99999999999999999999999}', 'scheduledEndAt'],
    ['{"policy":{"maxParticipants":18446744073709551616}}', 'policy.maxParticipants'],
    ['{"metadata":{"n":-9223372036854775809}}', 'metadata.n'],
  ]) {
    assertError(await api(srv, 'POST', '/api/rooms', { token: alice, raw, headers: json }), 400, 'VALIDATION_FAILED', field);
  }
  const r = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: alice, raw: '{"scheduledEndAt":9223372036854775808}', headers: json });
  assertError(r, 400, 'VALIDATION_FAILED', 'scheduledEndAt');
  // The largest int64 is a value like any other.
  const ok = await api(srv, 'POST', '/api/rooms', { token: alice, raw: '{"metadata":{"n":9223372036854775807}}', headers: json });
  assert.equal(ok.status, 201);
});

test('an error message quoting a bad path stays valid UTF-8', async () => {
  const r = await api(srv, 'GET', '/api/nothing%ed%a0%80%1b', { token: alice });
  assertError(r, 404, 'NOT_FOUND');
  assert.ok(!r.body.error.message.includes('\u001b'));
});

test('over WebSocket: BAD_REQUEST names the field; nothing reaches the peer', async () => {
  const a = await WsClient.connect(srv, alice);
  const b = await WsClient.connect(srv, tokenFor(app, 'bob'));
  const ja = await a.request({ type: 'JOIN_ROOM', roomId });
  await b.request({ type: 'JOIN_ROOM', roomId });
  const callId = ja.callId;
  const bad = [
    [{ type: 'GROUP_CALL_SIGNAL', callId, signal: 'GROUP_CALL_SDP_OFFER', to: 'bob', payload: 'v=0\u0000' }, 'payload'],
    [{ type: 'GROUP_CALL_SIGNAL', callId, signal: 'GROUP_CALL_SDP_OFFER', to: 'bob', payload: { sdp: 'x\u001b' } }, 'payload.sdp'],
    [{ type: 'GROUP_CALL_SIGNAL', callId, signal: 'GROUP_CALL_SDP_OFFER', to: 'bob', payload: { ['k\u0000']: 1 } }, 'payload.k\\u0000'],
    [{ type: 'JOIN_ROOM', roomId: `${roomId}\u0000` }, 'roomId'],
    [{ type: 'JOIN_ROOM', roomId: 'rm_\u0007' }, 'roomId'],
  ];
  for (const [cmd, field] of bad) {
    const r = await a.request(cmd);
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.error.code, 'BAD_REQUEST');
    assert.equal(r.error.field, field);
  }
  // Integers beyond 64 bits, sent as raw text.
  a.sendRaw(`{"id":99,"type":"RESUME","resumeToken":"rt_x","lastSeq":18446744073709551616}`);
  const big = await new Promise((resolve) => { a.pending.set(99, resolve); });
  assert.equal(big.error.code, 'BAD_REQUEST');
  assert.equal(big.error.field, 'lastSeq');
  // An id that breaks the rules is refused and not echoed.
  a.sendRaw('{"id":"\\u0001","type":"PING"}');
  await sleep(200);
  const noId = a.frames.find((f) => f.ok === false && f.error.field === 'id');
  assert.ok(noId, JSON.stringify(a.frames.slice(-3)));
  assert.equal(noId.id, undefined);
  // SDP keeps its CRLFs: free text.
  const ok = await a.request({ type: 'GROUP_CALL_SIGNAL', callId, signal: 'GROUP_CALL_SDP_OFFER', to: 'bob', payload: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  const got = await b.waitEvent('GROUP_CALL_SDP_OFFER');
  assert.equal(got.payload, 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n');
  assert.equal(b.eventsOf('GROUP_CALL_SDP_OFFER').length, 1);
  await a.close();
  await b.close();
});

test('a room name with bad bytes is never pushed to a call', async () => {
  const room = (await api(srv, 'POST', '/api/rooms', { token: alice, body: {} })).body.roomId;
  const b = await WsClient.connect(srv, tokenFor(app, 'bob'));
  await b.request({ type: 'JOIN_ROOM', roomId: room });
  const r = await api(srv, 'PATCH', `/api/rooms/${room}`, {
    token: alice, raw: bytes('{"name":"', [0xed, 0xa0, 0x80], '"}'), headers: json,
  });
  assertError(r, 400, 'VALIDATION_FAILED', 'name');
  // bob's connection is still fine (a text frame with invalid UTF-8 would have closed it).
  const p = await b.request({ type: 'PING' });
  assert.equal(p.pong, true);
  assert.equal(b.eventsOf('ROOM_UPDATED').length, 0);
  await b.close();
});

test('a display name with control characters is refused at AUTH', async () => {
  const c = await WsClient.open(srv);
  const r = await c.request({ type: 'AUTH', token: tokenFor(app, 'carol', { name: 'Carol\u001b[2J' }) });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'UNAUTHORIZED');
  assert.match(r.error.message, /name/);
  await c.close();
  assertError(await api(srv, 'GET', '/api/rooms', { token: tokenFor(app, 'carol', { name: 'a\nb' }) }), 401, 'UNAUTHORIZED');
});
