// End to end in headless Chromium: three people join one room through the
// web app, one waits and is admitted by the host in the UI, and every page
// decodes video from the other two (getStats inbound-rtp framesDecoded > 0).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startServer } from '../integration/helpers.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--allow-loopback-in-peer-connection'];

let srv, browser;
before(async () => {
  srv = await startServer({ args: ['--dev'] });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});
after(async () => {
  if (browser) await browser.close();
  await srv.stop();
});

async function signedIn(user) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`[${user}] page error:`, e.message));
  await page.goto(`${srv.url}/`);
  await page.fill('#devuser', user);
  await page.click('#devsignin');
  await page.getByRole('heading', { name: 'Your rooms' }).waitFor();
  return page;
}

async function decodesFromAll(page, others) {
  const deadline = Date.now() + 60000;
  let frames = {};
  while (Date.now() < deadline) {
    frames = await page.evaluate(() => (window.dpa.call ? window.dpa.call.mesh.framesDecoded() : {}));
    if (others.every((u) => frames[u] > 0)) return frames;
    await page.waitForTimeout(500);
  }
  assert.fail(`frames decoded: ${JSON.stringify(frames)}`);
}

test('three peers, a waiting room and an admission through the UI, video everywhere', async () => {
  const hank = await signedIn('hank');
  await hank.fill('#f-name', 'E2E sync');
  await hank.check('#f-waiting');
  await hank.click('#f-submit');
  await hank.waitForURL(/#\/room\/rm_/);
  const roomId = /#\/room\/(rm_[^/?]+)/.exec(hank.url())[1];
  await hank.click('#join');
  await hank.locator('#tiles').waitFor();

  const guests = [];
  for (const user of ['amy', 'ben']) {
    const page = await signedIn(user);
    await page.goto(`${srv.url}/#/room/${roomId}`);
    await page.click('#join');
    await page.locator('#waiting').waitFor(); // held in the waiting room
    const admit = hank.locator(`#waitlist li[data-user="${user}"] button.admit`);
    await admit.click();
    await page.locator('#tiles').waitFor();
    guests.push(page);
  }

  const [amy, ben] = guests;
  const fh = await decodesFromAll(hank, ['amy', 'ben']);
  const fa = await decodesFromAll(amy, ['hank', 'ben']);
  const fb = await decodesFromAll(ben, ['hank', 'amy']);
  console.log(`# frames decoded: hank ${JSON.stringify(fh)} amy ${JSON.stringify(fa)} ben ${JSON.stringify(fb)}`);

  // Every page shows its own tile and the two others'.
  for (const page of [hank, amy, ben]) {
    assert.ok(await page.locator('#tiles .tile').count() >= 3);
  }
  const dir = join(root, 'tests', 'e2e', 'artifacts');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  await hank.screenshot({ path: join(dir, 'call.png') });

  // The server agrees: three in the call.
  const people = await hank.evaluate(async (id) => (await window.dpa.client.getRoom(id)).call.participantCount, roomId);
  assert.equal(people, 3);
  await amy.click('#leave');
  await hank.locator('#people').getByText('People (2)').waitFor({ timeout: 10000 });
});
