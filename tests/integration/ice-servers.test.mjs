// ICE servers: --stun/--turn/--turn-secret(-file)/--turn-ttl, credentials
// minted per user that a real coturn accepts (and refuses when forged or
// expired), in the JOINED reply, the ADMITTED event and GET /api/ice-servers;
// the secret is never shown.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, BIN, createApp, startServer, tempDir, tokenFor, WsClient } from './helpers.mjs';
import { startCoturn, turnAllocates, turnCredential } from './coturn.mjs';

let turn, srv, app, secretFile;
const TTL = 600;
before(async () => {
  turn = await startCoturn();
  const dir = tempDir();
  secretFile = join(dir, 'turn-secret');
  writeFileSync(secretFile, `${turn.secret}\n`, { mode: 0o600 });
  srv = await startServer({
    dir,
    args: ['--stun', `stun:127.0.0.1:${turn.port}`, '--turn', turn.url,
      '--turn', `turn:127.0.0.1:${turn.port}?transport=tcp`,
      '--turn-secret-file', secretFile, '--turn-ttl', String(TTL), '--log-level', 'debug'],
  });
  app = createApp(srv.db, 'pro');
});
after(async () => {
  if (srv) await srv.stop();
  if (turn) await turn.stop();
  // The secret appears in no log line of the whole run.
  if (srv) assert.ok(!srv.logs().includes(turn.secret) && !srv.stdout().includes(turn.secret));
});

function checkServers(list, user, now) {
  assert.equal(list.length, 2);
  assert.deepEqual(list[0], { urls: [`stun:127.0.0.1:${turn.port}`] });
  const t = list[1];
  assert.deepEqual(t.urls, [turn.url, `turn:127.0.0.1:${turn.port}?transport=tcp`]);
  const [expiry, appId, userId] = t.username.split(':');
  assert.deepEqual([appId, userId], [app.appId, user]);
  const left = Number(expiry) - now / 1000;
  assert.ok(left > TTL - 30 && left <= TTL + 1, `expiry ${expiry} is ${left}s away`);
  assert.equal(t.credential, turnCredential(turn.secret, t.username));
  return t;
}

test('GET /api/ice-servers: STUN and a per-user TURN credential coturn accepts', async () => {
  const now = Date.now();
  const r = await api(srv, 'GET', '/api/ice-servers', { token: tokenFor(app, 'alice') });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const t = checkServers(r.body.iceServers, 'alice', now);
  assert.equal(r.body.expiresAt, Number(t.username.split(':')[0]) * 1000);

  assert.equal((await turnAllocates(turn.port, t.username, t.credential)).ok, true);
  // Forged: another user's name with alice's credential, or a made-up one.
  const forged = t.username.replace(':alice', ':mallory');
  assert.equal((await turnAllocates(turn.port, forged, t.credential)).ok, false);
  assert.equal((await turnAllocates(turn.port, t.username, 'Zm9yZ2VkZm9yZ2VkZm9yZ2VkZm9yZ2U=')).ok, false);
  // Expired: signed with the right secret, but its time has passed.
  const old = `${Math.floor(Date.now() / 1000) - 5}:${app.appId}:alice`;
  assert.equal((await turnAllocates(turn.port, old, turnCredential(turn.secret, old))).ok, false);

  // Only for signed-in users.
  assert.equal((await api(srv, 'GET', '/api/ice-servers')).status, 401);
});

test('JOINED reply and ADMITTED event carry ICE servers minted for their user', async () => {
  const r = await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'hank'), body: { policy: { waitingRoom: true } } });
  const { roomId } = r.body;
  const hank = await WsClient.connect(srv, tokenFor(app, 'hank'));
  const amy = await WsClient.connect(srv, tokenFor(app, 'amy'));
  const now = Date.now();
  const h = await hank.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(h.status, 'JOINED');
  const ht = checkServers(h.iceServers, 'hank', now);
  assert.equal(h.iceServersExpireAt, Number(ht.username.split(':')[0]) * 1000);
  const a = await amy.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(a.status, 'WAITING_ROOM_PENDING');
  assert.equal(a.iceServers, undefined); // nothing to connect to yet
  assert.equal((await hank.request({ type: 'ADMIT', roomId, userId: 'amy' })).ok, true);
  const ad = await amy.waitEvent('GROUP_CALL_ADMITTED');
  const t = checkServers(ad.iceServers, 'amy', now);
  assert.equal(ad.iceServersExpireAt, Number(t.username.split(':')[0]) * 1000);
  // hank's view of amy's arrival carries no credentials.
  const joined = await hank.waitEvent('GROUP_CALL_PARTICIPANT_JOINED', (e) => e.userId === 'amy');
  assert.equal(joined.iceServers, undefined);
  assert.equal((await turnAllocates(turn.port, t.username, t.credential)).ok, true);
  await hank.close();
  await amy.close();
});

test('the secret is not in /api/info, errors or the process list', async () => {
  const info = await api(srv, 'GET', '/api/info', { token: tokenFor(app, 'alice') });
  assert.ok(!JSON.stringify(info.body).includes(turn.secret));
  const cmdline = readFileSync(`/proc/${srv.proc.pid}/cmdline`, 'utf8');
  assert.ok(!cmdline.includes(turn.secret));

  // --turn-secret on the command line is overwritten in the process's argv.
  const s2 = await startServer({ args: ['--turn', turn.url, '--turn-secret', 'hunter2-on-the-cmdline'] });
  try {
    assert.ok(!readFileSync(`/proc/${s2.proc.pid}/cmdline`, 'utf8').includes('hunter2'));
  } finally {
    await s2.stop();
  }
});

test('without STUN/TURN options: an empty list, and expiresAt null', async () => {
  const s = await startServer();
  try {
    const a = createApp(s.db, 'pro');
    const r = await api(s, 'GET', '/api/ice-servers', { token: tokenFor(a, 'alice') });
    assert.deepEqual(r.body, { iceServers: [], expiresAt: null });
    const room = await api(s, 'POST', '/api/rooms', { token: tokenFor(a, 'alice'), body: {} });
    const c = await WsClient.connect(s, tokenFor(a, 'alice'));
    const j = await c.request({ type: 'JOIN_ROOM', roomId: room.body.roomId });
    assert.deepEqual(j.iceServers, []);
    assert.equal(j.iceServersExpireAt, null);
    await c.close();
  } finally {
    await s.stop();
  }
});

test('bad STUN/TURN options are refused with a clear message, never echoing the secret', () => {
  const serve = (...args) => spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', 'sqlite::memory:', ...args],
    { encoding: 'utf8', timeout: 10000 });
  const cases = [
    [['--turn', 'turn:t.example'], /--turn needs --turn-secret or --turn-secret-file/],
    [['--turn-secret', 'sekrit-value'], /--turn-secret is for --turn URLs/],
    [['--stun', 'turn:t.example'], /--stun "turn:t.example" must start with stun: or stuns:/],
    [['--turn', 'turn://t.example', '--turn-secret', 'sekrit-value'], /--turn "turn:\/\/t.example" takes host\[:port\]/],
    [['--turn', 'turn:t.example?transport=sctp', '--turn-secret', 'sekrit-value'], /may end only in \?transport=udp/],
    [['--turn', 'turn:t.example', '--turn-secret-file', '/nonexistent/secret'], /--turn-secret-file \/nonexistent\/secret: file does not exist/],
    [['--turn', 'turn:t.example', '--turn-secret', ''], /--turn-secret is empty/],
    [['--turn-ttl', '5'], /--turn-ttl must be 60 to 604800/],
  ];
  for (const [args, re] of cases) {
    const r = serve(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes('sekrit'), r.stderr);
  }
  const nine = [];
  for (let i = 0; i < 9; i++) nine.push('--stun', `stun:s${i}.example`);
  const r = serve(...nine);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /at most 8/);
  // An empty secret file.
  const f = join(tempDir(), 'empty');
  writeFileSync(f, '\n');
  assert.match(serve('--turn', 'turn:t.example', '--turn-secret-file', f).stderr, /is empty/);
});
