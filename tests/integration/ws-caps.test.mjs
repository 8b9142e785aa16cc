// Caps are exact: concurrent joiners never overfill a call.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer({ plans: { small: { maxRoomsPerApp: 10, maxParticipantsPerCall: 4, features: ['scheduled_rooms'] } } });
});
after(async () => { await srv.stop(); });

async function storm(app, roomId, n) {
  const clients = await Promise.all(Array.from({ length: n }, (_, i) => WsClient.connect(srv, tokenFor(app, `u${i}`))));
  const replies = await Promise.all(clients.map((c) => c.request({ type: 'JOIN_ROOM', roomId })));
  return { clients, replies };
}

test('maxParticipants: exactly that many join at once, the rest get ROOM_FULL (room)', async () => {
  const app = createApp(srv.db, 'pro');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'owner'), body: { policy: { maxParticipants: 3 } } })).body.roomId;
  const { clients, replies } = await storm(app, roomId, 10);
  const joined = replies.filter((r) => r.ok && r.status === 'JOINED');
  const full = replies.filter((r) => !r.ok);
  assert.equal(joined.length, 3);
  assert.equal(full.length, 7);
  assert.ok(full.every((r) => r.error.code === 'ROOM_FULL' && r.error.limitSource === 'room'));
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: tokenFor(app, 'owner') });
  assert.equal(view.body.call.participantCount, 3);

  // One leaves: exactly one more fits.
  const leaver = clients[replies.indexOf(joined[0])];
  await leaver.request({ type: 'GROUP_CALL_LEAVE', callId: joined[0].callId });
  const second = await Promise.all(clients.filter((c, i) => !replies[i].ok).map((c) => c.request({ type: 'JOIN_ROOM', roomId })));
  assert.equal(second.filter((r) => r.ok).length, 1);
  for (const c of clients) await c.close();
});

test('the plan cap binds when maxParticipants is null', async () => {
  const app = createApp(srv.db, 'small', ['--plans', `${srv.dir}/plans.json`]);
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'owner'), body: {} })).body.roomId;
  const { clients, replies } = await storm(app, roomId, 6);
  assert.equal(replies.filter((r) => r.ok).length, 4);
  assert.ok(replies.filter((r) => !r.ok).every((r) => r.error.limitSource === 'plan'));
  for (const c of clients) await c.close();
});

test('lowering maxParticipants keeps who is in and blocks new joins', async () => {
  const app = createApp(srv.db, 'pro');
  const owner = tokenFor(app, 'owner');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token: owner, body: {} })).body.roomId;
  const { clients, replies } = await storm(app, roomId, 3);
  assert.equal(replies.filter((r) => r.ok).length, 3);
  await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: owner, body: { policy: { maxParticipants: 2 } } });
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: owner });
  assert.equal(view.body.call.participantCount, 3);
  const late = await WsClient.connect(srv, tokenFor(app, 'late'));
  const r = await late.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(r.error.code, 'ROOM_FULL');
  for (const c of [...clients, late]) await c.close();
});
