// "Require a host" in the console: the guest asks first (HOST_REQUIRED) and
// gets in by itself when the host arrives, with the guest's id below and
// above the host's (so either side makes the first offer). The guest's
// camera prompt is answered only after a third person joined and started
// negotiating with it: what arrived meanwhile (an arrival, an offer) is kept
// by the SDK's roster, and video flows between all three.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/helpers.mjs';
import {
  cameraAsked, createRoom, join, launchBrowser, participantsOf, releaseCamera, signedIn, videoFlows,
} from './lib.mjs';

let srv, browser;
before(async () => {
  srv = await startServer({ args: ['--dev'] });
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  await srv.stop();
});

// guest < host: the guest offers to the host; guest > host: the host offers.
// The third person (mia) is between them in both cases.
for (const [guestId, hostId] of [['abe', 'hugo'], ['zed', 'hugo']]) {
  test(`requireHost: ${guestId} asks before host ${hostId}, camera granted late; video between all three`, async () => {
    const host = await signedIn(browser, srv.url, hostId);
    const roomId = await createRoom(host, `host first ${guestId}`, { requireHost: true });
    const guest = await signedIn(browser, srv.url, guestId, { gateCamera: true });
    await join(guest, srv.url, roomId);
    await guest.locator('#waiting').getByText('A host needs to be here first').waitFor();
    assert.deepEqual(await participantsOf(host, roomId), []);

    await host.click('#join');
    await host.locator('#tiles').waitFor();
    // The guest is told a host arrived and joins by itself; its camera is still asking.
    await cameraAsked(guest);
    await host.locator('#people').getByText('People (2)').waitFor();

    const mia = await signedIn(browser, srv.url, 'mia');
    await join(mia, srv.url, roomId);
    await mia.locator('#tiles').waitFor();
    // mia's side of the pair exists (and, when mia < guest, has offered) before the guest's mesh does.
    await mia.waitForFunction((g) => window.dpa.call && window.dpa.call.mesh.peers.has(g), guestId);
    await host.waitForFunction((g) => window.dpa.call && window.dpa.call.mesh.peers.has(g), guestId);
    assert.deepEqual(await participantsOf(host, roomId), [guestId, hostId, 'mia'].sort());
    assert.equal(await guest.evaluate(() => window.dpa.call), null, 'no mesh yet: the camera is still asking');
    // The guest's SDK has the whole roster already, and keeps the offers made to it.
    await guest.waitForFunction((id) => window.dpa.client.getCall(id).participants.length === 3, roomId);
    if (guestId > 'mia') await guest.waitForFunction((id) => window.dpa.client.getCall(id).bufferedSignals >= 2, roomId);

    await releaseCamera(guest);
    await guest.locator('#tiles').waitFor();
    await videoFlows([host, guest, mia], 30000, `host ${hostId}, late guest ${guestId}, mia`);

    // mesh.leave() takes the guest off the server's list at once.
    const left = await guest.evaluate(async (id) => {
      await window.dpa.call.mesh.leave();
      const room = await window.dpa.client.getRoom(id);
      return room.call.participants.map((p) => p.userId).sort();
    }, roomId);
    assert.deepEqual(left, [hostId, 'mia'].sort());
    for (const p of [host, guest, mia]) await p.context().close();
  });
}
