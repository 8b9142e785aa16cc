// An open room: two users join, relay SDP and ICE both ways, leave.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app, roomId, alice, bob;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  const r = await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'alice'), body: { name: 'open' } });
  roomId = r.body.roomId;
  alice = await WsClient.connect(srv, tokenFor(app, 'alice', { name: 'Alice' }));
  bob = await WsClient.connect(srv, tokenFor(app, 'bob', { name: 'Bob' }));
});
after(async () => { await srv.stop(); });

test('join, signal, leave', async () => {
  const ja = await alice.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(ja.ok, true);
  assert.equal(ja.status, 'JOINED');
  assert.match(ja.callId, /^call_/);
  assert.equal(ja.role, 'HOST');
  assert.deepEqual(ja.participants.map((p) => p.userId), ['alice']);

  const jb = await bob.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(jb.status, 'JOINED');
  assert.equal(jb.callId, ja.callId);
  assert.equal(jb.role, 'PARTICIPANT');
  assert.deepEqual(jb.participants.map((p) => p.userId), ['alice', 'bob']);
  assert.equal(jb.waiting, undefined, 'participants do not see the waiting list');

  const joined = await alice.waitEvent('GROUP_CALL_PARTICIPANT_JOINED');
  assert.deepEqual({ userId: joined.userId, name: joined.name, role: joined.role, roomId: joined.roomId, callId: joined.callId, groupId: joined.groupId },
    { userId: 'bob', name: 'Bob', role: 'PARTICIPANT', roomId, callId: ja.callId, groupId: '' });
  assert.equal(typeof joined.seq, 'number');

  // The REST view shows the live call.
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: tokenFor(app, 'alice') });
  assert.equal(view.body.call.callId, ja.callId);
  assert.equal(view.body.call.participantCount, 2);
  assert.equal(view.body.call.hostPresent, true);

  const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' + 'a=x\r\n'.repeat(600);
  const offer = await bob.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_SDP_OFFER', callId: jb.callId, groupId: '', to: 'alice', payload: sdp });
  assert.deepEqual(offer, { id: offer.id, ok: true });
  const got = await alice.waitEvent('GROUP_CALL_SDP_OFFER');
  assert.equal(got.from, 'bob');
  assert.equal(got.payload, sdp);
  assert.equal(got.callId, ja.callId);

  await alice.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_SDP_ANSWER', callId: ja.callId, groupId: '', to: 'bob', payload: { type: 'answer', sdp: 'v=0' } });
  const ans = await bob.waitEvent('GROUP_CALL_SDP_ANSWER');
  assert.deepEqual(ans.payload, { type: 'answer', sdp: 'v=0' });
  for (let i = 0; i < 20; i++) {
    await alice.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_ICE_CANDIDATE', callId: ja.callId, groupId: '', to: 'bob', payload: { candidate: `candidate:${i}`, sdpMid: '0' } });
  }
  await sleep(100);
  const ice = bob.eventsOf('GROUP_CALL_ICE_CANDIDATE');
  assert.deepEqual(ice.map((e) => e.payload.candidate), Array.from({ length: 20 }, (_, i) => `candidate:${i}`));
  // seq is strictly increasing per session.
  const seqs = bob.events.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  assert.equal(new Set(seqs).size, seqs.length);
  // The actor gets no echo of its own signal.
  assert.equal(alice.eventsOf('GROUP_CALL_ICE_CANDIDATE').length, 0);

  const media = await bob.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: jb.callId, audio: false });
  assert.equal(media.ok, true);
  const ms = await alice.waitEvent('GROUP_CALL_MEDIA_STATE');
  assert.deepEqual([ms.userId, ms.audio, ms.video], ['bob', false, true]);

  const m = (await api(srv, 'GET', '/metrics')).body;
  assert.match(m, /^droponair_ws_connections 2$/m);
  assert.match(m, /^droponair_live_calls 1$/m);
  assert.match(m, /^droponair_call_participants 2$/m);
  assert.match(m, /^droponair_signals_relayed_total 22$/m);

  const leave = await bob.request({ type: 'GROUP_CALL_LEAVE', callId: jb.callId, groupId: '' });
  assert.equal(leave.ok, true);
  const left = await alice.waitEvent('GROUP_CALL_PARTICIPANT_LEFT');
  assert.deepEqual([left.userId, left.reason], ['bob', 'LEFT']);
});

test('signals only between members of the same call', async () => {
  const carol = await WsClient.connect(srv, tokenFor(app, 'carol'));
  const callId = (await alice.request({ type: 'JOIN_ROOM', roomId })).callId;
  const notMember = await carol.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_SDP_OFFER', callId, groupId: '', to: 'alice', payload: 'x' });
  assert.equal(notMember.ok, false);
  assert.equal(notMember.error.code, 'FORBIDDEN');
  const toStranger = await alice.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_SDP_OFFER', callId, groupId: '', to: 'carol', payload: 'x' });
  assert.equal(toStranger.ok, false);
  const badType = await alice.request({ type: 'GROUP_CALL_SIGNAL', signal: 'HELLO', callId, groupId: '', to: 'carol', payload: 'x' });
  assert.equal(badType.error.code, 'BAD_REQUEST');
  assert.equal(badType.error.field, 'signal');
  const badCall = await alice.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_SDP_OFFER', callId: 'call_nope', groupId: '', to: 'carol', payload: 'x' });
  assert.equal(badCall.error.code, 'NO_LIVE_CALL');
  assert.equal(carol.eventsOf('GROUP_CALL_SDP_OFFER').length, 0);
  await carol.close();
});

test("another app's user cannot join, even with the room id", async () => {
  const other = createApp(srv.db, 'pro');
  const mallory = await WsClient.connect(srv, tokenFor(other, 'alice'));
  const r = await mallory.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'ROOM_NOT_FOUND');
  const missing = await mallory.request({ type: 'JOIN_ROOM', roomId: 'rm_AAAAAAAAAAAAAAAAAAAAAA' });
  assert.equal(missing.error.code, 'ROOM_NOT_FOUND');
  await mallory.close();
});
