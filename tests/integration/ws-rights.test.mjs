// Rights are checked when they are used, not only when they were granted:
// a host removed from the room stops seeing its waiting room, and a plan
// change applies to sessions that authenticated before it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, cli, createApp, eventually, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--apps-poll-ms', '100'] }); });
after(async () => { await srv.stop(); });

test('a watcher removed from the hosts no longer receives the waiting room', async () => {
  const app = createApp(srv.db, 'pro');
  const hank = tokenFor(app, 'hank');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: hank, body: { hosts: ['hank', 'vera'], policy: { waitingRoom: true } } })).body.roomId;
  const vera = await WsClient.connect(srv, tokenFor(app, 'vera'));
  assert.equal((await vera.request({ type: 'WATCH_ROOM', roomId })).ok, true);
  const amy = await WsClient.connect(srv, tokenFor(app, 'amy'));
  assert.equal((await amy.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  await vera.waitEvent('GROUP_CALL_WAITING', (e) => e.userId === 'amy');

  const p = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: hank, body: { hosts: ['hank'] } });
  assert.equal(p.status, 200);
  const bea = await WsClient.connect(srv, tokenFor(app, 'bea'));
  assert.equal((await bea.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  await sleep(300);
  assert.equal(vera.eventsOf('GROUP_CALL_WAITING').filter((e) => e.userId === 'bea').length, 0);
  for (const c of [vera, amy, bea]) await c.close();
});

test('a plan downgrade applies to sessions that authenticated before it', async () => {
  const app = createApp(srv.db, 'pro');
  const token = tokenFor(app, 'sharer');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
  const c = await WsClient.connect(srv, token);
  const j = await c.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(j.status, 'JOINED');
  assert.equal((await c.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId: j.callId, groupId: '' })).ok, true);
  assert.equal((await c.request({ type: 'GROUP_CALL_SCREEN_SHARE_STOP', callId: j.callId, groupId: '' })).ok, true);

  cli(['app', 'set-plan', '--db', srv.db, '--app', app.appId, '--plan', 'starter']);
  const refused = await eventually(async () => {
    const r = await c.request({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId: j.callId, groupId: '' });
    if (r.ok) await c.request({ type: 'GROUP_CALL_SCREEN_SHARE_STOP', callId: j.callId, groupId: '' });
    return r.ok ? null : r;
  }, 5000);
  assert.ok(refused, 'screen share is still allowed after the downgrade');
  assert.equal(refused.error.code, 'FEATURE_NOT_ENABLED');
  await c.close();
});

test('after a downgrade a room keeps what the old plan allowed and can still be renamed or closed', async () => {
  const app = createApp(srv.db, 'pro');
  const token = tokenFor(app, 'owner');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: { policy: { waitingRoom: true, maxParticipants: 10 } } })).body.roomId;
  cli(['app', 'set-plan', '--db', srv.db, '--app', app.appId, '--plan', 'starter']);
  // The downgrade has been picked up: by the server, or on a cluster
  // (DPA_CLUSTER) by each of its processes, which poll the apps on their own.
  let refusals = 0;
  const renamed = await eventually(async () => {
    const r = await api(srv, 'POST', '/api/rooms', { token, body: { policy: { waitingRoom: true } } });
    refusals = r.status === 403 ? refusals + 1 : 0;
    return refusals >= (srv.nodes ? srv.nodes.length : 1) ? r : null;
  }, 5000);
  assert.ok(renamed);
  const p = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token, body: { name: 'still mine' } });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  // Setting a feature anew is refused; turning it off is fine.
  const again = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token, body: { policy: { maxParticipants: 9 } } });
  assert.equal(again.status, 400);
  assert.equal(again.body.error.field, 'policy.maxParticipants');
  const closed = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token, body: { status: 'CLOSED', policy: { waitingRoom: false } } });
  assert.equal(closed.status, 200, JSON.stringify(closed.body));
  const on = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token, body: { policy: { waitingRoom: true } } });
  assert.equal(on.status, 403);
  assert.equal(on.body.error.code, 'FEATURE_NOT_ENABLED');
});
