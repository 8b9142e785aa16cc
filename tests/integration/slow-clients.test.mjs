// Slow or half-sent requests time out without disturbing other clients.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { api, createApp, startServer, tokenFor } from './helpers.mjs';

let srv, alice;
before(async () => {
  srv = await startServer({ args: ['--header-timeout', '2'] });
  alice = tokenFor(createApp(srv.db, 'pro'), 'alice');
});
after(async () => { await srv.stop(); });

// Opens a socket, writes text, resolves with ms until the server closes it.
function closedAfter(text) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = connect(srv.port, '127.0.0.1', () => sock.write(text));
    sock.on('error', () => {});
    sock.on('close', () => resolve(Date.now() - t0));
    sock.resume();
  });
}

test('half-sent headers, half-sent bodies and idle sockets are closed; others are served meanwhile', async () => {
  const slow = [
    closedAfter('GET /api/rooms HTTP/1.1\r\nHost: x\r\n'),
    closedAfter(`POST /api/rooms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":'),
    closedAfter(''),
  ];
  // While those hang, normal clients are served.
  for (let i = 0; i < 20; i++) {
    const r = await api(srv, 'POST', '/api/rooms', { token: alice, body: { name: `ok ${i}` } });
    assert.equal(r.status, 201);
  }
  const times = await Promise.all(slow);
  for (const ms of times) {
    assert.ok(ms < 15000, `closed after ${ms} ms`);
  }
  assert.equal((await api(srv, 'GET', '/api/rooms', { token: alice })).body.rooms.length, 20);
});
