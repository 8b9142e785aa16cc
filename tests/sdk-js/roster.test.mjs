// The SDK's roster of each joined call (client.getCall) and its buffer of
// signals nobody consumed yet, against the real server with real clients.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { DropOnAirClient, SIGNAL_BUFFER_CAP } from '../../sdk/js/src/index.js';
import { createApp, startServer, tokenFor } from '../integration/helpers.mjs';

const GRACE_MS = 1000;
let srv, app;
before(async () => {
  srv = await startServer({ args: ['--ws-grace-ms', String(GRACE_MS)] });
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

const clients = [];
const newClient = (user) => {
  const c = new DropOnAirClient({ baseUrl: srv.url, token: tokenFor(app, user, { name: user.toUpperCase() }), WebSocket });
  clients.push(c);
  return c;
};
after(() => { for (const c of clients) c.close(); });

function nextEvent(client, type, pred = () => true) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type}`)), 10000);
    const off = client.onGroupCallEvent((ev) => {
      if (ev.type === type && pred(ev)) { clearTimeout(t); off(); resolve(ev); }
    });
  });
}

const ids = (call) => call.participants.map((p) => p.userId).sort();

// Cuts the client's connection and keeps it from reconnecting for ms.
function offlineFor(client, ms) {
  const open = client._open.bind(client);
  const until = Date.now() + ms;
  client._open = (resume) => new Promise((resolve, reject) => {
    setTimeout(() => open(resume).then(resolve, reject), Math.max(0, until - Date.now()));
  });
  client._ws.terminate();
}

test('the roster right after joining, then after joins, media, roles and leaves', async () => {
  const a = newClient('ann');
  const b = newClient('bob');
  const room = await a.createRoom({ name: 'roster' });
  assert.equal(a.getCall(room.roomId), null);
  const callId = await a.joinRoom(room.roomId);

  const mine = a.getCall(room.roomId);
  assert.equal(mine.status, 'JOINED');
  assert.equal(mine.callId, callId);
  assert.equal(mine.role, 'HOST');
  assert.deepEqual(ids(mine), ['ann']);
  assert.deepEqual(mine.iceServers, []); // the server has no --stun/--turn
  assert.equal(mine.bufferedSignals, 0);

  const arrived = nextEvent(a, 'GROUP_CALL_PARTICIPANT_JOINED');
  assert.equal(await b.joinRoom(room.roomId), callId);
  assert.deepEqual(ids(b.getCall(room.roomId)), ['ann', 'bob']);
  assert.equal(b.getCall(room.roomId).role, 'PARTICIPANT');
  await arrived;
  const seen = a.getCall(room.roomId).participants.find((p) => p.userId === 'bob');
  assert.equal(seen.name, 'BOB');
  assert.equal(seen.role, 'PARTICIPANT');

  const muted = nextEvent(a, 'GROUP_CALL_MEDIA_STATE');
  await b.setMediaState(callId, { audio: false });
  await muted;
  assert.equal(a.getCall(room.roomId).participants.find((p) => p.userId === 'bob').audio, false);
  assert.equal(b.getCall(room.roomId).participants.find((p) => p.userId === 'bob').audio, false);

  // Both wait for their own copy of the event: a's comes after its reply,
  // on its own connection, and b's may come first (this raced under load).
  const promoted = nextEvent(b, 'GROUP_CALL_ROLE_CHANGED');
  const seenPromoted = nextEvent(a, 'GROUP_CALL_ROLE_CHANGED');
  await a.setRole(callId, 'bob', 'CO_HOST');
  await Promise.all([promoted, seenPromoted]);
  assert.equal(b.getCall(room.roomId).role, 'CO_HOST');
  assert.equal(a.getCall(room.roomId).participants.find((p) => p.userId === 'bob').role, 'CO_HOST');

  const left = nextEvent(a, 'GROUP_CALL_PARTICIPANT_LEFT');
  await b.leaveCall(room.roomId);
  assert.equal(b.getCall(room.roomId), null);
  await left;
  assert.deepEqual(ids(a.getCall(room.roomId)), ['ann']);
  assert.deepEqual((await a.getRoom(room.roomId)).call.participants.map((p) => p.userId), ['ann']);
});

test('signals that arrive before a consumer exists are kept and handed over in order', async () => {
  const a = newClient('amy');
  const b = newClient('ben');
  const room = await a.createRoom({});
  const callId = await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);
  const last = nextEvent(a, 'GROUP_CALL_ICE_CANDIDATE', (ev) => ev.payload.n === 2);
  await b.sendGroupCallSignal('GROUP_CALL_SDP_OFFER', callId, '', 'amy', { type: 'offer', sdp: 'v=0\r\n', gen: 'g1' });
  await b.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', callId, '', 'amy', { candidate: 'c1', n: 1, gen: 'g1' });
  await b.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', callId, '', 'amy', { candidate: 'c2', n: 2, gen: 'g1' });
  await last;
  assert.equal(a.getCall(room.roomId).bufferedSignals, 3);

  const got = [];
  const detach = a.attachCall(room.roomId, (ch) => { if (ch.type === 'signal') got.push(ch.event); });
  assert.deepEqual(got.map((e) => [e.type, e.from, e.payload.n]), [
    ['GROUP_CALL_SDP_OFFER', 'ben', undefined], ['GROUP_CALL_ICE_CANDIDATE', 'ben', 1], ['GROUP_CALL_ICE_CANDIDATE', 'ben', 2]]);
  assert.equal(a.getCall(room.roomId).bufferedSignals, 0);

  // With a consumer attached, signals go to it and are not kept.
  const fourth = nextEvent(a, 'GROUP_CALL_ICE_CANDIDATE', (ev) => ev.payload.n === 3);
  await b.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', callId, '', 'amy', { candidate: 'c3', n: 3, gen: 'g1' });
  await fourth;
  assert.deepEqual(got.map((e) => e.payload.n).slice(3), [3]);
  assert.equal(a.getCall(room.roomId).bufferedSignals, 0);

  // Detached again: kept again, and a sender that leaves takes its signals with it.
  detach();
  const fifth = nextEvent(a, 'GROUP_CALL_ICE_CANDIDATE', (ev) => ev.payload.n === 4);
  await b.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', callId, '', 'amy', { candidate: 'c4', n: 4, gen: 'g1' });
  await fifth;
  assert.equal(a.getCall(room.roomId).bufferedSignals, 1);
  const left = nextEvent(a, 'GROUP_CALL_PARTICIPANT_LEFT');
  await b.leaveCall(room.roomId);
  await left;
  assert.equal(a.getCall(room.roomId).bufferedSignals, 0);
});

test('a sender\'s new connection (a fresh offer with a new gen) replaces what its old one sent', async () => {
  const a = newClient('ada');
  const b = newClient('bea');
  const room = await a.createRoom({});
  const callId = await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);
  const send = (type, payload) => b.sendGroupCallSignal(type, callId, '', 'ada', payload);
  const last = nextEvent(a, 'GROUP_CALL_ICE_CANDIDATE', (ev) => ev.payload.n === 'new');
  await send('GROUP_CALL_SDP_OFFER', { type: 'offer', sdp: 'old', gen: 'g1' });
  await send('GROUP_CALL_ICE_CANDIDATE', { candidate: 'x', n: 'old', gen: 'g1' });
  await send('GROUP_CALL_SDP_OFFER', { type: 'offer', sdp: 'new', gen: 'g2' });
  await send('GROUP_CALL_ICE_CANDIDATE', { candidate: 'y', n: 'new', gen: 'g2' });
  await last;
  const got = [];
  a.attachCall(room.roomId, (ch) => { if (ch.type === 'signal') got.push(ch.event); });
  assert.deepEqual(got.map((e) => e.payload.gen), ['g2', 'g2']);
  assert.equal(got[0].payload.sdp, 'new');
});

test(`the signal buffer keeps the newest ${SIGNAL_BUFFER_CAP} per call and counts what it dropped`, async () => {
  assert.equal(SIGNAL_BUFFER_CAP, 512);
  const a = newClient('abe');
  const b = newClient('bo');
  const room = await a.createRoom({});
  const callId = await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);
  const total = SIGNAL_BUFFER_CAP + 8;
  const last = nextEvent(a, 'GROUP_CALL_ICE_CANDIDATE', (ev) => ev.payload.n === total - 1);
  const sends = [];
  for (let n = 0; n < total; n++) sends.push(b.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', callId, '', 'abe', { candidate: 'c', n }));
  for (const r of await Promise.all(sends)) assert.equal(r.ok, true, JSON.stringify(r));
  await last;
  const call = a.getCall(room.roomId);
  assert.equal(call.bufferedSignals, SIGNAL_BUFFER_CAP);
  assert.equal(call.droppedSignals, 8);
  const got = [];
  a.attachCall(room.roomId, (ch) => { if (ch.type === 'signal') got.push(ch.event.payload.n); });
  assert.equal(got.length, SIGNAL_BUFFER_CAP);
  assert.equal(got[0], 8); // the oldest were dropped
  assert.equal(got[got.length - 1], total - 1);
});

test('an admission fills the roster from GROUP_CALL_ADMITTED', async () => {
  const h = newClient('hal');
  const g = newClient('gus');
  const room = await h.createRoom({ policy: { waitingRoom: true } });
  const callId = await h.joinRoom(room.roomId);
  assert.equal(await g.joinRoom(room.roomId), 'WAITING_ROOM_PENDING');
  assert.equal(g.getCall(room.roomId).status, 'WAITING_ROOM_PENDING');
  assert.equal(g.getCall(room.roomId).callId, null);
  const admitted = nextEvent(g, 'GROUP_CALL_ADMITTED');
  await h.admit(room.roomId, 'gus');
  await admitted;
  const call = g.getCall(room.roomId);
  assert.equal(call.status, 'JOINED');
  assert.equal(call.callId, callId);
  assert.deepEqual(ids(call), ['gus', 'hal']);
});

test('after a lost session the roster follows the rejoin, and leaveCall leaves the call it is in NOW', async () => {
  const a = newClient('al');
  const b = newClient('bu');
  const room = await a.createRoom({});
  const first = await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);

  // b is away longer than the grace; meanwhile a leaves, so that call ends,
  // and a opens a new one: b must come back into the new call.
  const rejoined = nextEvent(b, 'SDK_REJOINED');
  offlineFor(b, GRACE_MS + 1500);
  await new Promise((r) => setTimeout(r, GRACE_MS + 500));
  await a.leaveCall(room.roomId);
  const second = await a.joinRoom(room.roomId);
  assert.notEqual(second, first);
  const ev = await rejoined;
  assert.equal(ev.status, 'JOINED');
  assert.equal(ev.callId, second);
  assert.equal(ev.previousCallId, first);
  const call = b.getCall(room.roomId);
  assert.equal(call.callId, second);
  assert.deepEqual(ids(call), ['al', 'bu']);
  assert.equal(call.bufferedSignals, 0);

  await b.leaveCall(room.roomId);
  const view = await a.getRoom(room.roomId);
  assert.deepEqual(view.call.participants.map((p) => p.userId), ['al']);
});

test('a rejoin that finds no host waits for one, then joins by itself', async () => {
  const h = newClient('hope');
  const g = newClient('gil');
  const room = await h.createRoom({ policy: { requireHost: true } });
  await h.joinRoom(room.roomId);
  await g.joinRoom(room.roomId);

  const held = nextEvent(g, 'SDK_REJOINED');
  offlineFor(g, GRACE_MS + 1500);
  await h.leaveCall(room.roomId); // no host while g is away
  const ev = await held;
  assert.equal(ev.status, 'HOST_REQUIRED');
  assert.equal(g.getCall(room.roomId).status, 'HOST_REQUIRED');

  const back = nextEvent(g, 'SDK_REJOINED');
  const callId = await h.joinRoom(room.roomId);
  const ev2 = await back;
  assert.equal(ev2.status, 'JOINED');
  assert.equal(ev2.callId, callId);
  assert.deepEqual(ids(g.getCall(room.roomId)), ['gil', 'hope']);
});
