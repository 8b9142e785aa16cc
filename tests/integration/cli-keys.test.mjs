// The CLI manages apps and keys; a running server follows without a restart.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { api, assertError, BIN, cli, createApp, startServer, tokenFor, eventually } from './helpers.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });


test('app create prints exactly {appId,kid,secret,plan}; the app works at once', async () => {
  const app = createApp(srv.db, 'pro');
  assert.deepEqual(Object.keys(app).sort(), ['appId', 'kid', 'plan', 'secret']);
  assert.equal(app.plan, 'pro');
  assert.ok(app.secret.length >= 32);
  // Used immediately after creation: the server re-reads apps on an unknown key.
  const r = await api(srv, 'GET', '/api/info', { token: tokenFor(app, 'alice') });
  assert.equal(r.status, 200);
  assert.equal(r.body.appId, app.appId);
});

test('droponaird token mints a token the server accepts', async () => {
  const app = createApp(srv.db, 'business');
  const token = cli(['token', '--db', srv.db, '--app', app.appId, '--user', 'bob', '--name', 'Bob', '--ttl', '120']).trim();
  const r = await api(srv, 'GET', '/api/info', { token });
  assert.equal(r.body.userId, 'bob');
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url'));
  assert.equal(claims.iss, app.appId);
  assert.equal(claims.name, 'Bob');
  assert.equal(claims.exp - claims.iat, 120);
});

test('rotate-key adds a key; the old one works until remove-key', async () => {
  const app = createApp(srv.db, 'pro');
  const oldToken = tokenFor(app, 'alice');
  const rotated = JSON.parse(cli(['app', 'rotate-key', '--db', srv.db, '--app', app.appId]));
  assert.equal(rotated.appId, app.appId);
  assert.notEqual(rotated.kid, app.kid);
  const newToken = tokenFor({ ...app, kid: rotated.kid, secret: rotated.secret }, 'alice');
  assert.equal((await api(srv, 'GET', '/api/rooms', { token: newToken })).status, 200);
  assert.equal((await api(srv, 'GET', '/api/rooms', { token: oldToken })).status, 200);

  const listed = cli(['app', 'list', '--db', srv.db]).trim().split('\n').map((l) => JSON.parse(l));
  const mine = listed.find((a) => a.appId === app.appId);
  assert.deepEqual(mine.kids.sort(), [app.kid, rotated.kid].sort());
  assert.ok(!JSON.stringify(listed).includes(app.secret), 'app list never prints secrets');

  cli(['app', 'remove-key', '--db', srv.db, '--app', app.appId, '--kid', app.kid]);
  const rejected = await eventually(async () =>
    (await api(srv, 'GET', '/api/rooms', { token: oldToken })).status === 401);
  assert.ok(rejected, 'the removed key stops working without a restart');
  assert.equal((await api(srv, 'GET', '/api/rooms', { token: newToken })).status, 200);
});

test('the last key cannot be removed; bad input is refused with a message', () => {
  const app = createApp(srv.db, 'pro');
  const last = spawnSync(BIN, ['app', 'remove-key', '--db', srv.db, '--app', app.appId, '--kid', app.kid], { encoding: 'utf8' });
  assert.notEqual(last.status, 0);
  assert.match(last.stderr, /last key/);
  const plan = spawnSync(BIN, ['app', 'create', '--db', srv.db, '--name', 'x', '--plan', 'gold'], { encoding: 'utf8' });
  assert.notEqual(plan.status, 0);
  assert.match(plan.stderr, /unknown plan/);
  const noApp = spawnSync(BIN, ['token', '--db', srv.db, '--app', 'app_none', '--user', 'a'], { encoding: 'utf8' });
  assert.notEqual(noApp.status, 0);
});

test('set-plan changes what the app may do', async () => {
  const app = createApp(srv.db, 'starter');
  const t = tokenFor(app, 'alice');
  assertError(await api(srv, 'POST', '/api/rooms', { token: t, body: {} }), 403, 'FEATURE_NOT_ENABLED');
  cli(['app', 'set-plan', '--db', srv.db, '--app', app.appId, '--plan', 'pro']);
  const ok = await eventually(async () => (await api(srv, 'GET', '/api/info', { token: t })).body.plan === 'pro');
  assert.ok(ok);
  assert.equal((await api(srv, 'POST', '/api/rooms', { token: t, body: {} })).status, 201);
});

test('every command has --help', () => {
  for (const args of [['--help'], ['serve', '--help'], ['app', '--help'], ['token', '--help']]) {
    const r = spawnSync(BIN, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /usage/);
  }
});
