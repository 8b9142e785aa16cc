// What the Chromium scenarios share: the browser (with extra switches, e.g.
// a WAV file as the fake microphone), signed-in console pages, a free port
// (a server restarted on the same address: startServer({port})), a TCP
// proxy that can cut a page off the server, screenshots at a phone's and a
// desktop's width, and the proof of media: video frames decoded from every
// other peer keep growing.
import net from 'node:net';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { chromium } from 'playwright-core';
import { root } from '../integration/helpers.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Headless Chromium with fake camera and microphone. `args` add switches or
 * replace ours of the same name (`--use-fake-device-for-media-stream=device-count=2`,
 * `--use-file-for-fake-audio-capture=FILE.wav`).
 */
export function launchBrowser({ args = [] } = {}) {
  const name = (a) => a.split('=')[0];
  const names = new Set(args.map(name));
  const all = [...ARGS.filter((a) => !names.has(name(a))), ...args];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: all });
}

export const ARTIFACTS = joinPath(root, 'tests', 'e2e', 'artifacts');

/**
 * Keeps screenshots of what page shows, as a phone (390 px wide) and a
 * desktop (1280 px) see it: ARTIFACTS/<name>-390.png and -1280.png. Each
 * width is checked for a horizontal scrollbar (the layout must fit).
 */
export async function screenshots(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const before = page.viewportSize();
  for (const [width, height] of [[390, 844], [1280, 900]]) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(over <= 0, `${name} at ${width} px scrolls sideways by ${over} px`);
    await page.screenshot({ path: joinPath(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(before);
}

/** A free TCP port on loopback (for a server that must come back on the same one). */
export async function freePort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * A TCP proxy on a free loopback port to targetPort. cut() drops every
 * connection and refuses new ones (the network is gone); restore() listens
 * again on the same port.
 */
export async function tcpProxy(targetPort) {
  const sockets = new Set();
  let server = null;
  const listen = (port) => new Promise((resolve, reject) => {
    server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server.address().port));
  });
  const port = await listen(0);
  return {
    port, url: `http://127.0.0.1:${port}`,
    async cut() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
    async restore() { await listen(port); },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A console page signed in as user (dev sign-in) at baseUrl. opts.gateCamera
 * makes getUserMedia wait until releaseCamera(page) is called;
 * opts.permissions are granted to the page (e.g. clipboard-read).
 */
export async function signedIn(browser, baseUrl, user, { gateCamera = false, permissions = [] } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', permissions });
  if (gateCamera) {
    await ctx.addInitScript(() => {
      const md = navigator.mediaDevices;
      const real = md.getUserMedia.bind(md);
      let release;
      const gate = new Promise((r) => { release = r; });
      window.__camera = { asked: false, release };
      md.getUserMedia = async (c) => { window.__camera.asked = true; await gate; return real(c); };
    });
  }
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`[${user}] page error:`, e.message));
  await page.goto(`${baseUrl}/`);
  await page.fill('#devuser', user);
  await page.click('#devsignin');
  await page.getByRole('heading', { name: 'Your rooms' }).waitFor();
  page.user = user;
  return page;
}

export async function cameraAsked(page) {
  await page.waitForFunction(() => window.__camera && window.__camera.asked);
}

export async function releaseCamera(page) {
  await page.evaluate(() => window.__camera.release());
}

/** The host creates a room in the console; resolves to its roomId. */
export async function createRoom(page, name, { waitingRoom = false, requireHost = false } = {}) {
  await page.fill('#f-name', name);
  if (waitingRoom) await page.check('#f-waiting');
  if (requireHost) await page.check('#f-requirehost');
  await page.click('#f-submit');
  await page.waitForURL(/#\/room\/rm_/);
  return /#\/room\/(rm_[^/?]+)/.exec(page.url())[1];
}

/** Opens the room page and clicks "Join call". */
export async function join(page, baseUrl, roomId, { relayOnly = false } = {}) {
  await page.goto(`${baseUrl}/#/room/${roomId}`);
  await page.locator('#join').waitFor();
  if (relayOnly) await page.check('#relayonly');
  await page.click('#join');
}

async function peerStats(page) {
  return page.evaluate(() => (window.dpa.call ? window.dpa.call.mesh.peerStats() : {}));
}

function describe(pages, before, after) {
  const lines = [];
  for (const page of pages) {
    for (const other of pages) {
      if (other === page) continue;
      const a = before[page.user][other.user];
      const b = after[page.user][other.user];
      lines.push(`  ${page.user} <- ${other.user}: ${b ? `gen ${b.gen} ${b.state} frames ${a && a.gen === b.gen ? a.framesDecoded : '-'} -> ${b.framesDecoded}` : 'no connection'}`);
    }
  }
  return lines.join('\n');
}

/**
 * Waits (at most ms) until, on every page, video frames decoded from every
 * other page grow between two samples about a second apart on the same
 * connection. `renewed: {since, users}`: the pairs that involve one of
 * `users` must be on connections other than those in the earlier sample
 * `since` (the old ones must not count). Resolves to the last sample; fails
 * with every pair's counts.
 */
export async function videoFlows(pages, ms, what, { renewed = null } = {}) {
  const deadline = Date.now() + ms;
  const sample = async () => Object.fromEntries(await Promise.all(pages.map(async (p) => [p.user, await peerStats(p)])));
  const isNew = (u, v, b) => !renewed || !(renewed.users.includes(u) || renewed.users.includes(v))
    || !renewed.since[u][v] || renewed.since[u][v].gen !== b.gen;
  for (;;) {
    const before = await sample();
    await sleep(1000);
    const after = await sample();
    const ok = pages.every((page) => pages.every((other) => {
      if (other === page) return true;
      const a = before[page.user][other.user];
      const b = after[page.user][other.user];
      return a && b && a.gen === b.gen && b.framesDecoded > a.framesDecoded && isNew(page.user, other.user, b);
    }));
    if (ok) return after;
    if (Date.now() > deadline) {
      assert.fail(`${what}: video is not flowing between every pair${renewed ? ' on new connections' : ''} within ${ms / 1000} s\n${describe(pages, before, after)}`);
    }
  }
}

/** The server's participant list of a room (via a page's own client). */
export async function participantsOf(page, roomId) {
  return page.evaluate(async (id) => {
    const room = await window.dpa.client.getRoom(id);
    return room.call ? room.call.participants.map((p) => p.userId).sort() : [];
  }, roomId);
}

/** The callId of the call a page's console is in (null outside a call). */
export async function callIdOf(page) {
  return page.evaluate(() => (window.dpa.call ? window.dpa.call.callId : null));
}

/**
 * Which process of a cluster (tests/integration/cluster.mjs) serves each
 * page: the node whose URL the page was opened at. Resolves to the node
 * ids, in the order of pages.
 */
export async function nodesOf(pages, nodes) {
  return Promise.all(pages.map(async (page) => {
    const origin = new URL(page.url()).origin;
    const node = nodes.find((n) => n.url === origin);
    assert.ok(node, `${page.user}'s page is on none of the cluster's processes (${origin})`);
    return (await (await fetch(`${node.url}/healthz`)).json()).node;
  }));
}
