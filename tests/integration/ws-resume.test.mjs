// A dropped connection keeps its place for the grace; RESUME replays what it missed.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app, owner;
before(async () => {
  srv = await startServer({ args: ['--ws-grace-ms', '1500'] });
  app = createApp(srv.db, 'pro');
  owner = tokenFor(app, 'hank');
});
after(async () => { await srv.stop(); });

test('disconnect, peers see RECONNECTING, resume replays missed events in order', async () => {
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: owner, body: { policy: { waitingRoom: true } } })).body.roomId;
  const hank = await WsClient.connect(srv, owner);
  const j = await hank.request({ type: 'JOIN_ROOM', roomId });
  const pam = await WsClient.connect(srv, tokenFor(app, 'pam'));
  await hank.request({ type: 'ADMIT', roomId, all: true }); // nobody yet
  await pam.request({ type: 'JOIN_ROOM', roomId });
  await hank.waitEvent('GROUP_CALL_WAITING');
  await hank.request({ type: 'ADMIT', roomId, userId: 'pam' });
  await hank.waitEvent('GROUP_CALL_PARTICIPANT_JOINED');
  const before = hank.lastSeq();
  const token = hank.resumeToken;

  await hank.terminate(); // no close frame: a dropped network
  const rec = await pam.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTING');
  assert.equal(rec.userId, 'hank');
  // While hank is away: a signal and a knock.
  await pam.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_SDP_OFFER', callId: j.callId, groupId: '', to: 'hank', payload: 'missed-offer' });
  const kim = await WsClient.connect(srv, tokenFor(app, 'kim'));
  assert.equal((await kim.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  // hank still counts in the call during the grace.
  assert.equal((await api(srv, 'GET', `/api/rooms/${roomId}`, { token: owner })).body.call.participantCount, 2);

  const back = await WsClient.open(srv);
  const r = await back.request({ type: 'RESUME', resumeToken: token, lastSeq: before });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.userId, 'hank');
  await back.waitEvent('GROUP_CALL_WAITING', (e) => e.userId === 'kim');
  const replayed = back.events;
  assert.equal(replayed[0].type, 'GROUP_CALL_SDP_OFFER');
  assert.equal(replayed[0].payload, 'missed-offer');
  assert.equal(replayed[0].seq, before + 1);
  assert.deepEqual(replayed.map((e) => e.seq), replayed.map((_, i) => before + 1 + i));
  // The reply came before the replayed events.
  assert.equal(back.frames[0].id, r.id);
  await pam.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTED');

  // The session goes on as before: still a host in the same call.
  const adm = await back.request({ type: 'ADMIT', roomId, userId: 'kim' });
  assert.equal(adm.ok, true);
  await kim.waitEvent('GROUP_CALL_ADMITTED');
  for (const c of [back, pam, kim]) await c.close();
});

test('after the grace the participant leaves and RESUME is RESUME_EXPIRED', async () => {
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: owner, body: {} })).body.roomId;
  const hank = await WsClient.connect(srv, owner);
  await hank.request({ type: 'JOIN_ROOM', roomId });
  const ned = await WsClient.connect(srv, tokenFor(app, 'ned'));
  await ned.request({ type: 'JOIN_ROOM', roomId });
  const token = ned.resumeToken;
  await ned.terminate();
  const left = await hank.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'ned', 6000);
  assert.equal(left.reason, 'DISCONNECTED');
  const back = await WsClient.open(srv);
  const r = await back.request({ type: 'RESUME', resumeToken: token, lastSeq: 0 });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'RESUME_EXPIRED');
  // Authenticating and joining again works.
  assert.equal((await back.request({ type: 'AUTH', token: tokenFor(app, 'ned') })).ok, true);
  assert.equal((await back.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  await back.close();
  await hank.close();
});

test('unknown resume tokens and a lastSeq ahead of the server are RESUME_EXPIRED', async () => {
  const c = await WsClient.open(srv);
  assert.equal((await c.request({ type: 'RESUME', resumeToken: 'rt_nope', lastSeq: 0 })).error.code, 'RESUME_EXPIRED');
  const live = await WsClient.connect(srv, tokenFor(app, 'zed'));
  const again = await c.request({ type: 'RESUME', resumeToken: live.resumeToken, lastSeq: 999 });
  assert.equal(again.error.code, 'RESUME_EXPIRED');
  await c.close();
  await live.close();
});

test('resuming while the old connection is still open moves the session', async () => {
  const old = await WsClient.connect(srv, tokenFor(app, 'moe'));
  const fresh = await WsClient.open(srv);
  const r = await fresh.request({ type: 'RESUME', resumeToken: old.resumeToken, lastSeq: 0 });
  assert.equal(r.ok, true);
  await old.closed;
  assert.equal((await fresh.request({ type: 'PING' })).ok, true);
  await sleep(50);
  await fresh.close();
});
