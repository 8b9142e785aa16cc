// make soak: mixed churn against one droponaird for SOAK_SECONDS (default
// 600), sampling the server's RSS and open descriptors every 10 s. Fails
// when memory or descriptors keep growing after the warm-up, when the
// server dies, or when it stops answering. Loopback only, bounded in time.
//
// Churn per round (several rounds in flight at once): REST create / patch /
// get / list / delete; WebSocket clients that authenticate, join, relay
// signals, toggle media, knock on a waiting room and get admitted, leave;
// others that drop without a close and RESUME, or drop for good (their
// session runs out its grace); auto-close rooms; a client that stops
// reading; fragmented frames.
import { readFileSync, readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient, sleep } from '../integration/helpers.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS || 600);
const PARALLEL = Number(process.env.SOAK_PARALLEL || 6);
const WARMUP = Math.min(120, SECONDS / 4);

function sample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  return { t: Date.now(), rss, fds };
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

async function round(srv, app, n) {
  const host = tokenFor(app, `h${n % 50}`);
  const created = await api(srv, 'POST', '/api/rooms', { token: host, body: { name: `soak ${n}`, metadata: { n }, policy: { waitingRoom: n % 3 === 0, autoCloseWhenEmpty: n % 4 === 0 } } });
  assert.equal(created.status, 201);
  const roomId = created.body.roomId;
  const a = await WsClient.connect(srv, host);
  const j = await a.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(j.status, 'JOINED', JSON.stringify(j));
  const b = await WsClient.connect(srv, tokenFor(app, `g${n % 200}`));
  let jb = await b.request({ type: 'JOIN_ROOM', roomId });
  if (jb.status === 'WAITING_ROOM_PENDING') {
    await a.request({ type: 'ADMIT', roomId, userId: b.userId });
    jb = await b.waitEvent('GROUP_CALL_ADMITTED');
  }
  for (let i = 0; i < 20; i++) {
    await a.request({ type: 'GROUP_CALL_SIGNAL', signal: 'GROUP_CALL_ICE_CANDIDATE', callId: j.callId, groupId: '', to: b.userId, payload: { candidate: `c${i}`, pad: 'x'.repeat(i * 50) } });
  }
  // A fragmented command.
  b.ws.send('{"id":9000,"type":', { fin: false });
  b.ws.send('"PING"}', { fin: true });
  await a.request({ type: 'GROUP_CALL_MEDIA_STATE', callId: j.callId, groupId: '', audio: n % 2 === 0, video: true });
  await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: host, body: { name: `soak ${n} patched` } });
  await api(srv, 'GET', `/api/rooms/${roomId}`, { token: host });
  await api(srv, 'GET', '/api/rooms?limit=5', { token: host });
  switch (n % 4) {
    case 0: { // b drops and resumes
      const token = b.resumeToken;
      const last = b.lastSeq();
      await b.terminate();
      const back = await WsClient.open(srv);
      await back.request({ type: 'RESUME', resumeToken: token, lastSeq: last });
      await back.close();
      break;
    }
    case 1: // b drops for good: its session runs out the grace
      await b.terminate();
      break;
    case 2: { // b stops reading for a while, then goes
      b.ws._socket.pause();
      await sleep(50);
      b.ws._socket.resume();
      await b.close();
      break;
    }
    default:
      await b.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId, groupId: '' });
      await b.close();
  }
  await a.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId, groupId: '' });
  await a.close();
  if (n % 2 === 0) await api(srv, 'DELETE', `/api/rooms/${roomId}`, { token: host });
}

async function main() {
  const srv = await startServer({ args: ['--ws-grace-ms', '2000'] });
  const app = createApp(srv.db, 'business');
  const samples = [];
  const end = Date.now() + SECONDS * 1000;
  let n = 0;
  let rounds = 0;
  let errors = 0;
  const sampler = setInterval(() => samples.push(sample(srv.proc.pid)), 10000);
  const workers = Array.from({ length: PARALLEL }, async () => {
    while (Date.now() < end) {
      try {
        await round(srv, app, n++);
        rounds++;
      } catch (e) {
        errors++;
        if (errors <= 5) console.error('round failed:', e.message);
      }
    }
  });
  await Promise.all(workers);
  clearInterval(sampler);
  await sleep(4000); // graces run out, sockets close
  const settled = sample(srv.proc.pid);
  const health = await api(srv, 'GET', '/healthz');
  await srv.stop(); // exit 0 after a drain (leaks fail it under ASan)

  const after = samples.filter((s) => s.t - samples[0].t >= WARMUP * 1000);
  const q = Math.max(1, Math.floor(after.length / 4));
  const early = median(after.slice(0, q).map((s) => s.rss));
  const late = median(after.slice(-q).map((s) => s.rss));
  const report = {
    seconds: SECONDS, rounds, failedRounds: errors, samples: samples.length,
    rssEarlyMiB: +(early / 2 ** 20).toFixed(1), rssLateMiB: +(late / 2 ** 20).toFixed(1),
    fdsFirst: samples[0]?.fds, fdsMax: Math.max(...samples.map((s) => s.fds)), fdsSettled: settled.fds,
  };
  console.log(JSON.stringify(report));
  const growth = late - early;
  const problems = [];
  if (health.status !== 200) problems.push(`healthz ${health.status}`);
  if (errors > rounds / 100) problems.push(`${errors} of ${rounds + errors} rounds failed`);
  if (growth > 16 * 2 ** 20 && growth > early * 0.2) problems.push(`RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB after the warm-up`);
  if (settled.fds > samples[0].fds + 16) problems.push(`descriptors: ${samples[0].fds} at the start, ${settled.fds} once settled`);
  console.log(problems.length ? `soak: 0 passed, 1 failed: ${problems.join('; ')}` : 'soak: 1 passed, 0 failed');
  process.exit(problems.length ? 1 : 0);
}

main().catch((e) => { console.error(e); console.log('soak: 0 passed, 1 failed'); process.exit(1); });
