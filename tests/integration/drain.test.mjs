// SIGTERM drains: the listener closes at once (new connections are refused
// by the kernel, not accepted and reset at exit), open WebSockets get 1012,
// and the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createApp, startServer, tokenFor, WsClient, sleep } from './helpers.mjs';

function tryConnect(port) {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.on('connect', () => { sock.destroy(); resolve('connected'); });
    sock.on('error', (e) => resolve(e.code));
  });
}

test('while draining, new connections are refused; WebSockets get 1012; exit 0', async () => {
  const srv = await startServer();
  const app = createApp(srv.db, 'pro');
  const c = await WsClient.connect(srv, tokenFor(app, 'drainee'));
  // A second client that does not read: the drain waits for its close.
  const stuck = await WsClient.connect(srv, tokenFor(app, 'stuck'));
  stuck.ws._socket.pause();
  const exited = new Promise((resolve) => srv.proc.on('exit', (code, signal) => resolve({ code, signal })));
  srv.proc.kill('SIGTERM');
  assert.equal((await c.closed).code, 1012);
  assert.equal(await tryConnect(srv.port), 'ECONNREFUSED');
  stuck.ws._socket.resume();
  const { code, signal } = await exited;
  assert.equal(signal, null);
  assert.equal(code, 0, srv.logs().slice(-2000));
  assert.doesNotMatch(srv.logs(), /level=error/);
  await sleep(10);
});
