// End to end in headless Chromium: three people join one room through the
// web app, two wait and are admitted by the host in the UI, and on every
// page the video decoded from each of the two others keeps growing.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { root, startServer } from '../integration/helpers.mjs';
import { createRoom, join, launchBrowser, participantsOf, signedIn, videoFlows } from './lib.mjs';

let srv, browser;
before(async () => {
  srv = await startServer({ args: ['--dev'] });
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  await srv.stop();
});

test('three peers, a waiting room and an admission through the UI, video everywhere', async () => {
  const hank = await signedIn(browser, srv.url, 'hank');
  const roomId = await createRoom(hank, 'E2E sync', { waitingRoom: true });
  await hank.click('#join');
  await hank.locator('#tiles').waitFor();

  const guests = [];
  for (const user of ['amy', 'ben']) {
    const page = await signedIn(browser, srv.url, user);
    await join(page, srv.url, roomId);
    await page.locator('#waiting').waitFor(); // held in the waiting room
    const admit = hank.locator(`#waitlist li[data-user="${user}"] button.admit`);
    await admit.click();
    await page.locator('#tiles').waitFor();
    guests.push(page);
  }

  const [amy, ben] = guests;
  await videoFlows([hank, amy, ben], 30000, 'after the admissions');

  // Every page shows its own tile and the two others'.
  for (const page of [hank, amy, ben]) {
    assert.ok(await page.locator('#tiles .tile').count() >= 3);
  }
  const dir = joinPath(root, 'tests', 'e2e', 'artifacts');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  await hank.screenshot({ path: joinPath(dir, 'call.png') });

  // The server agrees: three in the call.
  assert.deepEqual(await participantsOf(hank, roomId), ['amy', 'ben', 'hank']);
  await amy.click('#leave');
  await hank.locator('#people').getByText('People (2)').waitFor({ timeout: 10000 });
  assert.deepEqual(await participantsOf(hank, roomId), ['ben', 'hank']);
});
