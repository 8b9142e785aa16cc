// The admin credential for an app's backend (docs/api.md, "Grants and admin
// tokens"): a token with grants.admin reads, moderates and watches any room
// of its app without being a host, over REST and WebSocket; another app's
// admin can do nothing to this app; the same user without the grant is
// nobody special.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, cli, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app, other, hankT, adminT, plainT, otherAdminT;

before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'business');
  other = createApp(srv.db, 'business');
  hankT = tokenFor(app, 'hank');
  adminT = tokenFor(app, 'backend', { grants: { admin: true } });
  plainT = tokenFor(app, 'backend'); // the same sub, no grant
  otherAdminT = tokenFor(other, 'backend', { grants: { admin: true } });
});
after(async () => { await srv.stop(); });

const newRoom = async (body = { policy: { waitingRoom: true } }) =>
  (await api(srv, 'POST', '/api/rooms', { token: hankT, body })).body.roomId;

// hank hosts a call in a waiting room; the given users knock. Returns the clients.
async function liveCall(roomId, knockers) {
  const host = await WsClient.connect(srv, hankT);
  const j = await host.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(j.status, 'JOINED');
  const waiters = {};
  for (const u of knockers) {
    waiters[u] = await WsClient.connect(srv, tokenFor(app, u));
    assert.equal((await waiters[u].request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  }
  return { host, callId: j.callId, waiters };
}

async function closeAll(c) {
  for (const x of [c.host, ...Object.values(c.waiters)]) await x.close();
}

test('REST: the admin reads the waiting list and moderates a room it does not host', async () => {
  const roomId = await newRoom();
  const c = await liveCall(roomId, ['ann', 'ben', 'cid', 'dee']);

  // Reading: the room with the call's waiting list, as its hosts see it.
  const seen = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: adminT });
  assert.equal(seen.status, 200);
  assert.deepEqual(seen.body.call.waiting.map((w) => w.userId), ['ann', 'ben', 'cid', 'dee']);
  const plainView = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: plainT });
  assert.equal(plainView.body.call.waiting, undefined);

  // The same user without the grant is refused everywhere.
  for (const [method, path] of [
    ['GET', `/api/rooms/${roomId}/waiting`], ['POST', `/api/rooms/${roomId}/waiting/ann/admit`],
    ['POST', `/api/rooms/${roomId}/waiting/ben/deny`], ['POST', `/api/rooms/${roomId}/waiting/admit-all`],
    ['POST', `/api/rooms/${roomId}/participants/hank/remove`], ['POST', `/api/rooms/${roomId}/call/end`],
  ]) {
    assertError(await api(srv, method, path, { token: plainT }), 403, 'FORBIDDEN');
  }

  const w = await api(srv, 'GET', `/api/rooms/${roomId}/waiting`, { token: adminT });
  assert.equal(w.status, 200);
  assert.equal(w.body.callId, c.callId);
  assert.equal(w.body.waiting.length, 4);
  const a = await api(srv, 'POST', `/api/rooms/${roomId}/waiting/ann/admit`, { token: adminT });
  assert.deepEqual(a.body, { admitted: ['ann'] });
  await c.waiters.ann.waitEvent('GROUP_CALL_ADMITTED');
  assert.equal((await api(srv, 'POST', `/api/rooms/${roomId}/waiting/ben/deny`, { token: adminT })).status, 204);
  assert.equal((await c.waiters.ben.waitEvent('GROUP_CALL_DENIED')).reason, 'DENIED');
  const all = await api(srv, 'POST', `/api/rooms/${roomId}/waiting/admit-all`, { token: adminT });
  assert.deepEqual(all.body, { admitted: ['cid', 'dee'] });
  assertError(await api(srv, 'POST', `/api/rooms/${roomId}/waiting/ben/admit`, { token: adminT }), 409, 'NOT_WAITING');

  // It acts on a host too, as a host would; events name it.
  assert.equal((await api(srv, 'POST', `/api/rooms/${roomId}/participants/cid/remove`, { token: adminT, body: { ban: true } })).status, 204);
  const rm = await c.waiters.cid.waitEvent('GROUP_CALL_REMOVED');
  assert.deepEqual([rm.reason, rm.by], ['REMOVED_BY_HOST', 'backend']);
  assert.equal((await api(srv, 'POST', `/api/rooms/${roomId}/participants/hank/remove`, { token: adminT })).status, 204);
  await c.host.waitEvent('GROUP_CALL_REMOVED');
  assertError(await api(srv, 'POST', `/api/rooms/${roomId}/participants/nobody/remove`, { token: adminT }), 404, 'NOT_FOUND');
  assert.equal((await api(srv, 'POST', `/api/rooms/${roomId}/call/end`, { token: adminT })).status, 204);
  assert.equal((await c.waiters.ann.waitEvent('GROUP_CALL_ENDED')).reason, 'HOST_ENDED');
  assertError(await api(srv, 'POST', `/api/rooms/${roomId}/call/end`, { token: adminT }), 409, 'NO_LIVE_CALL');
  await closeAll(c);
});

test('REST: the admin may change and delete any room of its app; others may not', async () => {
  const roomId = await newRoom({ name: 'n' });
  assertError(await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: plainT, body: { name: 'x' } }), 403, 'FORBIDDEN');
  assertError(await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: plainT }), 403, 'FORBIDDEN');
  const p = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: adminT, body: { name: 'by backend', status: 'CLOSED' } });
  assert.equal(p.status, 200);
  assert.equal(p.body.name, 'by backend');
  assert.equal(p.body.createdBy, 'hank', 'the creator stays the creator');
  assertError(await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: adminT, body: { name: 'y' }, headers: { 'if-match': '"1"' } }), 412, 'PRECONDITION_FAILED');
  assert.equal((await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: adminT, headers: { 'if-match': '"2"' } })).status, 204);
  assertError(await api(srv, 'GET', `/api/rooms/${roomId}`, { token: adminT }), 404, 'ROOM_NOT_FOUND');
});

test('REST: the list is what the admin\'s sub created or hosts, as for any token', async () => {
  const mine = (await api(srv, 'POST', '/api/rooms', { token: adminT, body: { name: 'made by backend' } })).body;
  assert.equal(mine.createdBy, 'backend');
  const list = await api(srv, 'GET', '/api/rooms', { token: adminT });
  assert.deepEqual(list.body.rooms.map((r) => r.roomId), [mine.roomId]);
});

test('WebSocket: the admin watches and moderates without joining', async () => {
  const roomId = await newRoom();
  const backend = await WsClient.connect(srv, adminT);
  const plain = await WsClient.connect(srv, plainT);
  assert.equal((await plain.request({ type: 'WATCH_ROOM', roomId })).error.code, 'FORBIDDEN');
  const watch = await backend.request({ type: 'WATCH_ROOM', roomId });
  assert.equal(watch.ok, true);
  assert.equal(watch.call, null);
  const c = await liveCall(roomId, ['ann', 'ben', 'cid']);
  const callId = c.callId;
  // The watcher gets what hosts get: who joined, who knocks.
  await backend.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'hank');
  await backend.waitEvent('GROUP_CALL_WAITING', (e) => e.userId === 'cid');

  for (const cmd of [
    { type: 'ADMIT', roomId, userId: 'ann' }, { type: 'DENY', roomId, userId: 'ben' },
    { type: 'MUTE_PARTICIPANT', callId, userId: 'hank', kind: 'audio' },
    { type: 'REMOVE_PARTICIPANT', callId, userId: 'hank' },
    { type: 'SET_ROLE', callId, userId: 'hank', role: 'PARTICIPANT' }, { type: 'END_CALL', callId },
  ]) {
    assert.equal((await plain.request(cmd)).error.code, 'FORBIDDEN', cmd.type);
  }

  assert.deepEqual((await backend.request({ type: 'ADMIT', roomId, userId: 'ann' })).admitted, ['ann']);
  await c.waiters.ann.waitEvent('GROUP_CALL_ADMITTED');
  assert.equal((await backend.request({ type: 'DENY', roomId, userId: 'ben' })).ok, true);
  await c.waiters.ben.waitEvent('GROUP_CALL_DENIED');
  assert.deepEqual((await backend.request({ type: 'ADMIT', roomId, all: true })).admitted, ['cid']);
  await c.waiters.cid.waitEvent('GROUP_CALL_ADMITTED');
  assert.equal((await backend.request({ type: 'SET_ROLE', callId, userId: 'ann', role: 'CO_HOST' })).ok, true);
  assert.equal((await c.host.waitEvent('GROUP_CALL_ROLE_CHANGED', (e) => e.userId === 'ann')).role, 'CO_HOST');
  const hostRole = await backend.request({ type: 'SET_ROLE', callId, userId: 'hank', role: 'PARTICIPANT' });
  assert.equal(hostRole.error.code, 'FORBIDDEN', 'a room host keeps its role (change the room\'s hosts)');
  assert.equal((await backend.request({ type: 'MUTE_PARTICIPANT', callId, userId: 'hank', kind: 'video' })).ok, true);
  const mr = await c.host.waitEvent('GROUP_CALL_MUTE_REQUESTED');
  assert.deepEqual([mr.kind, mr.by], ['video', 'backend']);
  assert.equal((await backend.request({ type: 'REMOVE_PARTICIPANT', callId, userId: 'cid', ban: true })).ok, true);
  assert.equal((await c.waiters.cid.waitEvent('GROUP_CALL_REMOVED')).by, 'backend');
  await backend.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'cid');
  assert.equal((await backend.request({ type: 'END_CALL', callId })).ok, true);
  assert.equal((await c.host.waitEvent('GROUP_CALL_ENDED')).reason, 'HOST_ENDED');
  await backend.waitEvent('GROUP_CALL_ENDED');
  assert.equal((await backend.request({ type: 'END_CALL', callId })).error.code, 'NO_LIVE_CALL');
  assert.equal((await backend.request({ type: 'UNWATCH_ROOM', roomId })).ok, true);
  await closeAll(c);
  await backend.close();
  await plain.close();
});

test('joining is decided by the room: the admin grant is not a host role', async () => {
  const roomId = await newRoom();
  const host = await WsClient.connect(srv, hankT);
  await host.request({ type: 'JOIN_ROOM', roomId });
  const backend = await WsClient.connect(srv, adminT);
  assert.equal((await backend.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  await host.request({ type: 'ADMIT', roomId, all: true });
  const ad = await backend.waitEvent('GROUP_CALL_ADMITTED');
  assert.equal(ad.role, 'PARTICIPANT');
  // In the call as a participant, it still moderates with its grant.
  assert.equal((await backend.request({ type: 'END_CALL', callId: ad.callId })).ok, true);
  await host.close();
  await backend.close();
});

test('another app\'s admin can do nothing to this app', async () => {
  const roomId = await newRoom();
  const c = await liveCall(roomId, ['ann']);
  const callId = c.callId;
  for (const [method, path, body] of [
    ['GET', `/api/rooms/${roomId}`], ['PATCH', `/api/rooms/${roomId}`, { name: 'x' }], ['DELETE', `/api/rooms/${roomId}`],
    ['GET', `/api/rooms/${roomId}/waiting`], ['POST', `/api/rooms/${roomId}/waiting/ann/admit`],
    ['POST', `/api/rooms/${roomId}/waiting/ann/deny`], ['POST', `/api/rooms/${roomId}/waiting/admit-all`],
    ['POST', `/api/rooms/${roomId}/participants/hank/remove`, {}], ['POST', `/api/rooms/${roomId}/call/end`],
  ]) {
    assertError(await api(srv, method, path, { token: otherAdminT, body }), 404, 'ROOM_NOT_FOUND');
  }
  assert.deepEqual((await api(srv, 'GET', '/api/rooms', { token: otherAdminT })).body.rooms, []);
  const intruder = await WsClient.connect(srv, otherAdminT);
  for (const cmd of [{ type: 'WATCH_ROOM', roomId }, { type: 'JOIN_ROOM', roomId }, { type: 'ADMIT', roomId, all: true },
    { type: 'DENY', roomId, userId: 'ann' }]) {
    assert.equal((await intruder.request(cmd)).error.code, 'ROOM_NOT_FOUND', cmd.type);
  }
  for (const cmd of [{ type: 'MUTE_PARTICIPANT', callId, userId: 'hank', kind: 'audio' }, { type: 'REMOVE_PARTICIPANT', callId, userId: 'hank' },
    { type: 'SET_ROLE', callId, userId: 'hank', role: 'PARTICIPANT' }, { type: 'END_CALL', callId }]) {
    assert.equal((await intruder.request(cmd)).error.code, 'NO_LIVE_CALL', cmd.type);
  }
  // Nothing happened.
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: hankT });
  assert.equal(view.body.call.callId, callId);
  assert.equal(view.body.call.participantCount, 1);
  assert.deepEqual(view.body.call.waiting.map((w) => w.userId), ['ann']);
  assert.equal(c.host.eventsOf('GROUP_CALL_MUTE_REQUESTED').length, 0);
  await intruder.close();
  await closeAll(c);
});

test('an admin scoped to some rooms is an admin there only', async () => {
  const roomA = await newRoom();
  const roomB = await newRoom();
  const t = tokenFor(app, 'backend', { grants: { admin: true, rooms: [roomA] } });
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomA}/waiting`, { token: t })).status, 200);
  assertError(await api(srv, 'GET', `/api/rooms/${roomB}/waiting`, { token: t }), 403, 'FORBIDDEN');
  assertError(await api(srv, 'GET', `/api/rooms/${roomB}`, { token: t }), 403, 'FORBIDDEN');
  const ws = await WsClient.connect(srv, t);
  assert.equal((await ws.request({ type: 'WATCH_ROOM', roomId: roomA })).ok, true);
  assert.equal((await ws.request({ type: 'WATCH_ROOM', roomId: roomB })).error.code, 'FORBIDDEN');
  await ws.close();
});

test('droponaird token --admin mints a working admin credential', async () => {
  const roomId = await newRoom();
  const t = cli(['token', '--db', srv.db, '--app', app.appId, '--user', 'ops', '--admin']).trim();
  const info = await api(srv, 'GET', '/api/info', { token: t });
  assert.equal(info.body.grants.admin, true);
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomId}/waiting`, { token: t })).status, 200);
});
