// A peer offline longer than the server's WebSocket grace: its console is
// served through a TCP proxy that the test cuts (every connection dropped,
// new ones refused) until the server has counted it as gone, then restores.
// Its SDK authenticates and joins again (SDK_REJOINED), its console says so
// in words, and video flows both ways again within 10 s, on new peer
// connections (the others closed theirs when it left).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/helpers.mjs';
import {
  createRoom, join, launchBrowser, participantsOf, signedIn, sleep, tcpProxy, videoFlows,
} from './lib.mjs';

const GRACE_MS = 3000;
let srv, browser, proxy;
before(async () => {
  srv = await startServer({ args: ['--dev', '--ws-grace-ms', String(GRACE_MS)] });
  proxy = await tcpProxy(srv.port);
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  if (proxy) await proxy.close();
  await srv.stop();
});

test('a peer cut off longer than the grace comes back and video flows again within 10 s', async () => {
  const amy = await signedIn(browser, srv.url, 'amy');
  const roomId = await createRoom(amy, 'offline');
  await amy.click('#join');
  await amy.locator('#tiles').waitFor();
  // kai sits between the two others: polite toward amy, the offerer toward zoe.
  const kai = await signedIn(browser, proxy.url, 'kai');
  const zoe = await signedIn(browser, srv.url, 'zoe');
  for (const p of [kai, zoe]) {
    await join(p, p === kai ? proxy.url : srv.url, roomId);
    await p.locator('#tiles').waitFor();
  }
  const first = await videoFlows([amy, kai, zoe], 30000, 'before the cut');
  const callId = await kai.evaluate(() => window.dpa.call.callId);

  await proxy.cut();
  await kai.locator('#status').getByText('reconnecting').waitFor();
  // Past the grace the server drops kai from the call; the others see it leave.
  const t0 = Date.now();
  while ((await participantsOf(amy, roomId)).includes('kai')) {
    assert.ok(Date.now() - t0 < GRACE_MS + 10000, 'the server still lists kai long after the grace');
    await sleep(250);
  }
  await amy.locator('#people').getByText('People (2)').waitFor();
  await sleep(1000); // well past the grace

  await proxy.restore();
  const restored = Date.now();
  const back = await videoFlows([amy, kai, zoe], 10000, 'after the network came back', { renewed: { since: first, users: ['kai'] } });
  console.log(`# video flowing everywhere ${((Date.now() - restored) / 1000).toFixed(1)} s after the network came back`);
  await kai.locator('#status').getByText('you are back in the call').waitFor({ timeout: 1000 });
  assert.deepEqual(await participantsOf(amy, roomId), ['amy', 'kai', 'zoe']);
  assert.equal(await kai.evaluate(() => window.dpa.call.callId), callId, 'the call went on: same callId');
  assert.equal(back.amy.zoe.gen, first.amy.zoe.gen, 'amy and zoe kept their connection');
});
