// Calls across processes (call ownership and routing, docs/cluster.md):
// clients connected to different droponaird processes of one cluster are in
// one call, exactly as on one process — same replies, same events, seq per
// session — and a call survives the kill -9 of the process that owns it.
// Each test starts its own cluster (cluster.mjs: PostgreSQL, Redis, three
// processes). The scenarios that make sense on one process run twice: with
// everyone on one process (what one node already does) and spread over three.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, eventually, sleep, tokenFor, WsClient } from './helpers.mjs';
import { startRedis } from './redis.mjs';
import { startCluster } from './cluster.mjs';

// How long after a kill -9 another process must have taken the call over:
// the lease runs out (leaseMs), then the next command claims it.
const TAKEOVER_MS = 3000;

const layouts = [
  { where: 'on one process', at: () => 0 },
  { where: 'on three processes', at: (i) => i % 3 },
];

// A user connected (AUTH) to process i of cluster c, with a display name.
const connect = (c, i, user) => WsClient.connect(c.nodes[i], tokenFor(c.app, user, { name: user.toUpperCase() }));

async function newRoom(c, i, user, body = {}) {
  const r = await api(c.nodes[i], 'POST', '/api/rooms', { token: tokenFor(c.app, user), body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.roomId;
}

const getRoom = async (c, i, user, roomId) => (await api(c.nodes[i], 'GET', `/api/rooms/${roomId}`, { token: tokenFor(c.app, user) })).body;

// Sends cmd again while the reply is UNAVAILABLE (the call's owner is gone
// and its lease has not run out yet) and `until` (epoch ms) has not passed;
// resolves with the first other reply, error or not, for the test to check.
async function retried(client, cmd, until) {
  for (;;) {
    const r = await client.request(cmd);
    if (r.ok || r.error.code !== 'UNAVAILABLE' || Date.now() > until) return r;
    await sleep(100);
  }
}

const signalCmd = (callId, signal, to, payload) => ({ type: 'GROUP_CALL_SIGNAL', signal, callId, groupId: '', to, payload });

// from sends one signal to `to` (both clients); resolves with the event `to` got.
async function relay(from, to, callId, signal, payload, until = 0) {
  const r = await retried(from, signalCmd(callId, signal, to.userId, payload), until);
  assert.deepEqual(r, { id: r.id, ok: true }, `${from.userId} -> ${to.userId} ${signal}`);
  const ev = await to.waitEvent(signal, (e) => e.from === from.userId && JSON.stringify(e.payload) === JSON.stringify(payload));
  assert.equal(ev.callId, callId);
  return ev;
}

// Every event a session got has a seq above the one before.
function assertSeqIncreasing(client) {
  const seqs = client.events.filter((e) => e.seq !== undefined).map((e) => e.seq);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `${client.userId}: seq ${seqs[i]} after ${seqs[i - 1]}`);
}

for (const { where, at } of layouts) {
  test(`two users ${where}: both in one call, SDP and ICE both ways, joins and leaves seen`, async (t) => {
    const c = await startCluster(t);
    const roomId = await newRoom(c, at(0), 'alice', { name: 'open' });
    const alice = await connect(c, at(0), 'alice');
    const bob = await connect(c, at(1), 'bob');

    const ja = await alice.request({ type: 'JOIN_ROOM', roomId });
    assert.deepEqual([ja.ok, ja.status, ja.role], [true, 'JOINED', 'HOST'], JSON.stringify(ja));
    const jb = await bob.request({ type: 'JOIN_ROOM', roomId });
    assert.equal(jb.status, 'JOINED', JSON.stringify(jb));
    assert.equal(jb.callId, ja.callId, 'bob joins the call alice opened');
    assert.deepEqual(jb.participants.map((p) => p.userId), ['alice', 'bob']);
    const joined = await alice.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'bob');
    assert.deepEqual([joined.name, joined.role, joined.roomId, joined.callId, joined.groupId], ['BOB', 'PARTICIPANT', roomId, ja.callId, '']);

    // Through bob's process, the room shows the call with both.
    const view = await getRoom(c, at(1), 'bob', roomId);
    assert.equal(view.call.callId, ja.callId);
    assert.equal(view.call.participantCount, 2);

    // SDP both ways, a payload with CRLFs relayed unchanged, ICE in order.
    const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' + 'a=x\r\n'.repeat(600);
    await relay(bob, alice, ja.callId, 'GROUP_CALL_SDP_OFFER', sdp);
    await relay(alice, bob, ja.callId, 'GROUP_CALL_SDP_ANSWER', { type: 'answer', sdp: 'v=0' });
    const candidates = Array.from({ length: 10 }, (_, i) => ({ candidate: `candidate:${i}`, sdpMid: '0' }));
    for (const [from, to] of [[alice, bob], [bob, alice]]) {
      for (const cand of candidates) {
        const r = await from.request(signalCmd(ja.callId, 'GROUP_CALL_ICE_CANDIDATE', to.userId, cand));
        assert.equal(r.ok, true, JSON.stringify(r));
      }
      await to.waitEvent('GROUP_CALL_ICE_CANDIDATE', (e) => e.payload.candidate === 'candidate:9');
      assert.deepEqual(to.eventsOf('GROUP_CALL_ICE_CANDIDATE').map((e) => [e.from, e.payload]), candidates.map((x) => [from.userId, x]));
    }
    // No echo of one's own signals.
    assert.equal(alice.eventsOf('GROUP_CALL_SDP_ANSWER').length, 0);
    assert.equal(bob.eventsOf('GROUP_CALL_SDP_OFFER').length, 0);

    // Leaves and joins are seen across, both ways; the call goes on while one is in.
    assert.equal((await alice.request({ type: 'GROUP_CALL_LEAVE', callId: ja.callId })).ok, true);
    const aliceLeft = await bob.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'alice');
    assert.equal(aliceLeft.reason, 'LEFT');
    const again = await alice.request({ type: 'JOIN_ROOM', roomId });
    assert.equal(again.callId, ja.callId, 'bob kept the call open');
    const aliceBack = await bob.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'alice');
    assert.deepEqual([aliceBack.name, aliceBack.role], ['ALICE', 'HOST']);
    assert.equal((await bob.request({ type: 'GROUP_CALL_LEAVE', callId: ja.callId })).ok, true);
    const bobLeft = await alice.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'bob');
    assert.equal(bobLeft.reason, 'LEFT');
    for (const x of [alice, bob]) assertSeqIncreasing(x);
    await alice.close();
    await bob.close();
  });

  test(`waiting room ${where}: a host who did not open the call admits one waiter and denies another`, async (t) => {
    const c = await startCluster(t);
    const roomId = await newRoom(c, at(0), 'olga', { hosts: ['hank'], policy: { waitingRoom: true } });
    const olga = await connect(c, at(0), 'olga'); // opens the call
    const amy = await connect(c, at(1), 'amy');
    const ben = await connect(c, at(1), 'ben');
    const hank = await connect(c, at(2), 'hank');

    const jo = await olga.request({ type: 'JOIN_ROOM', roomId });
    assert.equal(jo.status, 'JOINED', JSON.stringify(jo));
    const jh = await hank.request({ type: 'JOIN_ROOM', roomId });
    assert.deepEqual([jh.status, jh.callId, jh.role], ['JOINED', jo.callId, 'HOST'], JSON.stringify(jh));
    assert.deepEqual(jh.waiting, []);

    const wa = await amy.request({ type: 'JOIN_ROOM', roomId });
    assert.deepEqual([wa.status, wa.position], ['WAITING_ROOM_PENDING', 1], JSON.stringify(wa));
    const wb = await ben.request({ type: 'JOIN_ROOM', roomId });
    assert.deepEqual([wb.status, wb.position], ['WAITING_ROOM_PENDING', 2], JSON.stringify(wb));
    for (const host of [hank, olga]) {
      const w = await host.waitEvent('GROUP_CALL_WAITING', (e) => e.userId === 'ben');
      assert.deepEqual([w.name, w.position, w.callId], ['BEN', 2, jo.callId]);
    }

    const admit = await hank.request({ type: 'ADMIT', roomId, userId: 'amy' });
    assert.deepEqual([admit.ok, admit.admitted], [true, ['amy']], JSON.stringify(admit));
    const ad = await amy.waitEvent('GROUP_CALL_ADMITTED');
    assert.equal(ad.callId, jo.callId);
    assert.equal(ad.role, 'PARTICIPANT');
    assert.deepEqual(ad.participants.map((p) => p.userId).sort(), ['amy', 'hank', 'olga']);
    for (const member of [olga, hank]) {
      const j = await member.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'amy');
      assert.deepEqual([j.name, j.role, j.callId], ['AMY', 'PARTICIPANT', jo.callId]);
    }

    assert.equal((await amy.request({ type: 'DENY', roomId, userId: 'ben' })).error.code, 'FORBIDDEN');
    assert.equal((await hank.request({ type: 'DENY', roomId, userId: 'ben' })).ok, true);
    assert.equal((await ben.waitEvent('GROUP_CALL_DENIED')).reason, 'DENIED');
    assert.equal((await hank.request({ type: 'DENY', roomId, userId: 'ben' })).error.code, 'NOT_WAITING');
    const list = await api(c.nodes[at(1)], 'GET', `/api/rooms/${roomId}/waiting`, { token: tokenFor(c.app, 'hank') });
    assert.deepEqual(list.body.waiting, []);
    for (const x of [olga, amy, ben, hank]) assertSeqIncreasing(x);
    for (const x of [olga, amy, ben, hank]) await x.close();
  });

  test(`50 joiners ${where} race for 10 places: exactly 10 get in`, async (t) => {
    const c = await startCluster(t);
    const roomId = await newRoom(c, 0, 'owner', { policy: { maxParticipants: 10 } });
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(c, at(i), `u${i}`)));
    const replies = await Promise.all(clients.map((x) => x.request({ type: 'JOIN_ROOM', roomId }, 20000)));

    const joined = replies.filter((r) => r.ok && r.status === 'JOINED');
    const full = replies.filter((r) => !r.ok);
    assert.equal(joined.length, 10, replies.map((r) => r.status || r.error.code).join(' '));
    assert.equal(full.length, 40);
    assert.ok(full.every((r) => r.error.code === 'ROOM_FULL' && r.error.limitSource === 'room'), JSON.stringify(full[0]));
    assert.equal(new Set(joined.map((r) => r.callId)).size, 1, 'one call');
    const inside = clients.filter((_, i) => replies[i].ok).map((x) => x.userId).sort();

    // What the host sees when watching the room, from the third process.
    const host = await connect(c, at(2), 'owner');
    const w = await host.request({ type: 'WATCH_ROOM', roomId });
    assert.equal(w.ok, true, JSON.stringify(w));
    assert.equal(w.call.callId, joined[0].callId);
    assert.equal(w.call.participantCount, 10);
    assert.deepEqual(w.call.participants.map((p) => p.userId).sort(), inside);
    for (const i of new Set([at(0), at(1), at(2)])) assert.equal((await getRoom(c, i, 'owner', roomId)).call.participantCount, 10, `GET through n${i}`);
    await Promise.all([host, ...clients].map((x) => x.close()));
  });

  test(`a member ${where} drops, the others see it reconnecting, RESUME on its process keeps its place`, async (t) => {
    const c = await startCluster(t, { args: ['--ws-grace-ms', '3000'] });
    const roomId = await newRoom(c, at(0), 'hank', {});
    const hank = await connect(c, at(0), 'hank'); // opens the call: its process owns it
    const pam = await connect(c, at(1), 'pam');
    const ivy = await connect(c, at(2), 'ivy');
    const { callId } = await hank.request({ type: 'JOIN_ROOM', roomId });
    for (const x of [pam, ivy]) assert.equal((await x.request({ type: 'JOIN_ROOM', roomId })).callId, callId, `${x.userId} joins hank's call`);
    await hank.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'ivy');
    await pam.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'ivy');
    const lastSeq = pam.lastSeq();

    await pam.terminate(); // no close frame: a dropped network
    for (const x of [hank, ivy]) {
      const rec = await x.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTING', (e) => e.userId === 'pam');
      assert.equal(rec.callId, callId);
    }
    // While pam is away: a signal for her, and she still counts in the call.
    assert.equal((await hank.request(signalCmd(callId, 'GROUP_CALL_SDP_OFFER', 'pam', 'missed-offer'))).ok, true);
    assert.equal((await getRoom(c, at(2), 'hank', roomId)).call.participantCount, 3);

    const back = await WsClient.open(c.nodes[at(1)]);
    const r = await back.request({ type: 'RESUME', resumeToken: pam.resumeToken, lastSeq });
    assert.deepEqual([r.ok, r.userId], [true, 'pam'], JSON.stringify(r));
    back.userId = 'pam';
    const missed = await back.waitEvent('GROUP_CALL_SDP_OFFER');
    assert.deepEqual([missed.from, missed.payload, missed.seq, missed.callId], ['hank', 'missed-offer', lastSeq + 1, callId]);
    assert.equal(back.frames[0].id, r.id, 'the reply comes before the replayed events');
    for (const x of [hank, ivy]) await x.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTED', (e) => e.userId === 'pam');

    // Still in the call: signals both ways, and the grace passes without a leave.
    await relay(back, hank, callId, 'GROUP_CALL_SDP_ANSWER', 'answer-after-resume');
    await relay(ivy, back, callId, 'GROUP_CALL_ICE_CANDIDATE', { candidate: 'c1' });
    await sleep(3500);
    assert.equal(hank.eventsOf('GROUP_CALL_PARTICIPANT_LEFT').length, 0);
    assert.equal((await getRoom(c, at(0), 'hank', roomId)).call.participantCount, 3);
    for (const x of [hank, ivy, back]) assertSeqIncreasing(x);
    for (const x of [hank, ivy, back]) await x.close();
  });

  test(`a member ${where} drops for longer than the grace: the others see it leave, it joins again`, async (t) => {
    const c = await startCluster(t, { args: ['--ws-grace-ms', '1500'] });
    const roomId = await newRoom(c, at(0), 'hank', {});
    const hank = await connect(c, at(0), 'hank');
    const ned = await connect(c, at(1), 'ned');
    const { callId } = await hank.request({ type: 'JOIN_ROOM', roomId });
    assert.equal((await ned.request({ type: 'JOIN_ROOM', roomId })).callId, callId, 'ned joins hank\'s call');

    await ned.terminate();
    assert.equal((await hank.waitEvent('GROUP_CALL_PARTICIPANT_RECONNECTING', (e) => e.userId === 'ned')).callId, callId);
    const left = await hank.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'ned', 8000);
    assert.deepEqual([left.reason, left.callId], ['DISCONNECTED', callId]);
    assert.equal((await getRoom(c, at(1), 'hank', roomId)).call.participantCount, 1);

    const back = await WsClient.open(c.nodes[at(1)]);
    assert.equal((await back.request({ type: 'RESUME', resumeToken: ned.resumeToken, lastSeq: 0 })).error.code, 'RESUME_EXPIRED');
    assert.equal((await back.request({ type: 'AUTH', token: tokenFor(c.app, 'ned') })).ok, true);
    const again = await back.request({ type: 'JOIN_ROOM', roomId });
    assert.deepEqual([again.status, again.callId], ['JOINED', callId], JSON.stringify(again));
    assert.equal((await hank.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'ned')).callId, callId);
    await back.close();
    await hank.close();
  });
}

test('a room PATCHed through one process is read back changed through the others at once', async (t) => {
  const c = await startCluster(t);
  const token = tokenFor(c.app, 'alice');
  const roomId = await newRoom(c, 0, 'alice', { name: 'v0' });
  for (let i = 0; i < c.nodes.length; i++) assert.equal((await getRoom(c, i, 'alice', roomId)).name, 'v0'); // cached everywhere
  for (let v = 1; v <= 6; v++) {
    const from = c.nodes[v % 3];
    const p = await api(from, 'PATCH', `/api/rooms/${roomId}`, { token, body: { name: `v${v}`, policy: { waitingRoom: v % 2 === 1 } } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    for (const to of c.nodes.filter((n) => n !== from)) {
      const g = await api(to, 'GET', `/api/rooms/${roomId}`, { token });
      assert.deepEqual([g.body.name, g.body.policy.waitingRoom, g.body.version], [`v${v}`, v % 2 === 1, p.body.version], `through ${to.url}`);
    }
  }
});

// Users on three processes in one call; the process that owns the call (the
// one the first JOIN went through) is killed with kill -9. Resolves to what
// the scenarios after the kill need.
async function callThenKillOwner(t, grace) {
  const c = await startCluster(t, { args: ['--ws-grace-ms', String(grace)] });
  const roomId = await newRoom(c, 0, 'ann', {});
  const ann = await connect(c, 0, 'ann');
  const bea = await connect(c, 1, 'bea');
  const cid = await connect(c, 2, 'cid');
  const { callId } = await ann.request({ type: 'JOIN_ROOM', roomId }); // n0 owns the call
  for (const x of [bea, cid]) {
    const j = await x.request({ type: 'JOIN_ROOM', roomId });
    assert.equal(j.callId, callId, `${x.userId} joins the call opened through n0`);
  }
  await bea.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'cid');
  await relay(bea, cid, callId, 'GROUP_CALL_SDP_OFFER', 'before the kill');
  const marks = { bea: bea.lastSeq(), cid: cid.lastSeq() };

  await c.kill9(0);
  const until = Date.now() + c.leaseMs + TAKEOVER_MS;
  // The survivors stay in the same call and signal each other, once another
  // process has taken it over (UNAVAILABLE until then).
  await relay(bea, cid, callId, 'GROUP_CALL_SDP_OFFER', 'after the kill', until);
  await relay(cid, bea, callId, 'GROUP_CALL_SDP_ANSWER', 'answer after the kill', until);
  await relay(bea, cid, callId, 'GROUP_CALL_ICE_CANDIDATE', { candidate: 'after the kill' }, until);
  // ann, whose process died, is still a member for the grace.
  const view = await getRoom(c, 1, 'bea', roomId);
  assert.equal(view.call.callId, callId);
  assert.deepEqual(view.call.participants.map((p) => p.userId).sort(), ['ann', 'bea', 'cid']);
  return { c, roomId, callId, ann, bea, cid, marks, until };
}

test('kill -9 of the call\'s owner: the call goes on; its user comes back through another process', async (t) => {
  const { c, roomId, callId, ann, bea, cid, marks, until } = await callThenKillOwner(t, 20000);

  // ann's app reconnects through n1: its resume token was n0's, so it
  // authenticates and joins again, into the same call.
  const back = await WsClient.open(c.nodes[1]);
  assert.equal((await back.request({ type: 'RESUME', resumeToken: ann.resumeToken, lastSeq: ann.lastSeq() })).error.code, 'RESUME_EXPIRED');
  const auth = await back.request({ type: 'AUTH', token: tokenFor(c.app, 'ann', { name: 'ANN' }) });
  assert.equal(auth.ok, true);
  back.userId = 'ann';
  const j = await retried(back, { type: 'JOIN_ROOM', roomId }, until);
  assert.deepEqual([j.ok, j.status, j.callId, j.role], [true, 'JOINED', callId, 'HOST'], JSON.stringify(j));
  assert.deepEqual(j.participants.map((p) => p.userId).sort(), ['ann', 'bea', 'cid']);

  // The others see the old ann replaced by the new one, in that order.
  for (const x of [bea, cid]) {
    const left = await x.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'ann' && e.seq > marks[x.userId]);
    assert.deepEqual([left.reason, left.callId], ['REPLACED', callId]);
    const joined = await x.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'ann' && e.seq > left.seq);
    assert.deepEqual([joined.name, joined.role, joined.callId], ['ANN', 'HOST', callId]);
  }
  await relay(bea, back, callId, 'GROUP_CALL_SDP_OFFER', 'to the new ann');
  await relay(back, cid, callId, 'GROUP_CALL_SDP_OFFER', 'from the new ann');
  assert.equal((await getRoom(c, 2, 'cid', roomId)).call.participantCount, 3);
  for (const x of [bea, cid, back]) assertSeqIncreasing(x);
  for (const x of [bea, cid, back]) await x.close();
});

test('kill -9 of the call\'s owner: its user does not come back and leaves after the grace', async (t) => {
  const grace = 8000;
  const { c, roomId, callId, bea, cid, marks } = await callThenKillOwner(t, grace);
  for (const x of [bea, cid]) {
    const left = await x.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'ann' && e.seq > marks[x.userId],
      c.leaseMs + TAKEOVER_MS + grace);
    assert.deepEqual([left.reason, left.callId], ['DISCONNECTED', callId]);
  }
  const view = await getRoom(c, 2, 'cid', roomId);
  assert.equal(view.call.callId, callId);
  assert.deepEqual(view.call.participants.map((p) => p.userId).sort(), ['bea', 'cid']);
  await relay(cid, bea, callId, 'GROUP_CALL_ICE_CANDIDATE', { candidate: 'after the grace' });
  for (const x of [bea, cid]) assertSeqIncreasing(x);
  for (const x of [bea, cid]) await x.close();
});

// A call whose members all drop ends when their grace runs out; the process
// that owned it keeps answering: room writes (acknowledged once every
// numbered write before them is done, the call's last export included) and
// new calls in the same room.
test('a call that ends by its members\' grace running out leaves its owner answering', async (t) => {
  const c = await startCluster(t, { args: ['--ws-grace-ms', '800'] });
  const roomId = await newRoom(c, 0, 'ann', {});
  const ann = await connect(c, 0, 'ann');
  const bea = await connect(c, 1, 'bea');
  const first = await ann.request({ type: 'JOIN_ROOM', roomId }); // n0 owns the call
  assert.equal((await bea.request({ type: 'JOIN_ROOM', roomId })).callId, first.callId);
  await ann.terminate();
  await bea.terminate();
  // The grace ends, the call ends (EMPTY), n0 lets the room's lease go.
  const ended = Date.now() + 800 + c.leaseMs + 2000;
  for (;;) {
    const view = await getRoom(c, 2, 'cid', roomId);
    if (!view.call) break;
    assert.ok(Date.now() < ended, `the call is still live: ${JSON.stringify(view.call)}`);
    await sleep(200);
  }
  // Writes through the old owner are answered, promptly.
  const token = tokenFor(c.app, 'ann');
  const made = await api(c.nodes[0], 'POST', '/api/rooms', { token, body: { name: 'after' }, signal: AbortSignal.timeout(3000) });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const patched = await api(c.nodes[0], 'PATCH', `/api/rooms/${roomId}`, { token, body: { name: 'again' } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  // And the room takes a new call, through any process.
  const cid = await connect(c, 2, 'cid');
  const again = await cid.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(again.status, 'JOINED');
  assert.notEqual(again.callId, first.callId);
  await cid.close();
});

// SIGTERM to the owner: it writes the call's export, lets the lease go and
// says so before closing its connections (1012), so another process takes
// the call over at once — no lease wait — and its users rejoin the same call.
test('a draining owner hands its call over: the others keep it at once, its user rejoins', async (t) => {
  const c = await startCluster(t, { leaseMs: 5000, args: ['--ws-grace-ms', '20000'] });
  const roomId = await newRoom(c, 0, 'ann', {});
  const ann = await connect(c, 0, 'ann');
  const bea = await connect(c, 1, 'bea');
  const cid = await connect(c, 2, 'cid');
  const { callId } = await ann.request({ type: 'JOIN_ROOM', roomId }); // n0 owns the call
  for (const x of [bea, cid]) assert.equal((await x.request({ type: 'JOIN_ROOM', roomId })).callId, callId);
  await bea.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'cid');
  const marks = { bea: bea.lastSeq(), cid: cid.lastSeq() };

  const stopped = Date.now();
  await c.nodes[0].stop(); // SIGTERM; exits 0
  assert.equal((await ann.closed).code, 1012);
  // Well within the lease: the hand-over needs no expiry.
  await relay(bea, cid, callId, 'GROUP_CALL_SDP_OFFER', 'after the drain', stopped + 2500);
  await relay(cid, bea, callId, 'GROUP_CALL_SDP_ANSWER', 'answer after the drain', stopped + 2500);
  assert.ok(Date.now() - stopped < c.leaseMs, `taken over in ${Date.now() - stopped} ms`);
  assert.match(c.nodes[1].logs() + c.nodes[2].logs(), /msg="call taken over" room=\S+ call=\S+ epoch=\d+ participants=3/);

  const back = await connect(c, 1, 'ann');
  const j = await back.request({ type: 'JOIN_ROOM', roomId });
  assert.deepEqual([j.status, j.callId, j.role], ['JOINED', callId, 'HOST'], JSON.stringify(j));
  for (const x of [bea, cid]) {
    const left = await x.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'ann' && e.seq > marks[x.userId]);
    assert.equal(left.reason, 'REPLACED');
  }
  for (const x of [bea, cid, back]) assertSeqIncreasing(x);
  for (const x of [bea, cid, back]) await x.close();
});

// Redis restarts (its data gone): the processes reconnect, the owner claims
// its call's lease again and writes the export again, and the call goes on.
test('Redis restarts mid-call: the processes reconnect, the call goes on and takes new members', async (t) => {
  const c = await startCluster(t);
  const roomId = await newRoom(c, 0, 'ann', {});
  const ann = await connect(c, 0, 'ann');
  const bea = await connect(c, 1, 'bea');
  const { callId } = await ann.request({ type: 'JOIN_ROOM', roomId });
  assert.equal((await bea.request({ type: 'JOIN_ROOM', roomId })).callId, callId);

  await c.redis.kill();
  for (const n of c.nodes) assert.ok(await eventually(async () => (await (await fetch(`${n.url}/healthz`)).json()).redis === 'down'), 'redis down');
  const again = await startRedis({ dir: c.redis.dir, port: c.redis.port });
  t.after(() => again.kill());
  for (const n of c.nodes) assert.ok(await eventually(async () => (await (await fetch(`${n.url}/healthz`)).json()).redis === 'up', 10000), 'redis back');

  const until = Date.now() + c.leaseMs + TAKEOVER_MS;
  await relay(bea, ann, callId, 'GROUP_CALL_SDP_OFFER', 'after redis came back', until);
  await relay(ann, bea, callId, 'GROUP_CALL_SDP_ANSWER', 'answer', until);
  const cid = await connect(c, 2, 'cid');
  const j = await retried(cid, { type: 'JOIN_ROOM', roomId }, until);
  assert.deepEqual([j.status, j.callId], ['JOINED', callId], JSON.stringify(j));
  await ann.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'cid');
  assert.match(c.nodes[0].logs(), /msg="call lease claimed again: redis had lost it"/);
  for (const x of [ann, bea, cid]) await x.close();
});
