// A webhook receiver for the tests: node's own HTTP server on a free
// loopback port. It verifies the signature of every delivery with node's
// crypto (not the server's code) and records each one. What it answers is
// up to the test: receiver.answer = (delivery) => status | 'hang'
// (default 200); a hung request is only ever answered by close().
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import assert from 'node:assert/strict';
import { cli } from './helpers.mjs';

// Checks a delivery as docs/api.md tells a receiver to; returns why not, or null.
export function verify(secret, headers, body, now = Date.now()) {
  const ts = headers['droponair-timestamp'];
  const sig = headers['droponair-signature'];
  if (!/^\d+$/.test(ts || '')) return 'no Droponair-Timestamp';
  if (Math.abs(now / 1000 - Number(ts)) > 300) return 'timestamp too far from now';
  const want = `v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
  if (!sig || sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) return 'bad signature';
  return null;
}

export async function startReceiver(secret = null) {
  const r = {
    secret,
    answer: () => 200,
    attempts: [], // every request: {id, type, roomId, roomSeq, body, raw, status, at, attempt, headers}
    problems: [],
    hung: [],
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      let body = null;
      try { body = JSON.parse(raw); } catch { r.problems.push(`not JSON: ${raw.slice(0, 200)}`); }
      if (r.secret) {
        const why = verify(r.secret, req.headers, raw);
        if (why) r.problems.push(`${why}: ${raw.slice(0, 200)}`);
      }
      if (req.method !== 'POST') r.problems.push(`method ${req.method}`);
      if (!/^application\/json/.test(req.headers['content-type'] || '')) r.problems.push('content-type');
      if (body && req.headers['droponair-event-id'] !== body.id) r.problems.push('Droponair-Event-Id is not the body id');
      const d = {
        id: body && body.id, type: body && body.type, roomId: body && body.roomId, roomSeq: body && body.roomSeq,
        body, raw, at: Date.now(), attempt: Number(req.headers['droponair-delivery-attempt']), headers: req.headers,
      };
      const status = r.answer(d);
      d.status = status;
      r.attempts.push(d);
      if (status === 'hang') { r.hung.push(res); return; }
      const delay = typeof r.delay === 'number' ? r.delay : 0;
      const send = () => { res.writeHead(status, { 'content-type': 'text/plain' }); res.end('ok'); };
      if (delay) setTimeout(send, delay); else send();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${server.address().port}/hook`;
  // Deliveries it answered 2xx, first of each event id, in arrival order.
  r.acked = () => {
    const seen = new Set();
    return r.attempts.filter((d) => typeof d.status === 'number' && d.status < 300 && !seen.has(d.id) && seen.add(d.id));
  };
  r.ackedOf = (roomId) => r.acked().filter((d) => d.roomId === roomId);
  r.waitAcked = async (n, ms = 10000) => {
    const end = Date.now() + ms;
    while (r.acked().length < n) {
      if (Date.now() > end) assert.fail(`${r.acked().length} of ${n} events arrived: ${r.acked().map((d) => d.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return r.acked();
  };
  r.assertClean = () => assert.deepEqual(r.problems, [], 'every delivery is signed and well-formed');
  r.close = async () => {
    for (const res of r.hung) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return r;
}

// Adds a webhook for app with the real CLI; returns what it prints.
export function setWebhook(db, appId, url, extra = []) {
  return JSON.parse(cli(['app', 'set-webhook', '--db', db, '--app', appId, '--url', url, ...extra]).trim());
}

// Checks that each room's events were attempted in order: no event is tried
// before every earlier event of its room was acknowledged (2xx), and the
// acknowledged ones number 1, 2, 3, ... per room.
export function assertInOrder(attempts) {
  const done = new Map(); // roomId -> highest roomSeq acknowledged
  for (const d of attempts) {
    const last = done.get(d.roomId) || 0;
    assert.ok(d.roomSeq <= last + 1, `${d.type} #${d.roomSeq} of ${d.roomId} was sent before #${last + 1} was acknowledged`);
    if (typeof d.status === 'number' && d.status < 300 && d.roomSeq === last + 1) done.set(d.roomId, d.roomSeq);
  }
  return done;
}
