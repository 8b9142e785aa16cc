// Redis for the tests: Debian's redis-server on loopback, a free port, no
// persistence, its files in a temporary directory; stopped by the test (and
// killed at exit if a test failed first). Start it again on the same port
// to test a Redis restart.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { tempDir } from './helpers.mjs';
import { freePort } from './coturn.mjs';

function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(300, () => done(false));
    s.on('error', () => done(false));
    s.on('data', (d) => { buf += d; if (buf.includes('\r\n')) done(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH')); });
    s.write('PING\r\n');
  });
}

/** Starts redis-server; resolves once it answers PING: {port, url, stop(), kill()}. */
// args: more redis-server options (['--requirepass', P], say).
export async function startRedis({ dir = tempDir(), port, args = [] } = {}) {
  port = port || await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1',
    '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', join(dir, `redis-${port}.log`), ...args],
    { stdio: 'ignore' });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const onExit = () => { if (proc.exitCode === null) proc.kill('SIGKILL'); };
  process.on('exit', onExit);
  proc.on('exit', () => process.off('exit', onExit));
  for (let i = 0; i < 100; i++) {
    if (await ping(port)) break;
    if (proc.exitCode !== null) throw new Error(`redis-server exited ${proc.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, dir, url: `redis://127.0.0.1:${port}`,
    async stop() { if (proc.exitCode === null) { proc.kill('SIGTERM'); await exited; } },
    async kill() { if (proc.exitCode === null) { proc.kill('SIGKILL'); await exited; } },
  };
}
