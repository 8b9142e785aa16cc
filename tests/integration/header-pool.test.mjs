// Many connections stuck in the middle of their headers (or sending nothing)
// do not make other clients wait: there is no fixed pool of header slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { api, createApp, startServer, tokenFor, sleep } from './helpers.mjs';

function open(port, text) {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => { if (text) sock.write(text); resolve(sock); });
    sock.on('error', () => {});
  });
}

test('1,100 half-sent requests and 1,000 silent sockets: a new client is served while they hang', async () => {
  const srv = await startServer({ args: ['--header-timeout', '60'] });
  const alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
  const socks = [];
  let closedEarly = 0;
  for (let i = 0; i < 1100; i++) socks.push(await open(srv.port, 'GET /api/rooms HTTP/1.1\r\nHost: x\r\n'));
  for (let i = 0; i < 1000; i++) socks.push(await open(srv.port, ''));
  for (const s of socks) s.on('close', () => { closedEarly++; });
  await sleep(200);
  const t0 = Date.now();
  const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: 'still served' } });
  assert.equal(r.status, 201);
  assert.equal((await api(srv, 'GET', '/api/rooms', { token: alice })).body.rooms.length, 1);
  // They were all still hanging when the new client was answered.
  assert.equal(closedEarly, 0, `served after ${Date.now() - t0} ms, with ${closedEarly} of the hanging sockets closed`);
  for (const s of socks) s.destroy();
  await srv.stop();
});
