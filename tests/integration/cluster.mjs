// A droponair cluster for the tests: a private PostgreSQL (scripts/pg-test.sh),
// a Redis (redis.mjs) and N droponaird processes sharing both, each with its
// node id (n0, n1, ...) and the call lease of --call-lease-ms. Everything
// lives in one temporary directory and is stopped when the test ends (or the
// test process exits), also when the test failed half-way.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cli, createApp, eventually, root, startProcess } from './helpers.mjs';
import { startRedis } from './redis.mjs';

const pgScript = join(root, 'scripts', 'pg-test.sh');
const pgTest = (...args) => execFileSync(pgScript, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

// Whether this droponaird has call ownership (--call-lease-ms). Without it
// the cluster still starts, so what does not need routing can run.
let leaseFlag;
function hasLeaseFlag() {
  if (leaseFlag === undefined) leaseFlag = cli(['serve', '--help']).includes('--call-lease-ms');
  return leaseFlag;
}

const health = async (node) => (await fetch(`${node.url}/healthz`)).json();

/**
 * Starts a cluster; resolves once every process reports "redis":"up" in
 * /healthz. t: the test, whose t.after stops it (kill -9 of the processes,
 * then Redis, then PostgreSQL, then the directory); null when the caller
 * stops it with stop(). plan: the plan of the app created for the test
 * (null: none). plans: extra plans, as startServer takes them.
 * Resolves to {nodes, app, redis, pg, dir, leaseMs, kill9(i), restart(i), stop()}:
 * nodes[i] is what startServer returns for one process; restart(i) starts
 * process i again on its port (after kill9(i)) and replaces nodes[i];
 * stop() stops everything gracefully, asserting that each process exits 0.
 */
export async function startCluster(t, { nodes: count = 3, leaseMs = 2000, args = [], plan = 'business', plans = null, dir } = {}) {
  dir = dir || mkdtempSync(join(tmpdir(), 'dpa-cluster-'));
  const pgDir = join(dir, 'pg');
  const nodes = [];
  let redis = null;
  let pgUp = false;
  let done = false;

  // Kills whatever still runs, synchronously enough for a process 'exit' hook.
  const killAll = () => {
    for (const n of nodes) if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL');
  };
  const release = () => {
    if (pgUp) {
      try { pgTest('stop', pgDir); } catch { /* already stopped */ }
      pgUp = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => { if (!done) { killAll(); release(); } };
  process.on('exit', onExit);
  const cleanup = async () => {
    if (done) return;
    done = true;
    process.off('exit', onExit);
    if (process.env.DPA_DUMP_LOGS) for (const n of nodes) process.stderr.write(n.logs());
    await Promise.all(nodes.map((n) => n.kill()));
    if (redis) await redis.kill();
    release();
  };
  if (t) t.after(cleanup);

  try {
    const db = pgTest('start', pgDir, '0');
    pgUp = true;
    redis = await startRedis({ dir });
    const nodeArgs = (i) => ['--redis', redis.url, '--node-id', `n${i}`,
      ...(hasLeaseFlag() ? ['--call-lease-ms', String(leaseMs)] : []),
      ...(process.env.DPA_DUMP_LOGS ? ['--log-level', 'debug'] : []), ...args];
    const up = async (node) => {
      assert.ok(await eventually(async () => (await health(node)).redis === 'up', 10000), `${node.url} reaches redis`);
      return node;
    };
    // One after the other: with --dev the first creates the dev app, the others find it.
    for (let i = 0; i < count; i++) nodes.push(await up(await startProcess({ dir, db, plans, args: nodeArgs(i) })));
    let app = null;
    if (plan) {
      const extra = [];
      if (plans) {
        writeFileSync(join(dir, 'plans.json'), JSON.stringify(plans));
        extra.push('--plans', join(dir, 'plans.json'));
      }
      app = createApp(db, plan, extra);
    }

    return {
      nodes, app, redis, db, dir, leaseMs,
      pg: { url: db, dir: pgDir },
      // kill -9: no drain, no goodbye to Redis or the clients.
      async kill9(i) { await nodes[i].kill(); },
      async restart(i) {
        const old = nodes[i];
        if (old.proc.exitCode === null && old.proc.signalCode === null) await old.stop();
        nodes[i] = await up(await startProcess({ dir, db, plans, args: nodeArgs(i), port: old.port }));
        return nodes[i];
      },
      async stop() {
        if (done) return;
        done = true;
        process.off('exit', onExit);
        if (process.env.DPA_DUMP_LOGS) for (const n of nodes) process.stderr.write(n.logs());
        try {
          const running = nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
          const results = await Promise.allSettled(running.map((n) => n.stop()));
          const failed = results.find((r) => r.status === 'rejected');
          if (failed) throw failed.reason;
        } finally {
          killAll();
          await redis.stop();
          release();
        }
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * What startServer returns when DPA_CLUSTER=N is set: a cluster of N
 * processes that looks like one server to the existing suites. url and port
 * are the first process's (for what a test fetches itself); WsClient.open
 * and api() call pick(), which hands out the processes in turn (connections
 * and REST calls each in their own rotation, so the k-th client of a test is
 * always on process k mod N); GET /metrics through api() sums the processes'.
 * A file that needs one process (a fixed port, a wrapper, its own database)
 * is refused here rather than run on something it did not ask for.
 */
export async function clusterAsServer({ dir, args = [], plans = null, db, prefix = [], port = 0 } = {}, count = 3) {
  const single = Object.entries({ db, prefix: prefix.length ? prefix : undefined, port: port || undefined })
    .filter(([, v]) => v !== undefined).map(([k]) => k);
  if (single.length) throw new Error(`DPA_CLUSTER: startServer({${single.join(', ')}}) needs one process; run this file without DPA_CLUSTER`);
  assert.ok(count >= 2, `DPA_CLUSTER=${process.env.DPA_CLUSTER}: the number of processes (2 or more)`);
  const c = await startCluster(null, { nodes: count, args, plans, plan: null, dir });
  const turn = { ws: 0, api: 0 };
  const first = c.nodes[0];
  return {
    cluster: c,
    nodes: c.nodes,
    url: first.url, port: first.port, db: c.db, dir: c.dir, proc: first.proc,
    pick(kind) { return c.nodes[turn[kind]++ % c.nodes.length]; },
    logs: () => c.nodes.map((n) => n.logs()).join(''),
    stdout: () => c.nodes.map((n) => n.stdout()).join(''),
    stop: () => c.stop(),
    async kill() { await Promise.all(c.nodes.map((n) => n.kill())); await c.stop(); },
  };
}
