// coturn for the tests: Debian's turnserver with the repository's config file
// (deploy/coturn/turnserver.conf), on loopback, a free port and a random
// secret, its state in a temporary directory; stopped by the test.
import { spawn } from 'node:child_process';
import { randomBytes, createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';
import { root, tempDir } from './helpers.mjs';

// A port free for both UDP and TCP (coturn listens on both), below the
// kernel's ephemeral range so no outgoing connection can take it meanwhile.
export async function freePort() {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const udp = dgram.createSocket('udp4');
    const udpOk = await new Promise((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (udpOk) await new Promise((resolve) => udp.close(resolve));
    if (!udpOk) continue;
    const tcp = net.createServer();
    const tcpOk = await new Promise((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (tcpOk) {
      await new Promise((resolve) => tcp.close(resolve));
      return port;
    }
  }
  throw new Error('no free port for coturn');
}

// A STUN Binding request (RFC 5389): resolves true when coturn answers.
function stunPing(port, ms = 300) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0);
    req.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(req, 8);
    const done = (ok) => { clearTimeout(t); s.close(); resolve(ok); };
    const t = setTimeout(() => done(false), ms);
    s.on('message', (m) => done(m.length >= 20 && m.readUInt16BE(0) === 0x0101));
    s.on('error', () => done(false));
    s.send(req, port, '127.0.0.1');
  });
}

/**
 * Starts coturn; port and secret may be given to start it again in the same
 * place (a restart mid-call). Resolves once it answers STUN:
 * {port, secret, url, logs(), stop(), kill()}.
 */
export async function startCoturn({ dir = tempDir(), port, secret } = {}) {
  secret = secret || randomBytes(24).toString('base64url');
  port = port || await freePort();
  let logs = '';
  const proc = spawn('turnserver', [
    '-c', join(root, 'deploy', 'coturn', 'turnserver.conf'),
    '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--no-tls', `--static-auth-secret=${secret}`,
    // The shipped config refuses relaying to private and loopback peers;
    // the browsers of the tests are on loopback.
    '--allow-loopback-peers', '--allowed-peer-ip=127.0.0.1',
    // Relayed ports below the ephemeral range too (coturn skips ports in use).
    '--min-port=10000', '--max-port=19999',
    '--log-file=stdout', `--pidfile=${join(dir, `turnserver-${port}.pid`)}`,
    `--userdb=${join(dir, `turndb-${port}`)}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => { logs += d; });
  proc.stderr.on('data', (d) => { logs += d; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const deadline = Date.now() + 10000;
  while (!(await stunPing(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`coturn did not start:\n${logs}`);
    }
  }
  return {
    port, secret, proc,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    logs: () => logs,
    async stop() { if (proc.exitCode === null) proc.kill('SIGTERM'); await exited; },
    async kill() { if (proc.exitCode === null) proc.kill('SIGKILL'); await exited; },
  };
}

/** base64(HMAC-SHA1(secret, username)): the credential coturn expects. */
export function turnCredential(secret, username) {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** Does coturn give an allocation (and relay) for this username and password? */
export function turnAllocates(port, username, credential) {
  return new Promise((resolve) => {
    const p = spawn('turnutils_uclient', ['-y', '-u', username, '-w', credential, '-p', String(port),
      '-n', '1', '-m', '1', '-e', '127.0.0.1', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), 30000);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ ok: code === 0 && !/Cannot complete Allocation/.test(out), output: out });
    });
  });
}
