// At the file-descriptor limit new connections are refused at once (a JSON
// 503), the server stays idle and quiet, and serves again as soon as
// descriptors free up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { api, idle, startServer, sleep } from './helpers.mjs';

const LIMIT = 256;

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks
}

test('at the descriptor limit: prompt 503s, no busy loop, bounded logs, recovery', async () => {
  const srv = await startServer({ prefix: ['prlimit', `--nofile=${LIMIT}:${LIMIT}`, '--'], args: ['--header-timeout', '30'] });
  const held = [];
  for (let i = 0; i < LIMIT + 60; i++) held.push(await idle(srv.port));
  await sleep(500);
  const refused = held.filter((c) => c.data().startsWith('HTTP/1.1 503'));
  assert.ok(refused.length >= 60, `${refused.length} connections were refused with a 503`);
  const body = JSON.parse(refused[0].data().split('\r\n\r\n')[1]);
  assert.equal(body.error.code, 'UNAVAILABLE');
  // A client arriving now is refused at once, not left hanging.
  const late = await idle(srv.port);
  await Promise.race([late.closed, sleep(3000)]);
  assert.ok(late.data().startsWith('HTTP/1.1 503'), 'a new client is answered 503 and closed');

  // Idle at the limit: no busy loop, no flood of log lines.
  const c0 = cpuSeconds(srv.proc.pid);
  const logs0 = srv.logs().length;
  await sleep(3000);
  const cpu = cpuSeconds(srv.proc.pid) - c0;
  assert.ok(cpu < 1.0, `server used ${cpu}s of CPU in 3 s while idle at the limit`);
  assert.ok(srv.logs().length - logs0 < 2000, 'log output stays bounded');
  assert.ok((srv.logs().match(/file-descriptor limit/g) || []).length <= 3);

  // Descriptors free up: service resumes.
  for (const c of held) c.sock.destroy();
  await sleep(300);
  const r = await api(srv, 'GET', '/healthz');
  assert.equal(r.status, 200);
  await srv.stop();
});
