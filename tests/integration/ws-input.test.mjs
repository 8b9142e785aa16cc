// WebSocket input at the edges: upgrades only on /api/ws, binary frames under
// the command rate limit, an unreadable Authorization header fails closed.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { api, createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer({ args: ['--ws-rate', '5', '--ws-burst', '10'] });
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

function upgradeStatus(path) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${path}`, ['droponair.v1']);
    ws.on('open', () => { ws.terminate(); resolve(101); });
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
    ws.on('error', () => resolve(-1));
  });
}

test('WebSocket upgrades are served on /api/ws only', async () => {
  assert.equal(await upgradeStatus('/api/ws'), 101);
  for (const p of ['/', '/api/rooms', '/api/wsx', '/api/ws/extra', '/healthz']) {
    assert.equal(await upgradeStatus(p), 404, p);
  }
});

async function metric(name) {
  const text = (await api(srv, 'GET', '/metrics')).body;
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)[1]);
}

test('binary frames count against the command rate limit', async () => {
  const c = await WsClient.connect(srv, tokenFor(app, 'binary'));
  const before = await metric('droponair_ws_rate_limited_total');
  for (let i = 0; i < 200; i++) c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await sleep(500);
  const codes = c.frames.filter((f) => f.ok === false).map((f) => f.error.code);
  assert.ok(codes.filter((x) => x === 'BAD_REQUEST').length <= 12, JSON.stringify(codes.slice(0, 20)));
  assert.ok(codes.filter((x) => x === 'RATE_LIMITED').length >= 150);
  assert.ok(await metric('droponair_ws_rate_limited_total') - before >= 150);
  await c.close();
});

test('an Authorization header too long to read does not fall back to ?token=', async () => {
  const good = tokenFor(app, 'query-user');
  const c = await WsClient.open(srv, { query: `?token=${good}`, headers: { authorization: `Bearer ${'x'.repeat(9000)}` } });
  const first = await new Promise((resolve) => {
    if (c.frames.length) resolve(c.frames[0]);
    c.ws.once('message', (d) => resolve(JSON.parse(d.toString())));
  });
  assert.equal(first.type, 'ERROR', JSON.stringify(first));
  assert.equal(first.error.code, 'UNAUTHORIZED');
  assert.equal((await c.closed).code, 1008);
});

test('a request id is one line: CR or LF in it is refused, and not echoed', async () => {
  const c = await WsClient.connect(srv, tokenFor(app, 'ids'));
  c.sendRaw(JSON.stringify({ id: 'a\r\nb', type: 'PING' }));
  const reply = await new Promise((resolve) => {
    const seen = c.frames.find((f) => f.ok === false);
    if (seen) return resolve(seen);
    c.ws.on('message', (d) => { const m = JSON.parse(d.toString()); if (m.ok === false) resolve(m); });
  });
  assert.equal(reply.error.code, 'BAD_REQUEST');
  assert.equal(reply.error.field, 'id');
  assert.equal(reply.id, undefined);
  // Free text keeps its line breaks where the docs say: a signal payload.
  await c.close();
});
