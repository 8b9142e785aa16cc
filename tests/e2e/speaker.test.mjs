// The active speaker, from real audio levels: two Chromium instances whose
// fake microphones play generated WAV files, one a tone spoken in
// syllables (talkers), the other silence. ann and cat talk (cat joins with
// the microphone off from the pre-join screen), bob is silent. On every
// page the highlight goes to ann; when ann mutes and cat unmutes, it moves
// to cat. Each wait is on the condition itself with a generous bound (a
// busy machine only makes it slower), and a failure prints every page's
// levels. Then a screen shared by ann is shown large on bob's page, above
// the tiles, and goes away when she stops.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { startServer, tempDir } from '../integration/helpers.mjs';
import {
  createRoom, join, launchBrowser, screenshots, signedIn, videoFlows,
} from './lib.mjs';

const RATE = 48000;

/** A mono 16-bit PCM WAV of `seconds`, sample(t) in [-1, 1]. Chromium loops it. */
function writeWav(path, seconds, sample) {
  const n = Math.round(RATE * seconds);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(RATE, 24);
  buf.writeUInt32LE(RATE * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(32767 * Math.max(-1, Math.min(1, sample(i / RATE)))), 44 + i * 2);
  writeFileSync(path, buf);
}

/**
 * A 220 Hz tone with two harmonics in 250 ms syllables and 150 ms gaps
 * (ramped): it reads as speech to the browser's noise suppression, which
 * would fade a steady tone.
 */
function syllables(t) {
  const p = t % 0.4;
  const env = p < 0.25 ? Math.min(1, p / 0.02, (0.25 - p) / 0.02) : 0;
  const w = 2 * Math.PI * 220 * t;
  return 0.45 * env * (Math.sin(w) + 0.5 * Math.sin(2 * w) + 0.25 * Math.sin(3 * w)) / 1.75;
}

let srv, talking, silent;
const dir = tempDir();
before(async () => {
  const tone = joinPath(dir, 'talk.wav');
  const quiet = joinPath(dir, 'silence.wav');
  writeWav(tone, 2, syllables);
  writeWav(quiet, 1, () => 0);
  srv = await startServer({ args: ['--dev'] });
  talking = await launchBrowser({ args: [`--use-file-for-fake-audio-capture=${tone}`] });
  silent = await launchBrowser({ args: [`--use-file-for-fake-audio-capture=${quiet}`] });
});
after(async () => {
  for (const b of [talking, silent]) if (b) await b.close();
  await srv.stop();
});

/** The users whose tile is highlighted on page. */
const highlighted = (page) => page.$$eval('#tiles .tile.speaking', (ts) => ts.map((t) => t.dataset.user));

/** Waits (at most ms) until `user`'s tile, and only theirs, is highlighted on every page. */
async function speakerIs(pages, user, ms, what) {
  try {
    await Promise.all(pages.map((p) => p.waitForFunction((u) => {
      const on = [...document.querySelectorAll('#tiles .tile.speaking')].map((t) => t.dataset.user);
      return on.length === 1 && on[0] === u;
    }, user, { timeout: ms, polling: 100 })));
  } catch (err) {
    const seen = await Promise.all(pages.map(async (p) => `  ${p.user}: highlighted ${JSON.stringify(await highlighted(p))}, levels ${
      JSON.stringify(await p.evaluate(() => (window.dpa.call ? window.dpa.call.levels.levels() : null)))}`));
    assert.fail(`${what}: ${user} is not the one highlighted on every page within ${ms / 1000} s (${err.message.split('\n')[0]})\n${seen.join('\n')}`);
  }
}

test('the active-speaker highlight follows who talks, from audio levels', async () => {
  const ann = await signedIn(talking, srv.url, 'ann');
  const roomId = await createRoom(ann, 'Who is talking');
  await ann.click('#join');
  await ann.locator('#tiles').waitFor();
  const bob = await signedIn(silent, srv.url, 'bob');
  await join(bob, srv.url, roomId);
  await bob.locator('#tiles').waitFor();
  // cat talks too, but joins with the microphone turned off on the pre-join screen.
  const cat = await signedIn(talking, srv.url, 'cat');
  await cat.goto(`${srv.url}/#/room/${roomId}`);
  await cat.locator('#pre-mic').click();
  await cat.locator('#pre-mic[aria-pressed="true"]').waitFor();
  await cat.click('#join');
  await cat.locator('#tiles').waitFor();
  const pages = [ann, bob, cat];
  await videoFlows(pages, 30000, 'before listening');

  // ann talks: her tile is the one highlighted, on her page (her own level) and the others'.
  await speakerIs(pages, 'ann', 30000, 'ann talking, cat muted, bob silent');
  for (const p of pages) await p.locator('#tiles .tile[data-user="cat"] .badge.mic-off').waitFor({ timeout: 10000 });
  assert.equal(await cat.locator('#mic').getAttribute('aria-pressed'), 'true', 'cat is muted in the call as chosen');
  await screenshots(bob, 'call-speaker');

  // ann mutes, cat unmutes: the highlight moves to cat.
  await ann.click('#mic');
  await cat.click('#mic');
  await speakerIs(pages, 'cat', 30000, 'cat talking, ann muted');
  for (const p of pages) {
    await p.locator('#tiles .tile[data-user="ann"] .badge.mic-off').waitFor({ timeout: 10000 });
    assert.equal(await p.locator('#tiles .tile[data-user="cat"] .badge.mic-off').count(), 0, `${p.user} still shows cat muted`);
  }
  for (const p of pages) await p.context().close();
});

test('a shared screen is shown large, above the tiles, and goes away when sharing stops', async () => {
  const ann = await signedIn(talking, srv.url, 'ann');
  const roomId = await createRoom(ann, 'Show and tell');
  await ann.click('#join');
  await ann.locator('#tiles').waitFor();
  const bob = await signedIn(silent, srv.url, 'bob');
  await join(bob, srv.url, roomId);
  await bob.locator('#tiles').waitFor();
  await videoFlows([ann, bob], 30000, 'before sharing');
  assert.equal(await ann.isVisible('#endcall'), true, 'the host can end the call for all');
  assert.equal(await bob.isVisible('#endcall'), false, 'a participant cannot');

  await ann.click('#share');
  await ann.locator('#share').getByText('Stop sharing').waitFor();
  const screen = bob.locator('#stage .tile.screen[data-user="ann"]');
  await screen.waitFor({ timeout: 30000 });
  await bob.waitForFunction(() => {
    const v = document.querySelector('#stage .tile.screen video');
    return v && v.videoWidth > 0 && v.currentTime > 0;
  }, null, { timeout: 30000 });
  // ann's camera stays a tile of its own; the screen is wider than any tile.
  assert.equal(await bob.locator('#tiles .tile[data-user="ann"]').count(), 1);
  const big = await screen.boundingBox();
  for (const t of await bob.locator('#tiles .tile').all()) {
    const box = await t.boundingBox();
    assert.ok(big.width > 2 * box.width, `the screen (${big.width} px) is not much wider than a tile (${box.width} px)`);
    assert.ok(big.y < box.y, 'the screen is above the tiles');
  }
  await bob.locator('#toasts').getByText('ann is sharing their screen.').waitFor();
  await screenshots(bob, 'call-screen-share');

  await ann.click('#share');
  await bob.locator('#stage').waitFor({ state: 'hidden', timeout: 30000 });
  assert.equal(await bob.locator('#stage .tile').count(), 0);
  for (const p of [ann, bob]) await p.context().close();
});
