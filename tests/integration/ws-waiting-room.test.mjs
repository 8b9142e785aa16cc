// Waiting room: pending, hosts told, admit, deny, remove; both gates; REST moderation.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

async function room(policy, extra = {}) {
  const r = await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'hank'), body: { policy, ...extra } });
  return r.body.roomId;
}
const client = (user) => WsClient.connect(srv, tokenFor(app, user, { name: user.toUpperCase() }));

test('pending, host told, admit, deny, remove', async () => {
  const roomId = await room({ waitingRoom: true });
  const hank = await client('hank');
  const amy = await client('amy');
  const ben = await client('ben');
  const h = await hank.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(h.status, 'JOINED');
  assert.deepEqual(h.waiting, []);

  const a = await amy.request({ type: 'JOIN_ROOM', roomId });
  assert.deepEqual([a.ok, a.status, a.position], [true, 'WAITING_ROOM_PENDING', 1]);
  const b = await ben.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(b.position, 2);
  const w = await hank.waitEvent('GROUP_CALL_WAITING', (e) => e.userId === 'ben');
  assert.deepEqual([w.name, w.position], ['BEN', 2]);

  // A participant cannot admit; the host can.
  const admit = await hank.request({ type: 'ADMIT', roomId, userId: 'amy' });
  assert.equal(admit.ok, true);
  assert.deepEqual(admit.admitted, ['amy']);
  const ad = await amy.waitEvent('GROUP_CALL_ADMITTED');
  assert.equal(ad.callId, h.callId);
  assert.equal(ad.role, 'PARTICIPANT');
  assert.deepEqual(ad.participants.map((p) => p.userId).sort(), ['amy', 'hank']);
  const denyByAmy = await amy.request({ type: 'DENY', roomId, userId: 'ben' });
  assert.equal(denyByAmy.error.code, 'FORBIDDEN');

  const deny = await hank.request({ type: 'DENY', roomId, userId: 'ben' });
  assert.equal(deny.ok, true);
  const d = await ben.waitEvent('GROUP_CALL_DENIED');
  assert.equal(d.reason, 'DENIED');
  const again = await hank.request({ type: 'DENY', roomId, userId: 'ben' });
  assert.equal(again.error.code, 'NOT_WAITING');

  const rm = await hank.request({ type: 'REMOVE_PARTICIPANT', callId: h.callId, userId: 'amy' });
  assert.equal(rm.ok, true);
  const removed = await amy.waitEvent('GROUP_CALL_REMOVED');
  assert.deepEqual([removed.reason, removed.by], ['REMOVED_BY_HOST', 'hank']);
  // Removed without a ban: may knock again.
  assert.equal((await amy.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  const cancel = await amy.request({ type: 'CANCEL_WAIT', roomId });
  assert.equal(cancel.ok, true);
  const list = await api(srv, 'GET', `/api/rooms/${roomId}/waiting`, { token: tokenFor(app, 'hank') });
  assert.deepEqual(list.body.waiting, []);
  for (const c of [hank, amy, ben]) await c.close();
});

test('both gates: requireHost before waitingRoom', async () => {
  const roomId = await room({ waitingRoom: true, requireHost: true });
  const gus = await client('gus');
  assert.equal((await gus.request({ type: 'JOIN_ROOM', roomId })).status, 'HOST_REQUIRED');
  const hank = await client('hank');
  assert.equal((await hank.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  await gus.waitEvent('GROUP_CALL_HOST_PRESENT');
  assert.equal((await gus.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  await hank.request({ type: 'ADMIT', roomId, userId: 'gus' });
  await gus.waitEvent('GROUP_CALL_ADMITTED');
  await gus.close();
  await hank.close();
});

test('a host not in the call admits over REST; same events', async () => {
  const roomId = await room({ waitingRoom: true, maxParticipants: 2 });
  const hostToken = tokenFor(app, 'hank');
  const ann = await client('ann');
  const bo = await client('bo');
  const cy = await client('cy');
  for (const c of [ann, bo, cy]) assert.equal((await c.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');

  // No call is live yet: the waiting list still exists.
  const list = await api(srv, 'GET', `/api/rooms/${roomId}/waiting`, { token: hostToken });
  assert.equal(list.status, 200);
  assert.equal(list.body.callId, null);
  assert.deepEqual(list.body.waiting.map((w) => w.userId), ['ann', 'bo', 'cy']);
  assertError(await api(srv, 'GET', `/api/rooms/${roomId}/waiting`, { token: tokenFor(app, 'ann') }), 403, 'FORBIDDEN');

  const one = await api(srv, 'POST', `/api/rooms/${roomId}/waiting/ann/admit`, { token: hostToken });
  assert.equal(one.status, 200);
  assert.deepEqual(one.body.admitted, ['ann']);
  const ad = await ann.waitEvent('GROUP_CALL_ADMITTED');
  assert.match(ad.callId, /^call_/); // the first admission opened the call

  // admit-all takes queue order up to the cap; the rest stay, the caller gets ROOM_FULL.
  const all = await api(srv, 'POST', `/api/rooms/${roomId}/waiting/admit-all`, { token: hostToken });
  assertError(all, 403, 'ROOM_FULL');
  assert.equal(all.body.error.limitSource, 'room');
  await bo.waitEvent('GROUP_CALL_ADMITTED');
  const left = await api(srv, 'GET', `/api/rooms/${roomId}/waiting`, { token: hostToken });
  assert.deepEqual(left.body.waiting.map((w) => w.userId), ['cy']);

  assertError(await api(srv, 'POST', `/api/rooms/${roomId}/waiting/zed/admit`, { token: hostToken }), 409, 'NOT_WAITING');
  const deny = await api(srv, 'POST', `/api/rooms/${roomId}/waiting/cy/deny`, { token: hostToken });
  assert.equal(deny.status, 204);
  assert.equal((await cy.waitEvent('GROUP_CALL_DENIED')).reason, 'DENIED');

  const rm = await api(srv, 'POST', `/api/rooms/${roomId}/participants/bo/remove`, { token: hostToken, body: { ban: true } });
  assert.equal(rm.status, 204);
  assert.equal((await bo.waitEvent('GROUP_CALL_REMOVED')).by, 'hank');
  assert.equal((await ann.waitEvent('GROUP_CALL_PARTICIPANT_LEFT')).reason, 'REMOVED');
  const back = await bo.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(back.error.code, 'FORBIDDEN'); // banned for this call

  const end = await api(srv, 'POST', `/api/rooms/${roomId}/call/end`, { token: hostToken });
  assert.equal(end.status, 204);
  assert.equal((await ann.waitEvent('GROUP_CALL_ENDED')).reason, 'HOST_ENDED');
  assertError(await api(srv, 'POST', `/api/rooms/${roomId}/call/end`, { token: hostToken }), 409, 'NO_LIVE_CALL');
  assertError(await api(srv, 'POST', `/api/rooms/${roomId}/participants/ann/remove`, { token: hostToken }), 409, 'NO_LIVE_CALL');
  for (const c of [ann, bo, cy]) await c.close();
});

test("REST moderation of another app's room is 404", async () => {
  const roomId = await room({ waitingRoom: true });
  const other = createApp(srv.db, 'pro');
  assertError(await api(srv, 'GET', `/api/rooms/${roomId}/waiting`, { token: tokenFor(other, 'hank') }), 404, 'ROOM_NOT_FOUND');
  assertError(await api(srv, 'POST', `/api/rooms/${roomId}/waiting/admit-all`, { token: tokenFor(other, 'hank') }), 404, 'ROOM_NOT_FOUND');
});

test('turning waitingRoom off admits everyone waiting', async () => {
  const roomId = await room({ waitingRoom: true });
  const hank = await client('hank');
  await hank.request({ type: 'JOIN_ROOM', roomId });
  const dee = await client('dee');
  assert.equal((await dee.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: tokenFor(app, 'hank'), body: { policy: { waitingRoom: false } } });
  const ad = await dee.waitEvent('GROUP_CALL_ADMITTED');
  assert.deepEqual(ad.participants.map((p) => p.userId).sort(), ['dee', 'hank']);
  await dee.close();
  await hank.close();
});
