// Every rejected token is a 401 with a JSON error; good ones pass.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertError, createApp, startServer, sign } from './helpers.mjs';

let srv, app, other;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  other = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

const now = () => Math.floor(Date.now() / 1000);
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

test('valid tokens: by kid, by iss, with skew, with nbf/iat', async () => {
  const good = [
    sign({ sub: 'alice', exp: now() + 60 }, app.secret, { kid: app.kid }),
    sign({ iss: app.appId, sub: 'alice', exp: now() + 60 }, app.secret),
    sign({ iss: app.appId, sub: 'alice', exp: now() - 30 }, app.secret, { kid: app.kid }),
    sign({ sub: 'alice', exp: now() + 60, nbf: now() + 30, iat: now() + 30 }, app.secret, { kid: app.kid }),
  ];
  for (const t of good) {
    const r = await api(srv, 'GET', '/api/rooms', { token: t });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
});

test('rejections', async () => {
  const exp = now() + 600;
  const cases = {
    'alg none': `${b64({ alg: 'none', kid: app.kid })}.${b64({ sub: 'a', exp })}.`,
    'alg none without signature part': `${b64({ alg: 'none' })}.${b64({ iss: app.appId, sub: 'a', exp })}`,
    'HS512 with an HS256 key': sign({ sub: 'a', exp }, app.secret, { kid: app.kid, alg: 'HS512' }),
    'RS256 header': `${b64({ alg: 'RS256', kid: app.kid })}.${b64({ sub: 'a', exp })}.c2ln`,
    'bad signature': sign({ sub: 'a', exp }, 'another-secret-another-secret', { kid: app.kid }),
    'other app secret': sign({ sub: 'a', exp }, other.secret, { kid: app.kid }),
    expired: sign({ sub: 'a', exp: now() - 120 }, app.secret, { kid: app.kid }),
    'not yet valid': sign({ sub: 'a', exp, nbf: now() + 300 }, app.secret, { kid: app.kid }),
    'issued in the future': sign({ sub: 'a', exp, iat: now() + 300 }, app.secret, { kid: app.kid }),
    'missing sub': sign({ exp }, app.secret, { kid: app.kid }),
    'empty sub': sign({ sub: '', exp }, app.secret, { kid: app.kid }),
    'sub too long': sign({ sub: 'x'.repeat(129), exp }, app.secret, { kid: app.kid }),
    'missing exp': sign({ sub: 'a' }, app.secret, { kid: app.kid }),
    'unknown app': sign({ iss: 'app_nope', sub: 'a', exp }, app.secret),
    'unknown kid': sign({ sub: 'a', exp }, app.secret, { kid: 'key_nope' }),
    'kid of another app': sign({ iss: other.appId, sub: 'a', exp }, app.secret, { kid: app.kid }),
    'no iss and no kid': sign({ sub: 'a', exp }, app.secret),
    garbage: 'not-a-jwt',
    'three dots': 'a.b.c',
  };
  for (const [what, token] of Object.entries(cases)) {
    for (const path of ['/api/rooms', '/api/info']) {
      const r = await api(srv, 'GET', path, { token });
      assertError(r, 401, 'UNAUTHORIZED');
      assert.ok(r.body.error.message.length > 0, what);
    }
  }
});

test('missing or non-bearer Authorization', async () => {
  assertError(await api(srv, 'GET', '/api/rooms'), 401, 'UNAUTHORIZED');
  assertError(await api(srv, 'POST', '/api/rooms', { body: {} }), 401, 'UNAUTHORIZED');
  assertError(await api(srv, 'GET', '/api/rooms', { headers: { authorization: 'Basic YTpi' } }), 401, 'UNAUTHORIZED');
  assertError(await api(srv, 'GET', '/api/rooms', { headers: { authorization: 'Bearer ' } }), 401, 'UNAUTHORIZED');
});
