// serve's options from a config file (--config, INI read by libinih) and
// from DROPONAIR_* variables: flags win over variables, variables over the
// file, the file over the defaults; a repeatable option's list comes whole
// from one place. Unknown keys and variables are refused, naming the line
// or the variable; bad values get the flag's message; secrets can be read
// from files and stay out of /proc/PID/cmdline, /proc/PID/environ and the
// logs; the sample deploy/droponaird.conf serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, BIN, createApp, root, startProcess, tempDir, tokenFor } from './helpers.mjs';
import { turnCredential } from './coturn.mjs';
import { startRedis } from './redis.mjs';

// Runs serve until it exits (every case here is refused at start): {status, stderr}.
function serveFails(args, env = {}) {
  const r = spawnSync(BIN, ['serve', ...args], { encoding: 'utf8', timeout: 10000, env: { ...process.env, ...env } });
  assert.equal(r.status, 2, `serve ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stderr;
}

function writeConf(dir, name, lines) {
  const f = join(dir, name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

// The ICE servers a user of a fresh app on srv gets.
async function iceServers(srv) {
  const app = createApp(srv.db, 'pro');
  const r = await api(srv, 'GET', '/api/ice-servers', { token: tokenFor(app, 'alice') });
  assert.equal(r.status, 200);
  return r.body.iceServers;
}

const node = async (srv) => (await api(srv, 'GET', '/healthz')).body.node;

test('one option from the file, the environment and a flag: the flag wins, then the variable, then the file', async () => {
  const dir = tempDir();
  const secretFile = join(dir, 'turn-secret');
  writeFileSync(secretFile, 'secret-from-file\n', { mode: 0o600 });
  const conf = writeConf(dir, 'droponaird.conf', [
    '# every key of this file is also given by a variable and a flag below',
    'node-id = from-file',
    'stun = stun:file-1.example',
    'stun = stun:file-2.example',
    'turn = turn:turn.example:3478',
    `turn-secret-file = ${secretFile}`,
  ]);
  const env = { DROPONAIR_NODE_ID: 'from-env', DROPONAIR_STUN: 'stun:env-1.example, stun:env-2.example', DROPONAIR_TURN_SECRET: 'secret-from-env' };
  const flags = ['--node-id', 'from-flag', '--stun', 'stun:flag.example', '--turn-secret', 'secret-from-flag'];
  const cases = [
    { args: flags, env, node: 'from-flag', stun: ['stun:flag.example'], secret: 'secret-from-flag' },
    { args: [], env, node: 'from-env', stun: ['stun:env-1.example', 'stun:env-2.example'], secret: 'secret-from-env' },
    { args: [], env: {}, node: 'from-file', stun: ['stun:file-1.example', 'stun:file-2.example'], secret: 'secret-from-file' },
  ];
  for (const c of cases) {
    const srv = await startProcess({ dir: tempDir(), args: ['--config', conf, ...c.args], env: c.env });
    try {
      assert.equal(await node(srv), c.node);
      const [stun, turn] = await iceServers(srv);
      assert.deepEqual(stun.urls, c.stun);
      assert.deepEqual(turn.urls, ['turn:turn.example:3478']);
      assert.equal(turn.credential, turnCredential(c.secret, turn.username), `the TURN secret is ${c.secret}`);
      // The secret is in neither the command line nor the environment `ps` and /proc show, nor the logs.
      const shown = readFileSync(`/proc/${srv.proc.pid}/cmdline`, 'utf8') + readFileSync(`/proc/${srv.proc.pid}/environ`, 'utf8');
      assert.ok(!shown.includes('secret-from'), shown.replace(/\0/g, ' '));
      assert.ok(!srv.logs().includes('secret-from') && !srv.stdout().includes('secret-from'));
    } finally {
      await srv.stop();
    }
  }
});

test('the file alone sets where to listen and the database; switches and lists come from variables', async () => {
  const dir = tempDir();
  const conf = writeConf(dir, 'a.conf', ['listen = 127.0.0.1:0', `db = sqlite:${join(dir, 'from-file.db')}`, 'ws-ping-s = 7', 'ws-idle-s = 9']);
  // startProcess's own --listen/--db flags would win: no flags at all here.
  const srv = await startProcess({ dir, bare: true, env: { DROPONAIR_CONFIG: conf, DROPONAIR_DEV: 'true', DROPONAIR_CORS_ORIGIN: 'https://a.example https://b.example' } });
  try {
    assert.match(srv.stdout(), /appId: +dev/, 'DROPONAIR_DEV=true is --dev');
    assert.match(srv.logs(), new RegExp(`path="${join(dir, 'from-file.db')}"`));
    for (const origin of ['https://a.example', 'https://b.example']) {
      const r = await api(srv, 'GET', '/healthz', { headers: { origin } });
      assert.equal(r.headers.get('access-control-allow-origin'), origin);
    }
    const other = await api(srv, 'GET', '/healthz', { headers: { origin: 'https://c.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null, 'the list replaced --dev\'s "*"');
  } finally {
    await srv.stop();
  }
});

test('unknown keys and variables, sections and bad lines are refused with the file and line', () => {
  const dir = tempDir();
  const cases = [
    [['listen = 127.0.0.1:0', '', '# a comment', 'max-bdy = 4096'], /^droponaird: .*\/c\.conf:4: unknown key "max-bdy"$/m],
    [['[serve]', 'listen = 127.0.0.1:0'], /c\.conf:2: \[serve\]: sections are not used/],
    [['listen', 'db = x'], /c\.conf:1: not a "key = value" line/],
    [['listen = :1', 'listen = :2'], /c\.conf:2: "listen" is already set at .*c\.conf:1/],
    [['config = other.conf'], /c\.conf:1: unknown key "config" \(only on the command line or in the environment\)/],
    [['help = true'], /c\.conf:1: unknown key "help"/],
    [[`db = sqlite:/${'x'.repeat(300)}`], /c\.conf:1: the line is longer than 198 bytes/],
    // Bad values: the flag's own message, after where the value came from.
    [['max-body = 5'], /^droponaird: .*c\.conf:1: --max-body must be 1024 to 67108864$/m],
    [['listen = nowhere'], /c\.conf:1: --listen wants HOST:PORT, not "nowhere"/],
    [['dev = maybe'], /c\.conf:1: dev must be true or false/],
    [['stun = turn:t.example'], /c\.conf:1: --stun "turn:t.example" must start with stun: or stuns:/],
  ];
  for (const [lines, re] of cases) {
    const conf = writeConf(dir, 'c.conf', lines);
    assert.match(serveFails(['--config', conf, '--db', 'sqlite::memory:']), re);
  }
  assert.match(serveFails(['--db', 'sqlite::memory:'], { DROPONAIR_MAX_BDOY: '1' }),
    /^droponaird: DROPONAIR_MAX_BDOY: unknown variable \(serve has no option --max-bdoy\)$/m);
  assert.match(serveFails(['--db', 'sqlite::memory:'], { DROPONAIR_HELP: '1' }), /DROPONAIR_HELP: unknown variable/);
  assert.match(serveFails(['--db', 'sqlite::memory:'], { DROPONAIR_WS_RATE: '0' }),
    /^droponaird: DROPONAIR_WS_RATE: --ws-rate must be 1 to 10000000$/m);
  // A bad value the flag overrides is never looked at.
  const r = spawnSync(BIN, ['serve', '--ws-rate', 'x', '--db', 'sqlite::memory:'], { encoding: 'utf8', env: { ...process.env, DROPONAIR_WS_RATE: '0' } });
  assert.match(r.stderr, /^droponaird: --ws-rate must be 1 to 10000000$/m);
});

test('--config of a missing, unreadable or non-file path is refused', () => {
  const dir = tempDir();
  assert.match(serveFails(['--config', join(dir, 'nope.conf')]), /--config .*nope\.conf: No such file or directory/);
  assert.match(serveFails([], { DROPONAIR_CONFIG: join(dir, 'nope.conf') }), /DROPONAIR_CONFIG .*nope\.conf: No such file or directory/);
  assert.match(serveFails(['--config', dir]), /: not a regular file/);
  if (process.getuid && process.getuid() !== 0) { // root reads any file
    const f = writeConf(dir, 'private.conf', ['listen = 127.0.0.1:0']);
    chmodSync(f, 0o000);
    assert.match(serveFails(['--config', f]), /private\.conf: Permission denied/);
  }
});

test('a secret from the environment is blanked; both secret options in one place are refused', () => {
  assert.match(serveFails(['--db', 'sqlite::memory:'], { DROPONAIR_TURN_SECRET: 'sekrit', DROPONAIR_TURN_SECRET_FILE: '/x' }),
    /"turn-secret(-file)?" is already set at DROPONAIR_TURN_SECRET/);
  const dir = tempDir();
  const conf = writeConf(dir, 'c.conf', ['turn-secret = sekrit-in-file', 'turn = turn:t.example']);
  const err = serveFails(['--config', conf, '--turn-secret', '']);
  assert.match(err, /--turn-secret is empty/);
  assert.ok(!err.includes('sekrit'));
});

test('deploy/droponaird.conf serves, and names every documented option', async () => {
  const sample = join(root, 'deploy', 'droponaird.conf');
  // Its paths are the package's (/var/lib/droponair): the flags put the database here.
  const srv = await startProcess({ args: ['--config', sample] });
  try {
    const r = await api(srv, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
  } finally {
    await srv.stop();
  }
  const help = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8' }).stdout;
  const documented = new Set([...help.matchAll(/^ +--([a-z-]+)/gm)].map((m) => m[1]));
  const keys = [...readFileSync(sample, 'utf8').matchAll(/^#?([a-z-]+) = /gm)].map((m) => m[1]);
  for (const k of keys) assert.ok(documented.has(k), `${k} in the sample is a serve option`);
  for (const k of documented) {
    if (['config', 'help', 'turn-secret'].includes(k)) continue;
    assert.ok(keys.includes(k), `--${k} is in the sample`);
  }
});

test('Redis\'s password from a file (--redis-password-file), kept out of the URL', async () => {
  const dir = tempDir();
  const redis = await startRedis({ dir, args: ['--requirepass', 'redis-sekrit'] });
  const pw = join(dir, 'redis-password');
  writeFileSync(pw, 'redis-sekrit\n', { mode: 0o600 });
  const conf = writeConf(dir, 'r.conf', [`redis = ${redis.url}`, `redis-password-file = ${pw}`]);
  const srv = await startProcess({ dir, args: ['--config', conf] });
  try {
    let h;
    for (let i = 0; i < 100 && (h = (await api(srv, 'GET', '/healthz')).body).redis !== 'up'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.redis, 'up', 'AUTH with the file\'s password');
    assert.ok(!srv.logs().includes('redis-sekrit'));
  } finally {
    await srv.stop();
    await redis.stop();
  }
  assert.match(serveFails(['--db', 'sqlite::memory:', '--redis', 'redis://:inline@127.0.0.1:1', '--redis-password-file', pw]),
    /give Redis's password in --redis or in --redis-password-file, not both/);
  assert.match(serveFails(['--db', 'sqlite::memory:', '--redis-password-file', pw]), /--redis-password-file is for --redis/);
  assert.match(serveFails(['--db', 'sqlite::memory:', '--redis', 'redis://127.0.0.1:1', '--redis-password-file', join(dir, 'none')]),
    /--redis-password-file .*none: file does not exist/);
});
