// Several processes on one machine (issue 11): --reuse-port lets two
// droponaird processes listen on one port and both get connections;
// --node-id names each in its logs, /healthz and /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, tempDir } from './helpers.mjs';
import { freePort } from './coturn.mjs';

// GET on a new connection each time (no keep-alive), so the kernel chooses.
function getFresh(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}

test('two processes share one port with --reuse-port and both serve', async (t) => {
  const dir = tempDir();
  const port = await freePort();
  const args = (id) => ['--reuse-port', '--node-id', id];
  const db = `sqlite:${dir}/shared.db`;
  const one = await startServer({ dir, db, args: [...args('node-a'), '--listen', `127.0.0.1:${port}`] });
  const two = await startServer({ dir, db, args: [...args('node-b'), '--listen', `127.0.0.1:${port}`] });
  t.after(async () => { for (const s of [one, two]) if (s.proc.exitCode === null) await s.kill(); });
  assert.equal(one.port, port);
  assert.equal(two.port, port);
  const seen = new Map();
  for (let i = 0; i < 60 && seen.size < 2; i++) {
    const r = await getFresh(port, '/healthz');
    assert.equal(r.status, 200);
    const node = JSON.parse(r.body).node;
    seen.set(node, (seen.get(node) || 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), ['node-a', 'node-b'], `connections went to ${JSON.stringify([...seen])}`);
  // Each names itself in its metrics and in every log line.
  const m = await getFresh(port, '/metrics');
  assert.match(m.body, /^droponair_node_info\{node="node-[ab]"\} 1$/m);
  assert.match(one.logs(), /level=info node=node-a msg="listening" addr=127\.0\.0\.1:\d+ [^\n]*reuse_port=on/);
  for (const line of two.logs().trim().split('\n')) assert.match(line, /^ts=\S+ level=\w+ node=node-b /);
  // One stops (draining closes its listener); the other keeps the port.
  await one.stop();
  for (let i = 0; i < 10; i++) {
    const r = await getFresh(port, '/healthz');
    assert.equal(JSON.parse(r.body).node, 'node-b');
  }
  await two.stop();
});

test('without --reuse-port a second process cannot take the port; a bad node id is refused', async (t) => {
  const dir = tempDir();
  const a = await startServer({ dir });
  t.after(() => a.stop());
  await assert.rejects(startServer({ dir, db: a.db, args: ['--listen', `127.0.0.1:${a.port}`] }), /cannot listen/);
  await assert.rejects(startServer({ dir, db: a.db, args: ['--node-id', 'a b'] }), /--node-id must be/);
  // A generated id (host-pid) is printed at start and in /healthz.
  const h = await (await fetch(`${a.url}/healthz`)).json();
  assert.match(h.node, /^[A-Za-z0-9._-]+-\d+$/);
  assert.match(a.logs(), new RegExp(`node=${h.node.replace(/\./g, '\\.')} msg="listening"`));
});
