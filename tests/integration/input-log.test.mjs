// Log lines cannot be forged: the logger escapes every value (a user id, a
// path) itself, so each line stays one logfmt record with its own keys.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

// A strict logfmt reader: key=bare or key="escaped"; throws on anything else.
function parseLine(line) {
  const out = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|([^\s"=\\]+))/y;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < line.length) {
    const at = re.lastIndex;
    m = re.exec(line);
    if (!m) throw new Error(`not logfmt at ${at}: ${JSON.stringify(line)}`);
    if (m[1] in out) throw new Error(`key ${m[1]} twice: ${JSON.stringify(line)}`);
    out[m[1]] = m[2] !== undefined ? m[2] : m[3];
  }
  return out;
}

test('a user id and a path cannot add keys or lines to the log', async () => {
  const forger = 'mallory" level=error msg="forged';
  const r = await api(srv, 'GET', '/api/rooms', { token: tokenFor(app, forger) });
  assert.equal(r.status, 200);
  const c = await WsClient.connect(srv, tokenFor(app, 'eve" admin=1 x="'));
  await c.terminate();
  for (const path of ['/api/x%22%20level=error%20msg=%22forged', '/api/x%1b[2J', '/api/x%5C%22', '/api/x%0Alevel=error', '/api/caf%C3%A9']) {
    const res = await fetch(srv.url + path);
    await res.text();
  }
  await sleep(200);
  const lines = srv.logs().trim().split('\n');
  const records = lines.map(parseLine);
  const requests = records.filter((l) => l.msg === 'request');
  assert.ok(requests.length >= 6, lines.join('\n'));
  for (const l of records) {
    assert.ok(['debug', 'info', 'warn', 'error'].includes(l.level), JSON.stringify(l));
    assert.notEqual(l.msg, 'forged');
    assert.equal(l.admin, undefined);
  }
  const mine = requests.find((l) => l.user && l.user.startsWith('mallory'));
  assert.equal(mine.user, 'mallory\\" level=error msg=\\"forged');
  assert.ok(requests.some((l) => l.path === '/api/x\\x1b[2J'), lines.join('\n'));
  assert.ok(requests.some((l) => l.path === '/api/café'), lines.join('\n'));
});
