// droponaird restarted mid-call (SIGTERM, then started again on the same
// port and database): every console rejoins — a new call, since a restart
// ends the live ones — follows the new callId, and decodes video from the
// others again. mesh.leave() then leaves the NEW call at once.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from '../integration/helpers.mjs';
import {
  createRoom, freePort, join, launchBrowser, participantsOf, signedIn, videoFlows,
} from './lib.mjs';

let srv, browser;
const dir = tempDir();
let port;
before(async () => {
  port = await freePort();
  srv = await startServer({ port, dir, args: ['--dev'] });
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

test('a server restart mid-call: everyone rejoins the new call and video flows again', async () => {
  const url = srv.url;
  const ann = await signedIn(browser, url, 'ann');
  const roomId = await createRoom(ann, 'restart');
  await ann.click('#join');
  await ann.locator('#tiles').waitFor();
  const pages = [ann];
  for (const user of ['bea', 'cid']) {
    const p = await signedIn(browser, url, user);
    await join(p, url, roomId);
    await p.locator('#tiles').waitFor();
    pages.push(p);
  }
  const first = await videoFlows(pages, 30000, 'before the restart');
  const oldCall = await ann.evaluate(() => window.dpa.call.callId);

  await srv.stop();
  srv = null;
  srv = await startServer({ port, dir, args: ['--dev'] });
  const started = Date.now();

  // The connections of before the restart still carry video (media is
  // peer-to-peer): only new ones, made after the rejoin, count.
  await videoFlows(pages, 10000, 'after the restart', { renewed: { since: first, users: ['ann', 'bea', 'cid'] } });
  console.log(`# video flowing everywhere ${((Date.now() - started) / 1000).toFixed(1)} s after the server came back`);
  const callIds = await Promise.all(pages.map((p) => p.evaluate(() => window.dpa.call.callId)));
  const server = await ann.evaluate(async (id) => (await window.dpa.client.getRoom(id)).call.callId, roomId);
  assert.notEqual(server, oldCall, 'a restart ends the call; the rejoin opens a new one');
  assert.deepEqual(callIds, [server, server, server], 'every mesh follows the new call');
  assert.deepEqual(await participantsOf(ann, roomId), ['ann', 'bea', 'cid']);
  for (const p of pages) await p.locator('#calltag').getByText(server).waitFor({ timeout: 1000 });

  // Leaving after the rejoin leaves the new call, acknowledged before leave() resolves.
  const bea = pages[1];
  const left = await bea.evaluate(async (id) => {
    await window.dpa.call.mesh.leave();
    const room = await window.dpa.client.getRoom(id);
    return room.call.participants.map((p) => p.userId).sort();
  }, roomId);
  assert.deepEqual(left, ['ann', 'cid']);
});
