// Plan limits: features, room counts, the per-call cap, and --plans overrides.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, tokenFor } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer({
    plans: {
      tiny: { maxRoomsPerApp: 2, maxParticipantsPerCall: 3, features: ['scheduled_rooms'] },
      pro: { maxRoomsPerApp: 100, maxParticipantsPerCall: 10, features: ['scheduled_rooms', 'waiting_room'] },
    },
  });
});
after(async () => { await srv.stop(); });

test('starter has no scheduled_rooms: 403 FEATURE_NOT_ENABLED', async () => {
  const t = tokenFor(createApp(srv.db, 'starter'), 'alice');
  assertError(await api(srv, 'POST', '/api/rooms', { token: t, body: { name: 'x' } }), 403, 'FEATURE_NOT_ENABLED');
  assert.deepEqual((await api(srv, 'GET', '/api/rooms', { token: t })).body.rooms, []);
});

test('maxRoomsPerApp counts closed rooms; deleting frees a place', async () => {
  const plansFile = `${srv.dir}/plans.json`;
  const app = createApp(srv.db, 'tiny', ['--plans', plansFile]);
  const alice = tokenFor(app, 'alice');
  const bob = tokenFor(app, 'bob');
  const a = await api(srv, 'POST', '/api/rooms', { token: alice, body: {} });
  const b = await api(srv, 'POST', '/api/rooms', { token: bob, body: {} });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  await api(srv, 'PATCH', `/api/rooms/${a.body.roomId}`, { token: alice, body: { status: 'CLOSED' } });
  assertError(await api(srv, 'POST', '/api/rooms', { token: alice, body: {} }), 403, 'ROOM_LIMIT_REACHED');
  assert.equal((await api(srv, 'DELETE', `/api/rooms/${a.body.roomId}`, { token: alice })).status, 204);
  assert.equal((await api(srv, 'POST', '/api/rooms', { token: alice, body: {} })).status, 201);
  // Another app has its own count.
  const other = tokenFor(createApp(srv.db, 'tiny', ['--plans', plansFile]), 'alice');
  assert.equal((await api(srv, 'POST', '/api/rooms', { token: other, body: {} })).status, 201);
});

test('maxParticipants is bounded by the plan cap; a plan without waiting_room refuses it', async () => {
  const t = tokenFor(createApp(srv.db, 'tiny', ['--plans', `${srv.dir}/plans.json`]), 'alice');
  const r = await api(srv, 'POST', '/api/rooms', { token: t, body: { policy: { maxParticipants: 4 } } });
  assertError(r, 400, 'VALIDATION_FAILED', 'policy.maxParticipants');
  assert.match(r.body.error.message, /between 1 and 3/);
  const w = await api(srv, 'POST', '/api/rooms', { token: t, body: { policy: { waitingRoom: true } } });
  assertError(w, 403, 'FEATURE_NOT_ENABLED', 'policy.waitingRoom');
});

test('--plans overrides a built-in plan', async () => {
  const t = tokenFor(createApp(srv.db, 'pro'), 'alice');
  const info = await api(srv, 'GET', '/api/info', { token: t });
  assert.deepEqual(info.body.limits, { maxRoomsPerApp: 100, maxParticipantsPerCall: 10 });
  assert.deepEqual(info.body.features.sort(), ['scheduled_rooms', 'waiting_room']);
  const ok = await api(srv, 'POST', '/api/rooms', { token: t, body: { policy: { maxParticipants: 10 } } });
  assert.equal(ok.status, 201);
});
