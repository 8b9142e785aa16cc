// The console's own screens in headless Chromium with fake devices: the
// pre-join preview and its camera and microphone pickers (the call uses
// what was picked), an invite link that opens the room for someone not yet
// signed in, a full room and the other outcomes told in sentences with no
// stale status, and the Subscription page (plan, features, limits, usage),
// the favicon and a room without a schedule. Screenshots of each screen at
// 390 and 1280 px wide go to tests/e2e/artifacts/.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/helpers.mjs';
import {
  createRoom, join, launchBrowser, screenshots, signedIn, videoFlows,
} from './lib.mjs';

let srv, browser, twoCameras;
before(async () => {
  srv = await startServer({ args: ['--dev'] });
  browser = await launchBrowser();
  twoCameras = await launchBrowser({ args: ['--use-fake-device-for-media-stream=device-count=2'] });
});
after(async () => {
  if (browser) await browser.close();
  if (twoCameras) await twoCameras.close();
  await srv.stop();
});

/** The preview's (or the call's) track of a kind, as {deviceId, state}. */
const previewTrack = (page, kind) => page.evaluate((k) => {
  const v = document.querySelector('#preview');
  const t = v && v.srcObject && v.srcObject.getTracks().find((x) => x.kind === k);
  return t ? { deviceId: t.getSettings().deviceId, state: t.readyState } : null;
}, kind);

test('pre-join: a live camera preview, camera and microphone pickers, and the call uses what was picked', async () => {
  const pia = await signedIn(twoCameras, srv.url, 'pia');
  const roomId = await createRoom(pia, 'Pre-join');
  // The room's page is the pre-join screen: the preview plays the fake camera.
  await pia.waitForFunction(() => {
    const v = document.querySelector('#preview');
    return v && v.videoWidth > 0 && !v.paused && v.currentTime > 0.3;
  }, null, { timeout: 20000 });
  const cams = await pia.$$eval('#camera-select option', (os) => os.map((o) => ({ value: o.value, label: o.textContent })));
  const mics = await pia.$$eval('#mic-select option', (os) => os.map((o) => ({ value: o.value, label: o.textContent })));
  assert.deepEqual(cams.map((c) => c.label), ['fake_device_0', 'fake_device_1'], 'the two fake cameras, by name');
  assert.ok(mics.length >= 2 && mics.every((m) => m.label.startsWith('Fake')), `microphones by name: ${JSON.stringify(mics)}`);
  assert.equal((await previewTrack(pia, 'video')).deviceId, cams[0].value, 'the first camera is previewed first');

  // Another camera and another microphone: the preview switches to them.
  const mic = mics.find((m) => m.value !== 'default') || mics[1];
  await pia.selectOption('#camera-select', cams[1].value);
  await pia.waitForFunction((id) => {
    const t = document.querySelector('#preview').srcObject?.getVideoTracks()[0];
    return t && t.readyState === 'live' && t.getSettings().deviceId === id;
  }, cams[1].value, { timeout: 20000 });
  await pia.selectOption('#mic-select', mic.value);
  await pia.waitForFunction((id) => {
    const t = document.querySelector('#preview').srcObject?.getAudioTracks()[0];
    return t && t.readyState === 'live' && t.getSettings().deviceId === id;
  }, mic.value, { timeout: 20000 });
  assert.equal(await pia.inputValue('#camera-select'), cams[1].value);

  // The camera can be turned off before joining (the preview says so), and on again.
  await pia.click('#pre-cam');
  await pia.locator('#preview-tile.cam-off').waitFor();
  await pia.click('#pre-cam');
  await pia.locator('#preview-tile:not(.cam-off)').waitFor();
  await screenshots(pia, 'prejoin');

  await pia.click('#join');
  await pia.locator('#tiles .tile[data-user="pia"] video').waitFor();
  const used = await pia.evaluate(() => Object.fromEntries(window.dpa.call.local.getTracks()
    .map((t) => [t.kind, { deviceId: t.getSettings().deviceId, state: t.readyState }])));
  assert.deepEqual(used, { video: { deviceId: cams[1].value, state: 'live' }, audio: { deviceId: mic.value, state: 'live' } },
    'the call sends the camera and microphone picked on the pre-join screen');
  assert.equal(await pia.evaluate(() => window.dpa.call.mesh.localStream === window.dpa.call.local), true);
  await pia.click('#leave');
  await pia.locator('#left').getByText('You left the call.').waitFor();
  assert.equal(await pia.evaluate(() => window.dpa.call), null);
  assert.ok(roomId);
  await pia.context().close();
});

test('an invite link opens the room in the console, through sign-in, and its guest joins the call', async () => {
  const clip = { permissions: ['clipboard-read', 'clipboard-write'] };
  const hana = await signedIn(browser, srv.url, 'hana', clip);
  const roomId = await createRoom(hana, 'Invited');
  await hana.click('#copy-invite');
  await hana.locator('.copied').getByText('Copied').waitFor();
  const link = await hana.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, `${srv.url}/#/room/${roomId}`);
  await hana.click('#join');
  await hana.locator('#tiles').waitFor();
  // The call page's Invite button copies the same link.
  await hana.evaluate(() => navigator.clipboard.writeText(''));
  await hana.click('#invite-call');
  await hana.locator('#toasts').getByText('Invite link copied').waitFor();
  assert.equal(await hana.evaluate(() => navigator.clipboard.readText()), link);

  // Someone not signed in opens the link: sign-in first, then that room's pre-join screen.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const ivy = await ctx.newPage();
  ivy.user = 'ivy';
  await ivy.goto(link);
  await ivy.getByRole('heading', { name: 'Sign in to join the call' }).waitFor();
  await screenshots(ivy, 'invite-signin');
  await ivy.fill('#devuser', 'ivy');
  await ivy.click('#devsignin');
  await ivy.locator('#prejoin h1').getByText('Invited').waitFor();
  assert.equal(ivy.url(), link, 'still at the invite link');
  await ivy.locator('#room-live').getByText('hana is in the call.').waitFor({ timeout: 10000 });
  await ivy.click('#join');
  await ivy.locator('#tiles').waitFor();
  await videoFlows([hana, ivy], 30000, 'after joining through the invite link');
  await hana.locator('#people').getByText('People (2)').waitFor();
  for (const p of [hana, ivy]) await p.context().close();
});

test('a full room, a host muting and ending the call: sentences, never codes, and no stale status', async () => {
  const fay = await signedIn(browser, srv.url, 'fay');
  await fay.fill('#f-max', '2');
  const roomId = await createRoom(fay, 'Two at most');
  await fay.click('#join');
  await fay.locator('#tiles').waitFor();
  const gus = await signedIn(browser, srv.url, 'gus');
  await join(gus, srv.url, roomId);
  await gus.locator('#tiles').waitFor();

  // A third person is told the call is full, in words, and stays on the pre-join screen.
  const hal = await signedIn(browser, srv.url, 'hal');
  await join(hal, srv.url, roomId);
  const full = hal.locator('#status.error');
  await full.getByText('This call is full: this room takes at most 2 people at once.').waitFor();
  assert.doesNotMatch(await full.textContent(), /[A-Z]{2,}_[A-Z_]+/, 'no protocol code shown');
  assert.equal(await hal.isEnabled('#join'), true, 'Join can be tried again');
  assert.equal(await hal.locator('#tiles').count(), 0);
  await screenshots(hal, 'room-full');

  // The host turns gus's microphone off: gus is told who did it, and everyone sees the badge.
  await fay.locator('#people li[data-user="gus"] button', { hasText: 'Mute' }).click();
  await gus.locator('#toasts').getByText('fay turned off your microphone.').waitFor();
  await gus.locator('#mic').getByText('Unmute').waitFor();
  await fay.locator('#tiles .tile[data-user="gus"] .badge.mic-off').waitFor();
  await gus.locator('#tiles .tile[data-user="gus"] .badge.mic-off').waitFor();

  // The host ends the call: gus reads why, and nothing from the call is left on screen.
  await fay.click('#endcall');
  await gus.locator('#left h1').getByText('The host ended the call for everyone.').waitFor();
  assert.equal(await gus.textContent('#status'), '', 'no status left over from the call');
  assert.equal(await gus.locator('#toasts .toast').count(), 0, 'no notice left over from the call');
  await fay.locator('#left h1').getByText('The host ended the call for everyone.').waitFor();

  // hal tries again and gets in: the full-room sentence is gone.
  await hal.click('#join');
  await hal.locator('#tiles').waitFor();
  assert.equal(await hal.textContent('#status'), '');
  await hal.click('#leave');
  await hal.locator('#left h1').getByText('You left the call.').waitFor();
  assert.equal(await hal.textContent('#status'), '');
  for (const p of [fay, gus, hal]) await p.context().close();
});

test('Subscription page: plan, features, limits and rooms used; a favicon; no empty schedule', async () => {
  const ola = await signedIn(browser, srv.url, 'ola');
  const missing = [];
  ola.on('response', (r) => { if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`); });
  await ola.reload();
  await ola.getByRole('heading', { name: 'Your rooms' }).waitFor();

  // A room without a schedule shows none (no "— – —").
  await createRoom(ola, 'Unscheduled');
  await ola.locator('#prejoin h1').getByText('Unscheduled').waitFor();
  assert.equal(await ola.locator('#schedule').count(), 0);
  assert.doesNotMatch(await ola.textContent('#prejoin'), /—|Schedule|Starts |Ends /);
  // One with a start shows it in words.
  await ola.goto(`${srv.url}/#/`);
  await ola.getByRole('heading', { name: 'Your rooms' }).waitFor();
  await ola.fill('#f-start', '2030-01-02T10:00');
  await createRoom(ola, 'Scheduled');
  await ola.locator('#schedule').getByText(/^Starts /).waitFor();
  await ola.goto(`${srv.url}/#/`);
  await ola.locator('#rooms li', { hasText: 'Scheduled' }).locator('.when').getByText(/^Starts /).waitFor();
  assert.doesNotMatch(await ola.textContent('#rooms li:has-text("Unscheduled")'), /—|Starts|Ends/);
  await screenshots(ola, 'rooms');

  await ola.click('#nav a[data-page="app"]');
  await ola.getByRole('heading', { name: 'Subscription' }).waitFor();
  assert.equal(await ola.textContent('#plan-name'), 'Business');
  for (const f of ['scheduled_rooms', 'waiting_room', 'screen_share']) {
    await ola.locator(`#features li.on[data-feature="${f}"]`).getByText('Included').waitFor();
  }
  assert.match(await ola.textContent('#limit-rooms'), /^10,000 /);
  assert.match(await ola.textContent('#limit-participants'), /100/);
  // Rooms used counts the whole app (closed rooms too), as the server does:
  // this file's other tests made rooms as other users on the same dev app.
  const tok = (await (await fetch(`${srv.url}/api/dev/token?user=ola`)).json()).token;
  const usedByApp = (await (await fetch(`${srv.url}/api/info`, { headers: { authorization: `Bearer ${tok}` } })).json()).usage.rooms;
  assert.ok(usedByApp > 2, `the app has more rooms than ola's two: ${usedByApp}`);
  await ola.locator('#usage-rooms').getByText(`${usedByApp.toLocaleString('en-US')} of 10,000`).waitFor();
  assert.equal(await ola.evaluate(() => document.querySelector('#usage-meter').value), usedByApp);
  assert.match(await ola.textContent('#usage'), /\(2 rooms you created or host\)/);
  await screenshots(ola, 'subscription');

  // The icon is served from the binary; nothing the console loaded was missing.
  for (const path of ['/favicon.svg', '/favicon.ico']) {
    const r = await fetch(`${srv.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-type'), 'image/svg+xml');
    assert.match(await r.text(), /^<svg /);
  }
  assert.equal(await ola.evaluate(() => document.querySelector('link[rel="icon"]').href), `${srv.url}/favicon.svg`);
  assert.deepEqual(missing, [], 'every request of the console succeeded');
  await ola.context().close();
});
