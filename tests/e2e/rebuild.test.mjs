// Peer connections rebuilt while signaling is up: what MeshCall does when a
// connection does not come back after an ICE restart (the rebuild timer
// firing is simulated by calling the mesh's own _rebuild). The offering side
// rebuilding alone, and both sides rebuilding at the same moment (a glare of
// new generations): either way both ends end up on one new pair of
// connections and video flows again within 10 s.
import { test, after, before } from 'node:test';
import { startServer } from '../integration/helpers.mjs';
import { createRoom, join, launchBrowser, signedIn, videoFlows } from './lib.mjs';

let srv, browser;
before(async () => {
  srv = await startServer({ args: ['--dev'] });
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  await srv.stop();
});

const rebuild = (page, other) => page.evaluate((u) => {
  const { mesh } = window.dpa.call;
  mesh._rebuild(mesh.peers.get(u));
}, other);

test('a rebuilt connection, on one side or on both at once, carries video again', async () => {
  const ava = await signedIn(browser, srv.url, 'ava'); // offers first
  const roomId = await createRoom(ava, 'rebuild');
  await ava.click('#join');
  await ava.locator('#tiles').waitFor();
  const max = await signedIn(browser, srv.url, 'max');
  await join(max, srv.url, roomId);
  await max.locator('#tiles').waitFor();
  const pages = [ava, max];
  const first = await videoFlows(pages, 30000, 'at first');

  await rebuild(ava, 'max');
  const second = await videoFlows(pages, 10000, 'after the offering side rebuilt', { renewed: { since: first, users: ['ava', 'max'] } });

  await Promise.all([rebuild(ava, 'max'), rebuild(max, 'ava')]);
  await videoFlows(pages, 10000, 'after both sides rebuilt at once', { renewed: { since: second, users: ['ava', 'max'] } });
});
