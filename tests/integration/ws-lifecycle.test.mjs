// Call lifecycle: auto-close, closing and deleting a room with a live call,
// END_CALL, a fresh callId per call, and a session replaced by a new one.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient, eventually } from './helpers.mjs';

let srv, app, owner;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  owner = tokenFor(app, 'hank');
});
after(async () => { await srv.stop(); });

const client = (user) => WsClient.connect(srv, tokenFor(app, user));
const newRoom = async (body) => (await api(srv, 'POST', '/api/rooms', { token: owner, body })).body.roomId;


test('autoCloseWhenEmpty: the last one out closes the room; waiters are denied', async () => {
  const roomId = await newRoom({ policy: { autoCloseWhenEmpty: true, waitingRoom: true } });
  const hank = await client('hank');
  const wes = await client('wes');
  const j = await hank.request({ type: 'JOIN_ROOM', roomId });
  assert.equal((await wes.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  await hank.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId });
  const denied = await wes.waitEvent('GROUP_CALL_DENIED');
  assert.equal(denied.reason, 'ROOM_CLOSED');
  const closed = await eventually(async () =>
    (await api(srv, 'GET', `/api/rooms/${roomId}`, { token: owner })).body.status === 'CLOSED');
  assert.ok(closed, 'the room is persisted CLOSED');
  assert.equal((await hank.request({ type: 'JOIN_ROOM', roomId })).status, 'ROOM_CLOSED');
  await hank.close();
  await wes.close();
});

test('without autoClose the room stays ACTIVE and the next call has a new callId', async () => {
  const roomId = await newRoom({});
  const hank = await client('hank');
  const first = await hank.request({ type: 'JOIN_ROOM', roomId });
  await hank.request({ type: 'GROUP_CALL_LEAVE', callId: first.callId });
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: owner });
  assert.equal(view.body.status, 'ACTIVE');
  assert.equal(view.body.call, null);
  const second = await hank.request({ type: 'JOIN_ROOM', roomId });
  assert.notEqual(second.callId, first.callId);
  await hank.close();
});

test('PATCH status CLOSED ends the live call and rejects the waiting', async () => {
  const roomId = await newRoom({ policy: { waitingRoom: true } });
  const hank = await client('hank');
  const pat = await client('pat');
  await hank.request({ type: 'JOIN_ROOM', roomId });
  await pat.request({ type: 'JOIN_ROOM', roomId });
  const r = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: owner, body: { status: 'CLOSED' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.call, null);
  assert.equal((await hank.waitEvent('GROUP_CALL_ENDED')).reason, 'ROOM_CLOSED');
  assert.equal((await pat.waitEvent('GROUP_CALL_DENIED')).reason, 'ROOM_CLOSED');
  assert.equal((await pat.request({ type: 'JOIN_ROOM', roomId })).status, 'ROOM_CLOSED');
  // Reopening makes it joinable again.
  await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: owner, body: { status: 'ACTIVE' } });
  assert.equal((await hank.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  await hank.close();
  await pat.close();
});

test('DELETE ends the call with ROOM_DELETED', async () => {
  const roomId = await newRoom({});
  const hank = await client('hank');
  const dot = await client('dot');
  await hank.request({ type: 'JOIN_ROOM', roomId });
  await dot.request({ type: 'JOIN_ROOM', roomId });
  assert.equal((await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: owner })).status, 204);
  assert.equal((await dot.waitEvent('GROUP_CALL_ENDED')).reason, 'ROOM_DELETED');
  assert.equal((await dot.request({ type: 'JOIN_ROOM', roomId })).error.code, 'ROOM_NOT_FOUND');
  await hank.close();
  await dot.close();
});

test('END_CALL by a host ends it for everyone; not by a participant', async () => {
  const roomId = await newRoom({});
  const hank = await client('hank');
  const eve = await client('eve');
  const j = await hank.request({ type: 'JOIN_ROOM', roomId });
  await eve.request({ type: 'JOIN_ROOM', roomId });
  assert.equal((await eve.request({ type: 'END_CALL', callId: j.callId })).error.code, 'FORBIDDEN');
  assert.equal((await hank.request({ type: 'END_CALL', callId: j.callId })).ok, true);
  assert.equal((await eve.waitEvent('GROUP_CALL_ENDED')).reason, 'HOST_ENDED');
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomId}`, { token: owner })).body.call, null);
  await hank.close();
  await eve.close();
});

test('joining again from a new connection replaces the old session', async () => {
  const roomId = await newRoom({});
  const hank = await client('hank');
  const old = await client('rex');
  const j = await old.request({ type: 'JOIN_ROOM', roomId });
  await hank.request({ type: 'JOIN_ROOM', roomId });
  const fresh = await client('rex');
  const again = await fresh.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(again.status, 'JOINED');
  assert.equal(again.callId, j.callId);
  assert.equal((await old.waitEvent('GROUP_CALL_REMOVED')).reason, 'REPLACED');
  const left = await hank.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'rex');
  assert.equal(left.reason, 'REPLACED');
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: owner });
  assert.equal(view.body.call.participantCount, 2);
  // Signals now reach the new session only.
  await hank.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_SDP_OFFER', callId: j.callId, groupId: '', to: 'rex', payload: 'o' });
  await fresh.waitEvent('GROUP_CALL_SDP_OFFER');
  assert.equal(old.eventsOf('GROUP_CALL_SDP_OFFER').length, 0);
  for (const c of [hank, old, fresh]) await c.close();
});
