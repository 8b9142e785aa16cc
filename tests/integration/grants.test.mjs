// Token grants (docs/api.md, "Grants and admin tokens"): the "grants" claim
// narrows what an end-user token may do — create rooms, act on some rooms
// only, publish some media only — over REST and WebSocket alike; a token
// without it keeps every right it had; a malformed claim refuses the token.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, cli, createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app, other, alice, roomA, roomB, roomC;
const NO_ROOM = 'rm_AAAAAAAAAAAAAAAAAAAAAA'; // well-formed, never made

const tok = (user, g, extra = {}) => tokenFor(app, user, g === undefined ? extra : { ...extra, grants: g });

before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'business');
  other = createApp(srv.db, 'business');
  alice = tokenFor(app, 'alice');
  const make = async (body = {}) => (await api(srv, 'POST', '/api/rooms', { token: alice, body })).body.roomId;
  roomA = await make({ name: 'A', hosts: ['hank'] });
  roomB = await make({ name: 'B', hosts: ['hank'] });
  roomC = await make({ name: 'C', hosts: ['hank'], policy: { waitingRoom: true } });
});
after(async () => { await srv.stop(); });

test('a token without grants keeps every right; /api/info shows what a token may do', async () => {
  const r = await api(srv, 'GET', '/api/info', { token: alice });
  assert.deepEqual(r.body.grants, { admin: false, createRooms: true, rooms: null, publish: ['audio', 'video', 'screen'] });
  const empty = await api(srv, 'GET', '/api/info', { token: tok('alice', {}) });
  assert.deepEqual(empty.body.grants, r.body.grants);
  const scoped = await api(srv, 'GET', '/api/info', { token: tok('ann', { rooms: [roomA], publish: ['audio'] }) });
  assert.deepEqual(scoped.body.grants, { admin: false, createRooms: false, rooms: [roomA], publish: ['audio'] });
  assert.equal((await api(srv, 'POST', '/api/rooms', { token: tok('zed', {}), body: {} })).status, 201);
});

test('a malformed grants claim refuses the token, with a message naming the claim', async () => {
  const cases = [
    [true, 'grants must be an object'],
    [null, 'grants must be an object'],
    [{ admim: true }, 'unknown member'],
    [{ admin: 'yes' }, 'grants.admin'],
    [{ createRooms: 0 }, 'grants.createRooms'],
    [{ rooms: roomA }, 'grants.rooms'],
    [{ rooms: [] }, 'grants.rooms'],
    [{ rooms: ['room-a'] }, 'grants.rooms'],
    [{ rooms: ['rm_short'] }, 'grants.rooms'],
    [{ rooms: Array.from({ length: 9 }, (_, i) => `rm_${String.fromCharCode(65 + i).repeat(21)}A`) }, 'at most 8'],
    [{ rooms: [roomA], createRooms: true }, 'grants.createRooms'],
    [{ publish: 'audio' }, 'grants.publish'],
    [{ publish: ['audio', 'data'] }, 'grants.publish'],
  ];
  for (const [g, named] of cases) {
    const t = tok('alice', g);
    for (const [method, path] of [['GET', '/api/info'], ['GET', `/api/rooms/${roomA}`], ['POST', '/api/rooms']]) {
      const r = await api(srv, method, path, { token: t, body: method === 'POST' ? {} : undefined });
      assertError(r, 401, 'UNAUTHORIZED');
      assert.ok(r.body.error.message.includes(named), `${JSON.stringify(g)}: ${r.body.error.message}`);
    }
    const c = await WsClient.open(srv);
    const a = await c.request({ type: 'AUTH', token: t });
    assert.equal(a.error.code, 'UNAUTHORIZED');
    assert.ok(a.error.message.includes(named), a.error.message);
    await c.close();
  }
  // Over the upgrade's header the connection gets ERROR and a close.
  const h = await WsClient.open(srv, { token: tok('alice', { rooms: [] }) });
  const { code } = await h.closed;
  assert.equal(code, 1008);
  assert.equal(h.events[0].type, 'ERROR');
  assert.match(h.events[0].error.message, /grants\.rooms/);
});

test('createRooms: false and room-scoped tokens cannot create rooms', async () => {
  assertError(await api(srv, 'POST', '/api/rooms', { token: tok('bob', { createRooms: false }), body: {} }), 403, 'FORBIDDEN');
  const scoped = await api(srv, 'POST', '/api/rooms', { token: tok('bob', { rooms: [roomA] }), body: {} });
  assertError(scoped, 403, 'FORBIDDEN');
  assert.match(scoped.body.error.message, /grants\.rooms/);
  assertError(await api(srv, 'POST', '/api/rooms', { token: tok('bob', { rooms: [roomA], createRooms: false }), body: {} }), 403, 'FORBIDDEN');
  // Refused before the body is read or an Idempotency-Key is remembered.
  const k = await api(srv, 'POST', '/api/rooms', { token: tok('bob', { createRooms: false }), body: { name: 'x' }, headers: { 'idempotency-key': 'k1' } });
  assertError(k, 403, 'FORBIDDEN');
  const ok = await api(srv, 'POST', '/api/rooms', { token: tok('bob', { createRooms: true }), body: { name: 'x' }, headers: { 'idempotency-key': 'k1' } });
  assert.equal(ok.status, 201);
});

test('a room-scoped token gets 403 on every route about another room, existing or not', async () => {
  const hankA = tok('hank', { rooms: [roomA] }); // hank hosts A, B and C
  const aliceA = tok('alice', { rooms: [roomA] }); // alice created them
  for (const id of [roomB, NO_ROOM]) {
    const routes = [
      ['GET', `/api/rooms/${id}`],
      ['PATCH', `/api/rooms/${id}`, { name: 'no' }], ['DELETE', `/api/rooms/${id}`],
      ['GET', `/api/rooms/${id}/waiting`], ['POST', `/api/rooms/${id}/waiting/admit-all`],
      ['POST', `/api/rooms/${id}/waiting/bob/admit`], ['POST', `/api/rooms/${id}/waiting/bob/deny`],
      ['POST', `/api/rooms/${id}/participants/bob/remove`, {}], ['POST', `/api/rooms/${id}/call/end`],
    ];
    for (const [method, path, body] of routes) {
      for (const t of [hankA, aliceA]) {
        const r = await api(srv, method, path, { token: t, body });
        assert.equal(r.status, 403, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'FORBIDDEN');
        assert.match(r.body.error.message, /grants\.rooms/);
      }
    }
  }
  // Another app's room is not in the scope either: 403 as well (the token says so before any lookup).
  const otherRoom = (await api(srv, 'POST', '/api/rooms', { token: tokenFor(other, 'olga'), body: {} })).body.roomId;
  assertError(await api(srv, 'GET', `/api/rooms/${otherRoom}`, { token: aliceA }), 403, 'FORBIDDEN');
  // Inside the scope everything is as before: the room's rules decide.
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomA}`, { token: hankA })).status, 200);
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomA}/waiting`, { token: hankA })).status, 200);
  assertError(await api(srv, 'PATCH', `/api/rooms/${roomA}`, { token: hankA, body: { name: 'x' } }), 403, 'FORBIDDEN'); // not the creator
  assertError(await api(srv, 'POST', `/api/rooms/${roomA}/waiting/bob/admit`, { token: hankA }), 409, 'NOT_WAITING');
  assertError(await api(srv, 'POST', `/api/rooms/${roomA}/call/end`, { token: hankA }), 409, 'NO_LIVE_CALL');
  assertError(await api(srv, 'POST', `/api/rooms/${roomA}/participants/bob/remove`, { token: hankA }), 409, 'NO_LIVE_CALL');
  assert.equal((await api(srv, 'PATCH', `/api/rooms/${roomA}`, { token: aliceA, body: { name: 'A2' } })).status, 200);
  assertError(await api(srv, 'GET', `/api/rooms/${roomA}/waiting`, { token: tok('bob', { rooms: [roomA] }) }), 403, 'FORBIDDEN'); // not a host
  // A room-scoped token of another app: 404 inside its scope, as for any token of another app.
  assertError(await api(srv, 'GET', `/api/rooms/${roomA}`, { token: tokenFor(other, 'alice', { grants: { rooms: [roomA] } }) }), 404, 'ROOM_NOT_FOUND');
});

test('a room-scoped token lists only its rooms; the cursor still walks every page', async () => {
  const t = tok('hank', { rooms: [roomA, roomC] });
  const all = (await api(srv, 'GET', '/api/rooms', { token: tokenFor(app, 'hank') })).body.rooms.map((r) => r.roomId);
  assert.deepEqual(all, [roomC, roomB, roomA]);
  assert.deepEqual((await api(srv, 'GET', '/api/rooms', { token: t })).body.rooms.map((r) => r.roomId), [roomC, roomA]);
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const q = `/api/rooms?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
    const r = await api(srv, 'GET', q, { token: t });
    assert.equal(r.status, 200);
    assert.ok(r.body.rooms.length <= 1);
    seen.push(...r.body.rooms.map((x) => x.roomId));
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  assert.deepEqual(seen, [roomC, roomA]);
  assert.deepEqual((await api(srv, 'GET', '/api/rooms', { token: tok('hank', { rooms: [NO_ROOM] }) })).body.rooms, []);
});

test('a room-scoped token over WebSocket: FORBIDDEN for other rooms, leaving always allowed', async () => {
  const scoped = await WsClient.connect(srv, tok('hank', { rooms: [roomA] }));
  for (const type of ['JOIN_ROOM', 'WATCH_ROOM']) {
    for (const roomId of [roomB, NO_ROOM]) {
      const r = await scoped.request({ type, roomId });
      assert.equal(r.error.code, 'FORBIDDEN', `${type} ${roomId}: ${JSON.stringify(r)}`);
      assert.match(r.error.message, /grants\.rooms/);
    }
  }
  assert.equal((await scoped.request({ type: 'ADMIT', roomId: roomB, all: true })).error.code, 'FORBIDDEN');
  assert.equal((await scoped.request({ type: 'DENY', roomId: roomB, userId: 'x' })).error.code, 'FORBIDDEN');
  // Giving something up is never refused: the room's own answer comes back.
  assert.equal((await scoped.request({ type: 'CANCEL_WAIT', roomId: roomB })).error.code, 'NOT_WAITING');
  assert.equal((await scoped.request({ type: 'UNWATCH_ROOM', roomId: roomB })).ok, true);
  // Its own room works as before.
  const j = await scoped.request({ type: 'JOIN_ROOM', roomId: roomA });
  assert.equal(j.status, 'JOINED');
  assert.equal((await scoped.request({ type: 'WATCH_ROOM', roomId: roomA })).ok, true);
  assert.equal((await scoped.request({ type: 'ADMIT', roomId: roomA, all: true })).ok, true);
  assert.equal((await scoped.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId })).ok, true);
  await scoped.close();
});

test('commands by callId follow the room of the call (a session narrowed by a refreshed token)', async () => {
  // hank and bob are in B's call; hank then refreshes his session with a token scoped to A.
  const hank = await WsClient.connect(srv, tokenFor(app, 'hank'));
  const bob = await WsClient.connect(srv, tokenFor(app, 'bob'));
  const callId = (await hank.request({ type: 'JOIN_ROOM', roomId: roomB })).callId;
  assert.equal((await bob.request({ type: 'JOIN_ROOM', roomId: roomB })).status, 'JOINED');
  const again = await hank.request({ type: 'AUTH', token: tok('hank', { rooms: [roomA] }) });
  assert.equal(again.ok, true);
  const refused = [
    { type: 'GROUP_CALL_SIGNAL', callId, signal: 'GROUP_CALL_ICE_CANDIDATE', to: 'bob', payload: { candidate: 'x' } },
    { type: 'GROUP_CALL_MEDIA_STATE', callId, audio: false },
    { type: 'GROUP_CALL_SCREEN_SHARE_START', callId },
    { type: 'MUTE_PARTICIPANT', callId, userId: 'bob', kind: 'audio' },
    { type: 'REMOVE_PARTICIPANT', callId, userId: 'bob' },
    { type: 'SET_ROLE', callId, userId: 'bob', role: 'CO_HOST' },
    { type: 'END_CALL', callId },
  ];
  for (const cmd of refused) {
    const r = await hank.request(cmd);
    assert.equal(r.ok, false, JSON.stringify(cmd));
    assert.equal(r.error.code, 'FORBIDDEN', `${cmd.type}: ${JSON.stringify(r)}`);
    assert.match(r.error.message, /grants\.rooms/);
  }
  await sleep(100);
  assert.equal(bob.eventsOf('GROUP_CALL_MUTE_REQUESTED').length + bob.eventsOf('GROUP_CALL_REMOVED').length, 0);
  assert.equal((await hank.request({ type: 'GROUP_CALL_SCREEN_SHARE_STOP', callId })).ok, true);
  assert.equal((await hank.request({ type: 'GROUP_CALL_LEAVE', callId })).ok, true);
  await bob.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'hank');
  // A refresh back to a token without grants gives the rights back.
  assert.equal((await hank.request({ type: 'AUTH', token: tokenFor(app, 'hank') })).ok, true);
  assert.equal((await hank.request({ type: 'JOIN_ROOM', roomId: roomB })).status, 'JOINED');
  assert.equal((await hank.request({ type: 'END_CALL', callId })).ok, true);
  await hank.close();
  await bob.close();
});

const SDP_AV = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n';
const SDP_A = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n';
const SDP_V = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=inactive\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
const SDP_NONE = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 0 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n';

// Joins a fresh room (made by alice) with the peer (no grants) and a token with publish.
async function callWith(publish, user) {
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: alice, body: {} })).body.roomId;
  const peer = await WsClient.connect(srv, tokenFor(app, `peer-${user}`));
  const me = await WsClient.connect(srv, tok(user, { publish }));
  const callId = (await peer.request({ type: 'JOIN_ROOM', roomId })).callId;
  const j = await me.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(j.status, 'JOINED');
  return { roomId, callId, peer, me, joined: j, peerId: `peer-${user}` };
}

const signal = (c, signal, payload) => c.me.request({ type: 'GROUP_CALL_SIGNAL', callId: c.callId, signal, to: c.peerId, payload });

test('publish ["audio"]: no video or screen, on the media state, the share and the SDP', async () => {
  const c = await callWith(['audio'], 'lisa');
  const self = c.joined.participants.find((p) => p.userId === 'lisa');
  assert.deepEqual([self.audio, self.video], [true, false], 'a member starts without the media it may not publish');
  const view = await api(srv, 'GET', `/api/rooms/${c.roomId}`, { token: alice });
  assert.equal(view.body.call.participants.find((p) => p.userId === 'lisa').video, false);

  const v = await c.me.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: c.callId, video: true });
  assert.equal(v.error.code, 'FORBIDDEN');
  assert.match(v.error.message, /video.*grants\.publish/);
  const av = await c.me.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: c.callId, audio: true, video: true });
  assert.equal(av.error.code, 'FORBIDDEN');
  assert.equal((await c.me.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: c.callId, audio: true, video: false })).ok, true);
  assert.equal((await c.me.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: c.callId, audio: false })).ok, true);
  const ms = await c.peer.waitEvent('GROUP_CALL_MEDIA_STATE', (e) => e.userId === 'lisa' && e.audio === false);
  assert.equal(ms.video, false);
  const sh = await c.me.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId: c.callId });
  assert.equal(sh.error.code, 'FORBIDDEN');
  assert.match(sh.error.message, /screen.*grants\.publish/);

  // Signaling: an offer or answer that sends video is refused and never relayed.
  for (const payload of [SDP_AV, { type: 'offer', sdp: SDP_AV }, SDP_V]) {
    for (const sig of ['GROUP_CALL_SDP_OFFER', 'GROUP_CALL_SDP_ANSWER']) {
      const r = await signal(c, sig, payload);
      assert.equal(r.error.code, 'FORBIDDEN', JSON.stringify(r));
      assert.match(r.error.message, /m=video/);
    }
  }
  // SDP the server cannot read, from a token that holds media back: refused too.
  for (const payload of [{ type: 'offer' }, { sdp: 7 }, 42, null, ['v=0']]) {
    const r = await signal(c, 'GROUP_CALL_SDP_OFFER', payload);
    assert.equal(r.error.code, 'FORBIDDEN', JSON.stringify(payload));
    assert.match(r.error.message, /payload\.sdp/);
  }
  await sleep(100);
  assert.equal(c.peer.eventsOf('GROUP_CALL_SDP_OFFER').length + c.peer.eventsOf('GROUP_CALL_SDP_ANSWER').length, 0);
  // Receiving video, sending audio, and ICE candidates are fine.
  assert.equal((await signal(c, 'GROUP_CALL_SDP_OFFER', SDP_A)).ok, true);
  assert.equal((await signal(c, 'GROUP_CALL_SDP_ANSWER', { type: 'answer', sdp: SDP_A, gen: 2 })).ok, true);
  assert.equal((await signal(c, 'GROUP_CALL_ICE_CANDIDATE', { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host' })).ok, true);
  const got = await c.peer.waitEvent('GROUP_CALL_SDP_ANSWER');
  assert.equal(got.payload.sdp, SDP_A);
  // The peer without grants sends what it likes.
  assert.equal((await c.peer.request({ type: 'GROUP_CALL_SIGNAL', callId: c.callId, signal: 'GROUP_CALL_SDP_OFFER', to: 'lisa', payload: { weird: true } })).ok, true);
  for (const x of [c.me, c.peer]) await x.close();
});

test('publish []: listen only; publish ["screen"]: shares, and its SDP may send video', async () => {
  const l = await callWith([], 'leo');
  const self = l.joined.participants.find((p) => p.userId === 'leo');
  assert.deepEqual([self.audio, self.video], [false, false]);
  const a = await l.me.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: l.callId, audio: true });
  assert.equal(a.error.code, 'FORBIDDEN');
  assert.match(a.error.message, /audio/);
  assert.equal((await l.me.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: l.callId, audio: false, video: false })).ok, true);
  const sa = await signal(l, 'GROUP_CALL_SDP_OFFER', SDP_A);
  assert.equal(sa.error.code, 'FORBIDDEN');
  assert.match(sa.error.message, /m=audio/);
  assert.equal((await signal(l, 'GROUP_CALL_SDP_ANSWER', SDP_NONE)).ok, true);
  assert.equal((await l.me.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId: l.callId })).error.code, 'FORBIDDEN');
  for (const x of [l.me, l.peer]) await x.close();

  const s = await callWith(['screen'], 'sam');
  assert.equal((await s.me.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId: s.callId })).ok, true);
  await s.peer.waitEvent('GROUP_CALL_SCREEN_SHARE_STARTED', (e) => e.userId === 'sam');
  // A screen travels as an m=video section: SDP cannot tell it from a camera.
  assert.equal((await signal(s, 'GROUP_CALL_SDP_OFFER', SDP_V)).ok, true);
  assert.equal((await signal(s, 'GROUP_CALL_SDP_OFFER', SDP_AV)).error.code, 'FORBIDDEN'); // audio
  assert.equal((await s.me.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: s.callId, video: true })).error.code, 'FORBIDDEN');
  assert.equal((await s.me.request({ type: 'GROUP_CALL_SCREEN_SHARE_STOP', callId: s.callId })).ok, true);
  for (const x of [s.me, s.peer]) await x.close();
});

test('an admitted waiter starts without the media its token may not publish', async () => {
  const host = await WsClient.connect(srv, tokenFor(app, 'hank'));
  const w = await WsClient.connect(srv, tok('wes', { publish: ['audio'], rooms: [roomC] }));
  await host.request({ type: 'JOIN_ROOM', roomId: roomC });
  assert.equal((await w.request({ type: 'JOIN_ROOM', roomId: roomC })).status, 'WAITING_ROOM_PENDING');
  assert.equal((await host.request({ type: 'ADMIT', roomId: roomC, userId: 'wes' })).ok, true);
  const ad = await w.waitEvent('GROUP_CALL_ADMITTED');
  const self = ad.participants.find((p) => p.userId === 'wes');
  assert.deepEqual([self.audio, self.video], [true, false]);
  const callId = ad.callId;
  assert.equal((await host.request({ type: 'END_CALL', callId })).ok, true);
  await host.close();
  await w.close();
});

test('droponaird token mints grants; a bad flag is refused before signing', () => {
  const payload = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
  const base = ['token', '--db', srv.db, '--app', app.appId, '--user', 'kim'];
  assert.equal(payload(cli(base).trim()).grants, undefined);
  const t = cli([...base, '--rooms', `${roomA},${roomB}`, '--rooms', roomC, '--publish', 'audio,screen']).trim();
  assert.deepEqual(payload(t).grants, { rooms: [roomA, roomB, roomC], publish: ['audio', 'screen'] });
  assert.deepEqual(payload(cli([...base, '--no-create-rooms', '--publish', 'none']).trim()).grants, { createRooms: false, publish: [] });
  assert.deepEqual(payload(cli([...base, '--admin']).trim()).grants, { admin: true });
  for (const bad of [['--rooms', 'nope'], ['--publish', 'smell'], ['--rooms', ',']]) {
    assert.throws(() => cli([...base, ...bad]), (e) => e.status === 2 && /grants\./.test(e.stderr));
  }
});

test('the minted tokens work as the claim says', async () => {
  const t = cli(['token', '--db', srv.db, '--app', app.appId, '--user', 'kim', '--rooms', roomA]).trim();
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomA}`, { token: t })).status, 200);
  assertError(await api(srv, 'GET', `/api/rooms/${roomB}`, { token: t }), 403, 'FORBIDDEN');
  assertError(await api(srv, 'POST', '/api/rooms', { token: t, body: {} }), 403, 'FORBIDDEN');
});
