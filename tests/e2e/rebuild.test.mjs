// Peer connections rebuilt while signaling is up: what MeshCall does when a
// connection does not come back after an ICE restart (the rebuild timers
// firing are simulated by calling the mesh's own _rebuild). The offering
// side rebuilding alone, the answering side alone (it asks for a new offer),
// and both at the same moment (a glare of new generations): each time both
// ends settle on one new pair of connections and video flows again within
// 10 s.
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

  await rebuild(max, 'ava');
  await videoFlows(pages, 10000, 'after the answering side rebuilt', { renewed: { since: second, users: ['ava', 'max'] } });

  for (let i = 0; i < 3; i++) { // the two can land in either order
    const since = await videoFlows(pages, 10000, 'before both rebuild');
    await Promise.all([rebuild(ava, 'max'), rebuild(max, 'ava')]);
    await videoFlows(pages, 10000, `after both sides rebuilt at once (${i + 1})`, { renewed: { since, users: ['ava', 'max'] } });
  }

});
