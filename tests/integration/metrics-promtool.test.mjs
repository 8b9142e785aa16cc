// /metrics of a live server passes Prometheus's own linter (`promtool check
// metrics`, Debian's prometheus package; scripts/deps.sh --tests installs
// it), with every metric family present: a single process after REST and
// WebSocket traffic and a live call, and a process in cluster mode
// (--redis) for the cluster families. Every family also has HELP and TYPE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { api, createApp, startProcess, tempDir, tokenFor, WsClient } from './helpers.mjs';
import { startRedis } from './redis.mjs';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const skip = promtool.error ? 'promtool is not installed (scripts/deps.sh --tests installs it)' : false;

// The families every process serves, and those cluster mode adds.
const FAMILIES = [
  'droponair_node_info', 'droponair_rooms', 'droponair_apps', 'droponair_store_jobs_pending',
  'droponair_store_up', 'process_cpu_seconds_total', 'process_resident_memory_bytes',
  'droponair_live_calls', 'droponair_call_participants', 'droponair_call_waiting',
  'droponair_calls_started_total', 'droponair_http_requests_total',
  'droponair_http_request_duration_seconds', 'droponair_ws_connections', 'droponair_ws_sessions',
  'droponair_ws_frames_in_total', 'droponair_ws_events_out_total', 'droponair_signals_relayed_total',
  'droponair_ws_rate_limited_total', 'droponair_ws_slow_readers_total',
  'droponair_ws_sessions_evicted_total',
];
const CLUSTER_FAMILIES = [
  'droponair_redis_up', 'droponair_redis_reconnects_total', 'droponair_cluster_messages_total',
  'droponair_cluster_unsent', 'droponair_cluster_calls_owned', 'droponair_cluster_leases_total',
];

// promtool's verdict on text: {ok, problems}.
function lint(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, problems: `${r.stdout}${r.stderr}`.trim() };
}

// The families in text with their HELP and TYPE; fails on a sample outside any family.
function families(text) {
  const fam = new Map();
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^# HELP (\S+) (.*)$/.exec(line))) fam.set(m[1], { ...fam.get(m[1]), help: m[2] });
    else if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) fam.set(m[1], { ...fam.get(m[1]), type: m[2] });
    else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line))) {
      const name = m[1];
      const base = [...fam.keys()].find((f) => name === f || (fam.get(f).type === 'histogram' &&
        ['_bucket', '_sum', '_count'].some((s) => name === f + s)));
      assert.ok(base, `sample ${name} has no HELP/TYPE family before it`);
    }
  }
  return fam;
}

async function checkLive(srv, expected) {
  const r = await api(srv, 'GET', '/metrics');
  assert.equal(r.status, 200);
  const { ok, problems } = lint(r.body);
  assert.ok(ok, `promtool check metrics:\n${problems}\n--- /metrics ---\n${r.body}`);
  const fam = families(r.body);
  for (const name of expected) assert.ok(fam.has(name), `${name} is on /metrics`);
  for (const [name, f] of fam) {
    assert.ok(f.help && f.help.trim().length > 3, `${name} has HELP text`);
    assert.ok(['counter', 'gauge', 'histogram'].includes(f.type), `${name} has a TYPE`);
    assert.equal(f.type === 'counter', name.endsWith('_total'), `${name}: _total is for counters only`);
  }
  return fam;
}

// Traffic that fills every family: REST (a 201, a 404), a WebSocket with a live call.
async function traffic(srv) {
  const app = createApp(srv.db, 'business');
  const alice = tokenFor(app, 'alice');
  const room = await api(srv, 'POST', '/api/rooms', { token: alice, body: {} });
  assert.equal(room.status, 201);
  await api(srv, 'GET', '/api/rooms/rm_AAAAAAAAAAAAAAAAAAAAAA', { token: alice });
  const c = await WsClient.connect(srv, alice);
  const j = await c.request({ type: 'JOIN_ROOM', roomId: room.body.roomId });
  assert.equal(j.ok, true, JSON.stringify(j));
  return c;
}

test('promtool passes /metrics of a single process', { skip }, async () => {
  const srv = await startProcess();
  try {
    const c = await traffic(srv);
    const fam = await checkLive(srv, FAMILIES);
    for (const name of CLUSTER_FAMILIES) assert.ok(!fam.has(name), `${name} only in cluster mode`);
    await c.close();
  } finally {
    await srv.stop();
  }
});

test('promtool passes /metrics of a process in cluster mode (--redis)', { skip }, async () => {
  const dir = tempDir();
  const redis = await startRedis({ dir });
  const srv = await startProcess({ dir, args: ['--redis', redis.url, '--node-id', 'n1'] });
  try {
    for (let i = 0; i < 100 && (await api(srv, 'GET', '/healthz')).body.redis !== 'up'; i++)
      await new Promise((r) => setTimeout(r, 50));
    const c = await traffic(srv);
    await checkLive(srv, [...FAMILIES, ...CLUSTER_FAMILIES]);
    await c.close();
  } finally {
    await srv.stop();
    await redis.stop();
  }
});
