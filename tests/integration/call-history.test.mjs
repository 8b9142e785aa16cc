// Call history (issue 12, item 2): GET /api/rooms/{roomId}/calls and
// GET /api/calls/{callId}, paging, who may read them, how long they are
// kept, and what a crash leaves (SERVER_RESTART). Every response is checked
// against docs/openapi.json by api().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, eventually, sleep, startProcess, startServer, tempDir, tokenFor, WsClient } from './helpers.mjs';

let srv, app, other;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  other = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

const tok = (user, a = app) => tokenFor(a, user, { name: user.toUpperCase() });
const client = (user, s = srv, a = app) => WsClient.connect(s, tokenFor(a, user, { name: user.toUpperCase() }));

async function newRoom(s = srv, a = app, body = { hosts: ['hank'] }) {
  const r = await api(s, 'POST', '/api/rooms', { token: tokenFor(a, 'alice'), body });
  assert.equal(r.status, 201);
  return r.body.roomId;
}

test('a call with every participant session, written before the acknowledgement; newest first, paged', async () => {
  const roomId = await newRoom();
  const alice = await client('alice');
  const j = await alice.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(j.status, 'JOINED');
  // JOINED is sent once the session is committed: it is there at once.
  const live = await api(srv, 'GET', `/api/calls/${j.callId}`, { token: tok('alice') });
  assert.equal(live.status, 200);
  assert.deepEqual([live.body.endedAt, live.body.endReason, live.body.durationMs], [null, null, null]);
  assert.deepEqual(live.body.participants.map((p) => [p.userId, p.name, p.sessions.length]), [['alice', 'ALICE', 1]]);
  assert.deepEqual([live.body.participants[0].sessions[0].role, live.body.participants[0].sessions[0].leftAt], ['HOST', null]);

  const bob = await client('bob');
  assert.equal((await bob.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  assert.equal((await bob.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId })).ok, true);
  // The leave is committed before its reply too.
  const left = await api(srv, 'GET', `/api/calls/${j.callId}`, { token: tok('alice') });
  assert.equal(left.body.participants[1].sessions[0].leaveReason, 'LEFT');
  assert.equal((await bob.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  assert.equal((await alice.request({ type: 'END_CALL', callId: j.callId })).ok, true);

  const c = await api(srv, 'GET', `/api/calls/${j.callId}`, { token: tok('alice') });
  assert.equal(c.status, 200);
  assert.deepEqual([c.body.callId, c.body.roomId, c.body.endReason, c.body.peakParticipants, c.body.participantCount],
    [j.callId, roomId, 'HOST_ENDED', 2, 2]);
  assert.equal(c.body.durationMs, c.body.endedAt - c.body.startedAt);
  const [a, b] = c.body.participants;
  assert.equal(a.userId, 'alice');
  assert.deepEqual(a.sessions.map((s) => [s.role, s.leaveReason]), [['HOST', 'CALL_ENDED']]);
  assert.equal(b.userId, 'bob');
  assert.deepEqual(b.sessions.map((s) => [s.role, s.leaveReason]), [['PARTICIPANT', 'LEFT'], ['PARTICIPANT', 'CALL_ENDED']]);
  for (const s of [...a.sessions, ...b.sessions]) {
    assert.equal(s.durationMs, s.leftAt - s.joinedAt);
    assert.ok(s.joinedAt >= c.body.startedAt && s.leftAt <= c.body.endedAt);
  }
  assert.ok(b.sessions[1].joinedAt >= b.sessions[0].leftAt);

  // A second call that empties (EMPTY), and a third that is still live.
  await sleep(5);
  const j2 = await alice.request({ type: 'JOIN_ROOM', roomId });
  assert.notEqual(j2.callId, j.callId);
  await alice.request({ type: 'GROUP_CALL_LEAVE', callId: j2.callId });
  await sleep(5);
  const j3 = await alice.request({ type: 'JOIN_ROOM', roomId });

  const all = await api(srv, 'GET', `/api/rooms/${roomId}/calls`, { token: tok('alice') });
  assert.deepEqual(all.body.calls.map((x) => [x.callId, x.endReason]),
    [[j3.callId, null], [j2.callId, 'EMPTY'], [j.callId, 'HOST_ENDED']]);
  assert.equal(all.body.nextCursor, null);
  assert.deepEqual(all.body.calls.map((x) => x.participantCount), [1, 1, 2]);
  const p1 = await api(srv, 'GET', `/api/rooms/${roomId}/calls?limit=2`, { token: tok('alice') });
  assert.deepEqual(p1.body.calls.map((x) => x.callId), [j3.callId, j2.callId]);
  assert.ok(p1.body.nextCursor);
  const p2 = await api(srv, 'GET', `/api/rooms/${roomId}/calls?limit=2&cursor=${p1.body.nextCursor}`, { token: tok('alice') });
  assert.deepEqual(p2.body.calls.map((x) => x.callId), [j.callId]);
  assert.equal(p2.body.nextCursor, null);
  await alice.close();
  await bob.close();
});

test('who may read it: the creator and hosts; not a participant, never another app', async () => {
  const roomId = await newRoom();
  const alice = await client('alice');
  const j = await alice.request({ type: 'JOIN_ROOM', roomId });
  await alice.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId });
  const calls = `/api/rooms/${roomId}/calls`;
  const call = `/api/calls/${j.callId}`;

  assert.equal((await api(srv, 'GET', calls, { token: tok('hank') })).status, 200, 'a host who never joined');
  assert.equal((await api(srv, 'GET', call, { token: tok('hank') })).status, 200);
  assertError(await api(srv, 'GET', calls, { token: tok('bob') }), 403, 'FORBIDDEN');
  assertError(await api(srv, 'GET', call, { token: tok('bob') }), 403, 'FORBIDDEN');
  assertError(await api(srv, 'GET', calls, { token: tok('alice', other) }), 404, 'ROOM_NOT_FOUND');
  assertError(await api(srv, 'GET', call, { token: tok('alice', other) }), 404, 'CALL_NOT_FOUND');
  assertError(await api(srv, 'GET', calls), 401, 'UNAUTHORIZED');
  assertError(await api(srv, 'GET', '/api/calls/call_nosuchcallatall00', { token: tok('alice') }), 404, 'CALL_NOT_FOUND');
  assertError(await api(srv, 'GET', '/api/calls/nope', { token: tok('alice') }), 404, 'CALL_NOT_FOUND');
  assertError(await api(srv, 'GET', '/api/rooms/rm_nosuchroom0000000000/calls', { token: tok('alice') }), 404, 'ROOM_NOT_FOUND');
  assertError(await api(srv, 'GET', `${calls}?cursor=bm9wZQ`, { token: tok('alice') }), 400, 'VALIDATION_FAILED', 'cursor');
  assertError(await api(srv, 'GET', `${calls}?limit=0`, { token: tok('alice') }), 400, 'VALIDATION_FAILED', 'limit');
  assertError(await api(srv, 'GET', `${calls}?limit=201`, { token: tok('alice') }), 400, 'VALIDATION_FAILED', 'limit');
  assertError(await api(srv, 'POST', calls, { token: tok('alice'), body: {} }), 405, 'METHOD_NOT_ALLOWED');

  // A deleted room's calls stay until purged, but nobody is left to show them to.
  assert.equal((await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: tok('alice') })).status, 204);
  assertError(await api(srv, 'GET', call, { token: tok('alice') }), 403, 'FORBIDDEN');
  assertError(await api(srv, 'GET', calls, { token: tok('alice') }), 404, 'ROOM_NOT_FOUND');
  await alice.close();
});

test('kept for the history time: ended calls are purged off the loop, live ones never', async (t) => {
  const s = await startServer({ args: ['--history-keep-ms', '800', '--purge-every-ms', '200'] });
  t.after(() => s.stop());
  const a = createApp(s.db, 'pro');
  const roomId = await newRoom(s, a);
  const alice = await client('alice', s, a);
  const ended = await alice.request({ type: 'JOIN_ROOM', roomId });
  await alice.request({ type: 'GROUP_CALL_LEAVE', callId: ended.callId });
  const live = await alice.request({ type: 'JOIN_ROOM', roomId });
  assert.equal((await api(s, 'GET', `/api/calls/${ended.callId}`, { token: tokenFor(a, 'alice') })).status, 200);
  const gone = await eventually(async () => (await api(s, 'GET', `/api/calls/${ended.callId}`, { token: tokenFor(a, 'alice') })).status === 404, 5000);
  assert.ok(gone, 'purged');
  await sleep(1000); // the live call is older than the history time by now
  const list = await api(s, 'GET', `/api/rooms/${roomId}/calls`, { token: tokenFor(a, 'alice') });
  assert.deepEqual(list.body.calls.map((c) => c.callId), [live.callId]);
  const m = (await api(s, 'GET', '/metrics')).body;
  assert.match(m, /^droponair_history_calls_purged_total [1-9]/m);
  assert.match(s.logs(), /msg="purged" calls=1/);
  await alice.close();
});

test('a crash leaves no call open: after a restart it ended with SERVER_RESTART, sessions too', async (t) => {
  const dir = tempDir();
  const s = await startProcess({ dir });
  const a = createApp(s.db, 'pro');
  const roomId = await newRoom(s, a);
  const alice = await client('alice', s, a);
  const bob = await client('bob', s, a);
  const j = await alice.request({ type: 'JOIN_ROOM', roomId });
  assert.equal((await bob.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  await s.kill();
  const again = await startProcess({ dir, db: s.db });
  t.after(() => again.stop());
  const c = await api(again, 'GET', `/api/calls/${j.callId}`, { token: tokenFor(a, 'alice') });
  assert.deepEqual([c.body.endReason, c.body.peakParticipants, c.body.participantCount], ['SERVER_RESTART', 2, 2]);
  assert.deepEqual(c.body.participants.map((p) => p.sessions.map((x) => x.leaveReason)), [['SERVER_RESTART'], ['SERVER_RESTART']]);
});
