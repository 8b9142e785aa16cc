// Webhooks (issue 12, item 1), against a real HTTP receiver that verifies
// every signature: a scripted session yields exactly the expected events in
// order; a receiver that fails for a while gets every event once it
// answers, in order; kill -9 mid-stream loses nothing and repeats only what
// was in flight, with the same ids; a delivery that never succeeds is given
// up (metrics) and its room goes on; a receiver that never answers does not
// slow other apps (REST, WebSocket, their own deliveries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, cli, createApp, eventually, sleep, startProcess, startServer, tempDir, tokenFor, WsClient } from './helpers.mjs';
import { assertInOrder, setWebhook, startReceiver } from './webhooks.mjs';

const FAST = ['--webhook-backoff-ms', '50'];

// A server and a receiver that are stopped when the test ends.
async function setup(t, { args = FAST, plan = 'pro', start = startServer, dir } = {}) {
  const rx = await startReceiver();
  t.after(() => rx.close());
  const srv = await start({ args, dir });
  t.after(async () => { if (srv.proc.exitCode === null && srv.proc.signalCode === null) await srv.stop(); });
  const app = createApp(srv.db, plan);
  rx.secret = setWebhook(srv.db, app.appId, rx.url).secret;
  return { rx, srv, app };
}

function metric(text, line) {
  const m = text.split('\n').find((l) => l.startsWith(`${line} `));
  return m ? Number(m.split(' ').pop()) : undefined;
}

test('a scripted session yields exactly the expected events, in order, each signed', async (t) => {
  const { rx, srv, app } = await setup(t);
  const alice = tokenFor(app, 'alice', { name: 'Alice' });
  const created = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'sync', policy: { waitingRoom: true } } });
  const roomId = created.body.roomId;

  const a = await WsClient.connect(srv, alice);
  const joined = await a.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(joined.status, 'JOINED');
  const b = await WsClient.connect(srv, tokenFor(app, 'bob', { name: 'Bob' }));
  assert.equal((await b.request({ type: 'JOIN_ROOM', roomId })).status, 'WAITING_ROOM_PENDING');
  assert.equal((await a.request({ type: 'ADMIT', roomId, userId: 'bob' })).ok, true);
  await b.waitEvent('GROUP_CALL_ADMITTED');
  assert.equal((await b.request({ type: 'GROUP_CALL_LEAVE', callId: joined.callId })).ok, true);
  await a.waitEvent('GROUP_CALL_PARTICIPANT_LEFT', (e) => e.userId === 'bob');
  assert.equal((await a.request({ type: 'END_CALL', callId: joined.callId })).ok, true);
  assert.equal((await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: alice })).status, 204);

  const got = await rx.waitAcked(10);
  await sleep(300); // nothing else comes
  rx.assertClean();
  assert.deepEqual(rx.acked().map((d) => d.type), [
    'room.created', 'call.started', 'participant.joined', 'waiting.entered', 'waiting.admitted',
    'participant.joined', 'participant.left', 'participant.left', 'call.ended', 'room.deleted']);
  assert.equal(rx.attempts.length, 10, 'each once: the receiver always answered 200');
  assert.deepEqual(got.map((d) => d.roomSeq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(new Set(got.map((d) => d.id)).size, 10);
  for (const d of got) {
    assert.deepEqual(Object.keys(d.body).sort(), ['appId', 'createdAt', 'data', 'id', 'roomId', 'roomSeq', 'type']);
    assert.equal(d.body.appId, app.appId);
    assert.equal(d.roomId, roomId);
    assert.match(d.id, /^evt_[A-Za-z0-9_-]{22}$/);
    assert.equal(d.attempt, 1);
    assert.match(d.headers['user-agent'], /^droponair-webhooks\//);
  }
  const [roomCreated, started, aliceIn, waiting, admitted, bobIn, bobOut, aliceOut, ended, deleted] = got.map((d) => d.body.data);
  assert.equal(roomCreated.room.roomId, roomId);
  assert.equal(roomCreated.room.policy.waitingRoom, true);
  assert.equal(started.callId, joined.callId);
  assert.deepEqual([aliceIn.userId, aliceIn.name, aliceIn.role, aliceIn.callId], ['alice', 'Alice', 'HOST', joined.callId]);
  assert.deepEqual([waiting.userId, waiting.name, waiting.position], ['bob', 'Bob', 1]);
  assert.deepEqual([admitted.userId, admitted.by], ['bob', 'alice']);
  assert.deepEqual([bobIn.userId, bobIn.role], ['bob', 'PARTICIPANT']);
  assert.deepEqual([bobOut.userId, bobOut.reason], ['bob', 'LEFT']);
  assert.equal(bobOut.durationMs, bobOut.leftAt - bobOut.joinedAt);
  assert.deepEqual([aliceOut.userId, aliceOut.reason], ['alice', 'CALL_ENDED']);
  assert.deepEqual([ended.callId, ended.reason, ended.peakParticipants], [joined.callId, 'HOST_ENDED', 2]);
  assert.equal(ended.durationMs, ended.endedAt - ended.startedAt);
  assert.ok(ended.durationMs >= 0);
  assert.equal(deleted.room.roomId, roomId);
  await a.close();
  await b.close();
});

test('a receiver that fails for a while gets every event once it answers, in order', async (t) => {
  const { rx, srv, app } = await setup(t);
  const until = Date.now() + 1500;
  rx.answer = () => (Date.now() < until ? 500 : 200);
  const token = tokenFor(app, 'alice');
  const rooms = [];
  for (let i = 0; i < 3; i++) rooms.push((await api(srv, 'POST', '/api/rooms', { token, body: { name: `r${i}` } })).body.roomId);
  for (let k = 0; k < 3; k++) {
    for (const id of rooms) assert.equal((await api(srv, 'PATCH', `/api/rooms/${id}`, { token, body: { name: `n${k}` } })).status, 200);
  }
  await rx.waitAcked(12, 20000);
  rx.assertClean();
  assertInOrder(rx.attempts);
  for (const id of rooms) {
    assert.deepEqual(rx.ackedOf(id).map((d) => [d.roomSeq, d.type]),
      [[1, 'room.created'], [2, 'room.updated'], [3, 'room.updated'], [4, 'room.updated']]);
  }
  const failedFirst = rx.attempts.filter((d) => d.status === 500);
  assert.ok(failedFirst.length >= 3, 'the receiver refused some');
  // A retried delivery is the same event: same id and body, the attempt counted.
  const one = failedFirst[0];
  const retried = rx.attempts.filter((d) => d.id === one.id);
  assert.ok(retried.length >= 2);
  assert.ok(retried.every((d) => d.raw === one.raw));
  assert.deepEqual(retried.map((d) => d.attempt), retried.map((_, i) => i + 1));
  const m = await eventually(async () => {
    const text = (await api(srv, 'GET', '/metrics')).body;
    return metric(text, 'droponair_webhook_pending') === 0 ? text : null;
  });
  assert.ok(m, 'the outbox drains');
  assert.equal(metric(m, 'droponair_webhook_deliveries_total{result="delivered"}'), 12);
  assert.ok(metric(m, 'droponair_webhook_attempts_total{outcome="http_error"}') >= 3);
  assert.ok(metric(m, 'droponair_webhook_retries_total') >= 3);
  assert.equal(metric(m, 'droponair_webhook_failed'), 0);
});

test('kill -9 mid-stream: after a restart nothing is lost, only what was in flight comes twice', async (t) => {
  const dir = tempDir();
  const { rx, srv, app } = await setup(t, { dir, start: startProcess });
  rx.delay = 40; // slow enough to be mid-stream when killed
  const token = tokenFor(app, 'alice');
  const rooms = [];
  for (let i = 0; i < 3; i++) rooms.push((await api(srv, 'POST', '/api/rooms', { token, body: { name: `r${i}` } })).body.roomId);
  for (let k = 0; k < 14; k++) {
    for (const id of rooms) assert.equal((await api(srv, 'PATCH', `/api/rooms/${id}`, { token, body: { name: `n${k}` } })).status, 200);
  }
  const total = 3 * 15; // every write above was acknowledged, so all its events are in the outbox
  await eventually(() => rx.acked().length >= 8, 10000);
  assert.ok(rx.acked().length < total, 'killed mid-stream');
  const killedAt = Date.now();
  await srv.kill();
  const before = rx.attempts.length;
  const again = await startProcess({ dir, db: srv.db, args: FAST });
  t.after(() => again.stop());
  await rx.waitAcked(total, 20000);
  await sleep(300);
  rx.assertClean();
  for (const id of rooms) assert.deepEqual(rx.ackedOf(id).map((d) => d.roomSeq), Array.from({ length: 15 }, (_, i) => i + 1));
  // Twice only what was in flight, not yet recorded: same id, same body. A
  // room's next event is sent only once the previous one's 2xx is recorded,
  // so only the last event each room had sent before the kill can come again.
  const byId = new Map();
  for (const d of rx.attempts) byId.set(d.id, [...(byId.get(d.id) || []), d]);
  const twice = [...byId.values()].filter((l) => l.length > 1);
  const lastSent = new Map();
  for (const d of rx.attempts.slice(0, before)) lastSent.set(d.roomId, Math.max(lastSent.get(d.roomId) || 0, d.roomSeq));
  for (const l of twice) {
    assert.ok(l.every((d) => d.raw === l[0].raw), 'a repeated delivery is the same event');
    assert.equal(l[0].roomSeq, lastSent.get(l[0].roomId), `${l[0].type} #${l[0].roomSeq} came again though a later event of its room had been sent`);
    assert.ok(rx.attempts.indexOf(l[1]) >= before, 'repeated after the restart');
    assert.equal(l.length, 2);
  }
  t.diagnostic(`${rx.acked().length} events; sent before the kill: ${before} (${Date.now() - killedAt} ms ago); sent twice: ${twice.length}`);
  assert.ok(twice.length <= rooms.length, `at most one per room comes again (${twice.length})`);
  assertInOrder(rx.attempts); // a repeat is of an event already sent, never of a later one
});

test('a delivery that never succeeds is given up when its window ends; its room goes on', async (t) => {
  const { rx, srv, app } = await setup(t, { args: [...FAST, '--webhook-give-up-ms', '1000'] });
  rx.answer = (d) => (d.roomSeq === 1 ? 503 : 200);
  const token = tokenFor(app, 'alice');
  const roomId = (await api(srv, 'POST', '/api/rooms', { token, body: {} })).body.roomId;
  await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token, body: { name: 'then' } });
  await rx.waitAcked(1, 10000);
  rx.assertClean();
  const first = rx.attempts.filter((d) => d.roomSeq === 1);
  const second = rx.attempts.find((d) => d.roomSeq === 2);
  assert.equal(second.type, 'room.updated');
  assert.ok(first.length >= 3, 'retried until the window ended');
  assert.ok(first[first.length - 1].at - first[0].at >= 900, 'for the whole window');
  assert.ok(rx.attempts.indexOf(second) > rx.attempts.indexOf(first[first.length - 1]), 'the next one waited for it');
  const m = await eventually(async () => {
    const text = (await api(srv, 'GET', '/metrics')).body;
    return metric(text, 'droponair_webhook_failed') === 1 ? text : null;
  });
  assert.ok(m, 'failed shows in /metrics');
  assert.equal(metric(m, 'droponair_webhook_deliveries_total{result="failed"}'), 1);
  assert.match(srv.logs(), /msg="webhook delivery given up"/);
});

// The median and the largest of a list of milliseconds.
const stats = (ms) => {
  const s = [...ms].sort((x, y) => x - y);
  return { median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

// Times n room creations and n WebSocket join/leave rounds of app, and
// (rx given) how long each room's room.created took to reach rx.
async function measure(srv, app, n, rx) {
  const token = tokenFor(app, 'carol');
  const rest = [];
  const ws = [];
  const made = [];
  const c = await WsClient.connect(srv, token);
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    const r = await api(srv, 'POST', '/api/rooms', { token, body: { name: `m${i}` } });
    rest.push(performance.now() - t0);
    made.push([r.body.roomId, Date.now()]);
    t0 = performance.now();
    const j = await c.request({ type: 'JOIN_ROOM', roomId: r.body.roomId });
    ws.push(performance.now() - t0);
    assert.equal(j.status, 'JOINED');
    await c.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId });
  }
  await c.close();
  const hook = [];
  if (rx) {
    for (const [roomId, at] of made) {
      const d = await eventually(() => rx.attempts.find((x) => x.roomId === roomId && x.type === 'room.created'), 10000);
      assert.ok(d, `room.created of ${roomId} arrived`);
      hook.push(d.at - at);
    }
  }
  return { rest: stats(rest), ws: stats(ws), hook: stats(hook) };
}

test('a receiver that never answers slows no other app: REST, WebSocket, their deliveries', async (t) => {
  const { rx: good, srv, app: appB } = await setup(t, { args: [...FAST, '--webhook-timeout-ms', '30000'], plan: 'business' });
  const dead = await startReceiver();
  t.after(() => dead.close());
  dead.answer = () => 'hang';
  const appA = createApp(srv.db, 'business');
  dead.secret = setWebhook(srv.db, appA.appId, dead.url).secret;

  await measure(srv, appB, 5, null); // warm up
  const base = await measure(srv, appB, 20, good);
  // App A's endpoint hangs: 40 rooms' events pile up behind its four stuck deliveries.
  const tokenA = tokenFor(appA, 'dave');
  for (let i = 0; i < 40; i++) await api(srv, 'POST', '/api/rooms', { token: tokenA, body: { name: `a${i}` } });
  await eventually(() => dead.hung.length >= 4, 5000);
  const during = await measure(srv, appB, 20, good);
  assert.equal(dead.hung.length, 4, 'per-app concurrency bounds what one endpoint holds');
  const m = (await api(srv, 'GET', '/metrics')).body;
  assert.ok(metric(m, 'droponair_webhook_in_flight') >= 4, 'the four stuck ones (and any of app B)');
  for (const k of ['rest', 'ws', 'hook']) {
    t.diagnostic(`${k}: median ${base[k].median.toFixed(1)} -> ${during[k].median.toFixed(1)} ms, ` +
      `max ${base[k].max.toFixed(1)} -> ${during[k].max.toFixed(1)} ms`);
  }
  // Generous bounds: this shared machine varies, a stuck loop or sender would not.
  for (const k of ['rest', 'ws']) {
    assert.ok(during[k].median < base[k].median * 3 + 30, `${k} median ${during[k].median} vs ${base[k].median}`);
    assert.ok(during[k].max < 1000, `${k} max ${during[k].max}`);
  }
  assert.ok(during.hook.median < base.hook.median * 3 + 300, `deliveries: median ${during.hook.median} vs ${base.hook.median}`);
  good.assertClean();
  dead.assertClean();
});

test('the CLI: set-webhook checks its input, sets a URL once, and app list never shows a secret', async (t) => {
  const db = `sqlite:${tempDir()}/w.db`;
  const app = createApp(db, 'pro');
  const fails = (args) => assert.throws(() => cli(['app', 'set-webhook', '--db', db, '--app', app.appId, ...args]));
  fails(['--url', 'ftp://example.com/hook']);
  fails(['--url', 'http://']);
  fails(['--url', 'http://exa mple.com/']);
  fails(['--url', 'https://example.com/hook', '--secret', 'short']);
  assert.throws(() => cli(['app', 'set-webhook', '--db', db, '--app', 'app_nope', '--url', 'https://example.com/']));
  const one = setWebhook(db, app.appId, 'https://example.com/hook');
  assert.match(one.webhookId, /^wh_/);
  assert.match(one.secret, /^whsec_/);
  assert.equal(one.created, true);
  const again = setWebhook(db, app.appId, 'https://example.com/hook', ['--secret', 'a-secret-of-my-own']);
  assert.deepEqual([again.webhookId, again.created, again.secret], [one.webhookId, false, 'a-secret-of-my-own']);
  const two = setWebhook(db, app.appId, 'http://127.0.0.1:9/other');
  const list = cli(['app', 'list', '--db', db]);
  assert.ok(!list.includes(one.secret) && !list.includes('a-secret-of-my-own') && !list.includes(two.secret), 'no secret listed');
  const entry = JSON.parse(list.trim().split('\n').find((l) => l.includes(app.appId)));
  assert.deepEqual(entry.webhooks.map((w) => [w.webhookId, w.url]).sort(),
    [[one.webhookId, 'https://example.com/hook'], [two.webhookId, 'http://127.0.0.1:9/other']].sort());
  assert.ok(entry.webhooks.every((w) => Object.keys(w).sort().join() === 'createdAt,url,webhookId'));
  assert.match(cli(['app', 'remove-webhook', '--db', db, '--app', app.appId, '--webhook', two.webhookId]), /removed/);
  assert.throws(() => cli(['app', 'remove-webhook', '--db', db, '--app', app.appId, '--webhook', two.webhookId]));
  const after = JSON.parse(cli(['app', 'list', '--db', db]).trim().split('\n').find((l) => l.includes(app.appId)));
  assert.deepEqual(after.webhooks.map((w) => w.webhookId), [one.webhookId]);
});

test('removing a webhook drops what is pending for it; an app without one gets nothing written', async (t) => {
  const { rx, srv, app } = await setup(t);
  rx.answer = () => 500;
  const token = tokenFor(app, 'alice');
  await api(srv, 'POST', '/api/rooms', { token, body: {} });
  await eventually(() => rx.attempts.length >= 2, 5000);
  const hookId = JSON.parse(cli(['app', 'list', '--db', srv.db]).trim().split('\n').find((l) => l.includes(app.appId))).webhooks[0].webhookId;
  cli(['app', 'remove-webhook', '--db', srv.db, '--app', app.appId, '--webhook', hookId]);
  await api(srv, 'POST', '/api/rooms', { token, body: {} });
  const m = await eventually(async () => {
    const text = (await api(srv, 'GET', '/metrics')).body;
    return metric(text, 'droponair_webhook_pending') === 0 && metric(text, 'droponair_webhook_in_flight') === 0 ? text : null;
  }, 15000);
  assert.ok(m, 'nothing pending once the endpoint is gone');
  const n = rx.attempts.length;
  await sleep(300);
  assert.equal(rx.attempts.length, n, 'no more attempts');
});
