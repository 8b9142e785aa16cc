// The SDK's calls, results and errors against the real server.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { CheckedWebSocket as WebSocket } from '../integration/helpers.mjs';
import { DropOnAirClient, DropOnAirError } from '../../sdk/js/src/index.js';
import { createApp, eventually, startServer, tokenFor } from '../integration/helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer({ args: ['--ws-grace-ms', '1000'] });
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

const newClient = (user, extra = {}) =>
  new DropOnAirClient({ baseUrl: srv.url, token: tokenFor(app, user), WebSocket, ...extra });

function nextEvent(client, type, pred = () => true) {
  return new Promise((resolve) => {
    const off = client.onGroupCallEvent((ev) => { if (ev.type === type && pred(ev)) { off(); resolve(ev); } });
  });
}

test('REST: rooms CRUD, ifMatch, idempotency; errors reject with code and status', async () => {
  const c = newClient('alice');
  const r = await c.createRoom({ name: 'a' }, { idempotencyKey: 'k1' });
  const again = await c.createRoom({ name: 'a' }, { idempotencyKey: 'k1' });
  assert.equal(again.roomId, r.roomId);
  const u = await c.updateRoom(r.roomId, { name: 'b' }, { ifMatch: 1 });
  assert.equal(u.version, 2);
  await assert.rejects(c.updateRoom(r.roomId, { name: 'c' }, { ifMatch: 1 }),
    (e) => e instanceof DropOnAirError && e.code === 'PRECONDITION_FAILED' && e.status === 412);
  await assert.rejects(c.createRoom({ waitingroom: true }),
    (e) => e.code === 'VALIDATION_FAILED' && e.field === 'waitingroom' && e.status === 400);
  const list = await c.listRooms({ limit: 10 });
  assert.deepEqual(list.rooms.map((x) => x.roomId), [r.roomId]);
  assert.equal((await c.getRoom(r.roomId)).name, 'b');
  await c.deleteRoom(r.roomId);
  await assert.rejects(c.getRoom(r.roomId), (e) => e.code === 'ROOM_NOT_FOUND' && e.status === 404);
  const bad = new DropOnAirClient({ baseUrl: srv.url, token: 'x.y.z', WebSocket });
  await assert.rejects(bad.listRooms(), (e) => e.code === 'UNAUTHORIZED');
  await assert.rejects(bad.joinRoom(r.roomId), (e) => e.code === 'UNAUTHORIZED');
  bad.close();
  c.close();
});

test('joinRoom resolves to the statuses and rejects errors with .code', async () => {
  const host = newClient('hank');
  const guest = newClient('gil');
  const gated = await host.createRoom({ policy: { requireHost: true } });
  const waiting = await host.createRoom({ policy: { waitingRoom: true } });
  const closed = await host.createRoom({});
  await host.updateRoom(closed.roomId, { status: 'CLOSED' });
  const tiny = await host.createRoom({ policy: { maxParticipants: 1 } });

  assert.equal(await guest.joinRoom(gated.roomId), 'HOST_REQUIRED');
  assert.equal(await guest.joinRoom(waiting.roomId), 'WAITING_ROOM_PENDING');
  assert.equal(guest.lastJoin.position, 1);
  assert.equal(await guest.joinRoom(closed.roomId), 'ROOM_CLOSED');
  await assert.rejects(guest.joinRoom('rm_AAAAAAAAAAAAAAAAAAAAAA'), (e) => e.code === 'ROOM_NOT_FOUND');
  assert.match(await host.joinRoom(tiny.roomId), /^call_/);
  await assert.rejects(guest.joinRoom(tiny.roomId), (e) => e.code === 'ROOM_FULL' && e.limitSource === 'room');
  await guest.cancelWait(waiting.roomId);
  host.close();
  guest.close();
});

test('sendGroupCallSignal never rejects', async () => {
  const a = newClient('ana');
  const room = await a.createRoom({});
  const callId = await a.joinRoom(room.roomId);
  const r = await a.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', callId, '', 'nobody', { candidate: 'x' });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'NOT_FOUND');
  const bad = await a.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', 'call_nope', '', 'nobody', {});
  assert.equal(bad.error.code, 'NO_LIVE_CALL');
  a.close();
  // After close() a call reconnects on demand; the signal itself fails (x is not in the call).
  const later = await a.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', callId, '', 'x', {});
  assert.equal(later.ok, false);
  a.close();
});

test('a dropped connection reconnects and resumes; missed events arrive once', async () => {
  const a = newClient('amy');
  const b = newClient('bea');
  const room = await a.createRoom({});
  const callId = await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);
  const states = [];
  b.onConnectionState((s) => states.push(s));
  const seen = [];
  b.onGroupCallEvent((ev) => { if (ev.type === 'GROUP_CALL_SDP_OFFER') seen.push(ev.payload); });

  b._ws.terminate(); // the network drops
  await a.sendGroupCallSignal('GROUP_CALL_SDP_OFFER', callId, '', 'bea', 'while-away');
  assert.ok(await eventually(() => seen.length === 1 && b.state === 'open'));
  assert.deepEqual(seen, ['while-away']);
  assert.ok(states.includes('reconnecting'));
  await a.sendGroupCallSignal('GROUP_CALL_SDP_OFFER', callId, '', 'bea', 'after');
  assert.ok(await eventually(() => seen.length === 2));
  assert.deepEqual(seen, ['while-away', 'after']);
  const view = await a.getRoom(room.roomId);
  assert.equal(view.call.participantCount, 2);
  a.close();
  b.close();
});

test('after the grace the SDK authenticates and joins again (SDK_REJOINED)', async () => {
  const a = newClient('abe');
  const b = newClient('bo');
  const room = await a.createRoom({});
  await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);
  const rejoined = nextEvent(b, 'SDK_REJOINED');
  // Keep b away longer than the grace: block its reconnects for a while.
  const open = b._open.bind(b);
  b._open = (resume) => new Promise((res, rej) => setTimeout(() => open(resume).then(res, rej), 1500));
  b._ws.terminate();
  const ev = await rejoined;
  assert.equal(ev.status, 'JOINED');
  assert.equal(ev.roomId, room.roomId);
  assert.match(ev.callId, /^call_/);
  a.close();
  b.close();
});

test('setToken refreshes the session for the same user', async () => {
  const a = newClient('ada');
  await a.connect();
  await a.setToken(tokenFor(app, 'ada', { name: 'Ada L.' }));
  await assert.rejects(a.setToken(tokenFor(app, 'eve')), (e) => e.code === 'FORBIDDEN');
  a.close();
});

test('moderation calls', async () => {
  const h = newClient('hal');
  const p = newClient('pia');
  const room = await h.createRoom({ policy: { waitingRoom: true } });
  const callId = await h.joinRoom(room.roomId);
  const watcher = newClient('hal');
  const seen = await watcher.watchRoom(room.roomId);
  assert.equal(seen.call.callId, callId);
  const knock = nextEvent(watcher, 'GROUP_CALL_WAITING');
  assert.equal(await p.joinRoom(room.roomId), 'WAITING_ROOM_PENDING');
  assert.equal((await knock).userId, 'pia');
  assert.equal((await h.listWaiting(room.roomId)).waiting[0].userId, 'pia');
  const admitted = nextEvent(p, 'GROUP_CALL_ADMITTED');
  assert.deepEqual(await h.admitAll(room.roomId), ['pia']);
  await admitted;
  await h.setRole(callId, 'pia', 'CO_HOST');
  const mute = nextEvent(h, 'GROUP_CALL_MUTE_REQUESTED');
  await assert.rejects(p.muteParticipant(callId, 'hal'), (e) => e.code === 'FORBIDDEN');
  await h.muteParticipant(callId, 'pia', 'audio');
  await p.setMediaState(callId, { audio: false });
  await p.startScreenShare(callId);
  await p.stopScreenShare(callId);
  const removed = nextEvent(p, 'GROUP_CALL_REMOVED');
  await h.removeParticipant(callId, 'pia');
  assert.equal((await removed).reason, 'REMOVED_BY_HOST');
  const ended = nextEvent(watcher, 'GROUP_CALL_ENDED');
  await h.endCall(callId);
  assert.equal((await ended).reason, 'HOST_ENDED');
  void mute;
  for (const c of [h, p, watcher]) c.close();
});
