// The Chromium call of call.test.mjs on a cluster: three consoles, each
// opened at a different droponaird process of one cluster (shared
// PostgreSQL, Redis; tests/integration/cluster.mjs). The host on n0 opens
// the call and admits the two others, who wait through n1 and n2; everyone
// ends up in one call, and on every page the video decoded from each of the
// two others keeps growing. Needs call routing (docs/cluster.md); the same
// scenario with all three on one process runs first.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../integration/cluster.mjs';
import { callIdOf, createRoom, join, launchBrowser, nodesOf, participantsOf, signedIn, videoFlows } from './lib.mjs';

let cluster, browser;
before(async () => {
  cluster = await startCluster(null, { args: ['--dev'], plan: null });
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  if (cluster) await cluster.stop();
});

// Everyone on n0 (what one process does today), then one page per process.
for (const at of [[0, 0, 0], [0, 1, 2]]) {
  const where = at[1] === at[2] ? 'on one process' : 'on three processes';
  test(`three peers ${where}, a waiting room and admissions through the UI, video everywhere`, async () => {
    const [n0, n1, n2] = at.map((i) => cluster.nodes[i]);
    const hank = await signedIn(browser, n0.url, 'hank');
    const roomId = await createRoom(hank, `E2E cluster ${where}`, { waitingRoom: true });
    await hank.click('#join');
    await hank.locator('#tiles').waitFor();

    const guests = [];
    for (const [user, node] of [['amy', n1], ['ben', n2]]) {
      const page = await signedIn(browser, node.url, user);
      await join(page, node.url, roomId);
      await page.locator('#waiting').waitFor(); // held in the waiting room
      const admit = hank.locator(`#waitlist li[data-user="${user}"] button.admit`);
      await admit.click();
      await page.locator('#tiles').waitFor();
      guests.push(page);
    }
    const [amy, ben] = guests;
    const pages = [hank, amy, ben];
    assert.deepEqual(await nodesOf(pages, cluster.nodes), at.map((i) => `n${i}`));

    // One call, seen alike from every process.
    const callId = await callIdOf(hank);
    assert.match(callId, /^call_/);
    for (const page of pages) {
      assert.equal(await callIdOf(page), callId, `${page.user} is in hank's call`);
      await page.locator('#people').getByText('People (3)').waitFor({ timeout: 10000 });
      assert.deepEqual(await participantsOf(page, roomId), ['amy', 'ben', 'hank']);
    }

    await videoFlows(pages, 30000, 'after the admissions');
    for (const page of pages) assert.ok(await page.locator('#tiles .tile').count() >= 3);

    // amy leaves: hank and ben, each through their own process, see two people.
    await amy.click('#leave');
    for (const page of [hank, ben]) {
      await page.locator('#people').getByText('People (2)').waitFor({ timeout: 10000 });
      assert.deepEqual(await participantsOf(page, roomId), ['ben', 'hank']);
    }
    await videoFlows([hank, ben], 30000, 'after amy left');
    for (const page of pages) await page.context().close();
  });
}
