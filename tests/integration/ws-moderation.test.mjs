// In-call moderation: mute, co-hosts, ranks, screen share, watching.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app, roomId, hank, cora, pete, callId;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  roomId = (await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'hank'), body: { policy: { waitingRoom: true } } })).body.roomId;
  hank = await WsClient.connect(srv, tokenFor(app, 'hank'));
  cora = await WsClient.connect(srv, tokenFor(app, 'cora'));
  pete = await WsClient.connect(srv, tokenFor(app, 'pete'));
  callId = (await hank.request({ type: 'JOIN_ROOM', roomId })).callId;
  for (const c of [cora, pete]) await c.request({ type: 'JOIN_ROOM', roomId });
  await hank.request({ type: 'ADMIT', roomId, all: true });
  await cora.waitEvent('GROUP_CALL_ADMITTED');
  await pete.waitEvent('GROUP_CALL_ADMITTED');
});
after(async () => { await srv.stop(); });

test('a host makes a co-host, who may then mute and admit but not act on the host', async () => {
  assert.equal((await cora.request({ type: 'MUTE_PARTICIPANT', callId, userId: 'pete', kind: 'audio' })).error.code, 'FORBIDDEN');
  const r = await hank.request({ type: 'SET_ROLE', callId, userId: 'cora', role: 'CO_HOST' });
  assert.equal(r.ok, true);
  const rc = await pete.waitEvent('GROUP_CALL_ROLE_CHANGED');
  assert.deepEqual([rc.userId, rc.role], ['cora', 'CO_HOST']);
  assert.equal((await cora.request({ type: 'MUTE_PARTICIPANT', callId, userId: 'pete', kind: 'video' })).ok, true);
  const mr = await pete.waitEvent('GROUP_CALL_MUTE_REQUESTED');
  assert.deepEqual([mr.kind, mr.by], ['video', 'cora']);
  assert.equal((await cora.request({ type: 'MUTE_PARTICIPANT', callId, userId: 'hank', kind: 'audio' })).error.code, 'FORBIDDEN');
  assert.equal((await cora.request({ type: 'REMOVE_PARTICIPANT', callId, userId: 'hank' })).error.code, 'FORBIDDEN');
  assert.equal((await cora.request({ type: 'SET_ROLE', callId, userId: 'pete', role: 'CO_HOST' })).error.code, 'FORBIDDEN');
  assert.equal((await cora.request({ type: 'END_CALL', callId })).error.code, 'FORBIDDEN');
  const bad = await cora.request({ type: 'MUTE_PARTICIPANT', callId, userId: 'pete', kind: 'smell' });
  assert.equal(bad.error.code, 'BAD_REQUEST');
  assert.equal(bad.error.field, 'kind');

  // The co-host sees and admits the waiting room.
  const wendy = await WsClient.connect(srv, tokenFor(app, 'wendy'));
  await wendy.request({ type: 'JOIN_ROOM', roomId });
  const w = await cora.waitEvent('GROUP_CALL_WAITING', (e) => e.userId === 'wendy');
  assert.equal(w.position, 1);
  assert.equal(pete.eventsOf('GROUP_CALL_WAITING').length, 0, 'participants are not told who waits');
  assert.equal((await cora.request({ type: 'ADMIT', roomId, userId: 'wendy' })).ok, true);
  await wendy.waitEvent('GROUP_CALL_ADMITTED');
  await wendy.close();
});

test('screen share: one at a time, a host may share over it', async () => {
  assert.equal((await pete.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId })).ok, true);
  const st = await cora.waitEvent('GROUP_CALL_SCREEN_SHARE_STARTED');
  assert.equal(st.userId, 'pete');
  assert.equal((await cora.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId })).error.code, 'FORBIDDEN');
  assert.equal((await hank.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId })).ok, true);
  const stopped = await pete.waitEvent('GROUP_CALL_SCREEN_SHARE_STOPPED');
  assert.equal(stopped.userId, 'pete');
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: tokenFor(app, 'pete') });
  assert.deepEqual(view.body.call.participants.filter((p) => p.screenSharing).map((p) => p.userId), ['hank']);
  assert.equal((await hank.request({ type: 'GROUP_CALL_SCREEN_SHARE_STOP', callId })).ok, true);
});

test('a host can watch a room without joining', async () => {
  const console_ = await WsClient.connect(srv, tokenFor(app, 'hank'));
  const w = await console_.request({ type: 'WATCH_ROOM', roomId });
  assert.equal(w.ok, true);
  assert.equal(w.call.callId, callId);
  assert.ok(Array.isArray(w.waiting));
  const nosy = await pete.request({ type: 'WATCH_ROOM', roomId });
  assert.equal(nosy.error.code, 'FORBIDDEN');
  const vic = await WsClient.connect(srv, tokenFor(app, 'vic'));
  await vic.request({ type: 'JOIN_ROOM', roomId });
  const ev = await console_.waitEvent('GROUP_CALL_WAITING', (e) => e.userId === 'vic');
  assert.equal(ev.roomId, roomId);
  await console_.request({ type: 'UNWATCH_ROOM', roomId });
  await vic.close();
  await console_.close();
});
