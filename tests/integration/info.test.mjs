// GET /api/info: anonymous, per plan, and bad tokens.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, tokenFor, sign } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('without a token it lists every supported feature', async () => {
  const r = await api(srv, 'GET', '/api/info');
  assert.equal(r.status, 200);
  assert.equal(r.body.name, 'droponair');
  assert.equal(r.body.apiVersion, 'v1');
  assert.deepEqual(r.body.features.sort(), ['scheduled_rooms', 'screen_share', 'waiting_room']);
  assert.equal(r.body.appId, undefined);
});

test('with a token it shows the app plan features and limits', async () => {
  const expect = {
    starter: { features: [], maxRoomsPerApp: 0, maxParticipantsPerCall: 4 },
    pro: { features: ['scheduled_rooms', 'screen_share', 'waiting_room'], maxRoomsPerApp: 100, maxParticipantsPerCall: 25 },
    business: { features: ['scheduled_rooms', 'screen_share', 'waiting_room'], maxRoomsPerApp: 10000, maxParticipantsPerCall: 100 },
  };
  for (const [plan, want] of Object.entries(expect)) {
    const app = createApp(srv.db, plan);
    const r = await api(srv, 'GET', '/api/info', { token: tokenFor(app, 'alice') });
    assert.equal(r.status, 200, plan);
    assert.equal(r.body.plan, plan);
    assert.equal(r.body.appId, app.appId);
    assert.equal(r.body.userId, 'alice');
    assert.deepEqual(r.body.features.sort(), want.features);
    assert.deepEqual(r.body.limits, { maxRoomsPerApp: want.maxRoomsPerApp, maxParticipantsPerCall: want.maxParticipantsPerCall });
  }
});

test('a bad token is 401, not anonymous', async () => {
  const app = createApp(srv.db, 'pro');
  const now = Math.floor(Date.now() / 1000);
  const bad = sign({ sub: 'alice', exp: now + 60 }, 'wrong-secret-wrong-secret', { kid: app.kid });
  const r = await api(srv, 'GET', '/api/info', { token: bad });
  assertError(r, 401, 'UNAUTHORIZED');
  assert.equal(r.headers.get('www-authenticate'), 'Bearer');
});

// usage.rooms is what maxRoomsPerApp counts: every room of the app, whoever
// made it, closed ones included; a deleted room frees its place.
test('GET /api/info says how many rooms the app uses, all users and closed rooms counted', async (t) => {
  const srv = await startServer();
  t.after(() => srv.stop());
  const app = createApp(srv.db, 'pro');
  const other = createApp(srv.db, 'pro');
  const used = async (a, user) => (await api(srv, 'GET', '/api/info', { token: tokenFor(a, user) })).body.usage.rooms;
  assert.equal(await used(app, 'ann'), 0);
  const ids = [];
  for (const user of ['ann', 'ann', 'bob']) {
    const r = await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, user), body: { name: user } });
    assert.equal(r.status, 201);
    ids.push(r.body.roomId);
  }
  assert.equal(await api(srv, 'POST', '/api/rooms', { token: tokenFor(other, 'zed'), body: {} }).then((r) => r.status), 201);
  assert.equal(await used(app, 'ann'), 3);
  assert.equal(await used(app, 'cy'), 3); // a user with no rooms sees the app's count
  assert.equal(await used(other, 'zed'), 1);
  const closed = await api(srv, 'PATCH', `/api/rooms/${ids[0]}`, { token: tokenFor(app, 'ann'), body: { status: 'CLOSED' } });
  assert.equal(closed.status, 200);
  assert.equal(await used(app, 'ann'), 3); // closed rooms count
  assert.equal((await api(srv, 'DELETE', `/api/rooms/${ids[1]}`, { token: tokenFor(app, 'ann') })).status, 204);
  assert.equal(await used(app, 'bob'), 2);
  const anon = await api(srv, 'GET', '/api/info');
  assert.equal(anon.body.usage, undefined);
});
