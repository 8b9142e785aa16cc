// Relay only: coturn on loopback (started by the test: free port, random
// secret, temporary directory, pid file; stopped at the end) and droponaird
// with --turn and --turn-secret. Three consoles join with "Relay media
// through TURN only" (iceTransportPolicy 'relay') and the credentials
// droponaird minted for each of them: video flows between all three and
// every selected candidate pair is relayed. A forged or an expired
// credential gets no allocation: no relay candidate, an icecandidateerror.
// Then coturn restarts mid-call (its allocations are gone): the connections
// fail, the offering side restarts ICE, and video flows again on the same
// connections.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from '../integration/helpers.mjs';
import { freePort, startCoturn, turnCredential } from '../integration/coturn.mjs';
import {
  createRoom, join, launchBrowser, signedIn, videoFlows,
} from './lib.mjs';

let turn, srv, browser;
const turnDir = tempDir();
before(async () => {
  turn = await startCoturn({ port: await freePort(), dir: turnDir });
  srv = await startServer({ args: ['--dev', '--turn', turn.url, '--turn-secret', turn.secret] });
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  if (turn) await turn.stop();
});

/** Gathers candidates in the page with relay policy; {relay, errors}. */
function gather(page, iceServers) {
  return page.evaluate(async (servers) => {
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
    const candidates = [];
    const errors = [];
    pc.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) candidates.push(e.candidate.candidate); };
    pc.onicecandidateerror = (e) => errors.push(`${e.errorCode} ${e.errorText}`);
    pc.createDataChannel('probe');
    await pc.setLocalDescription();
    const complete = await new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 20000);
      const check = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(true); } };
      pc.onicegatheringstatechange = check;
      check();
    });
    pc.close();
    return { complete, relay: candidates.filter((c) => / typ relay /.test(c)).length, errors };
  }, iceServers);
}

test('relay only: three peers through coturn with minted credentials; forged and expired ones get nothing; coturn restarts and ICE restarts', async () => {
  const pages = [];
  const ida = await signedIn(browser, srv.url, 'ida');
  const roomId = await createRoom(ida, 'relay');
  pages.push(ida);
  for (const user of ['jon', 'kit']) pages.push(await signedIn(browser, srv.url, user));
  for (const p of pages) {
    await join(p, srv.url, roomId, { relayOnly: true });
    await p.locator('#tiles').waitFor();
  }
  // Each console uses what droponaird minted for its user, from the roster.
  for (const p of pages) {
    const servers = await p.evaluate((id) => window.dpa.client.getCall(id).iceServers, roomId);
    assert.equal(servers.length, 1);
    assert.deepEqual(servers[0].urls, [turn.url]);
    assert.equal(servers[0].username.split(':')[2], p.user);
    assert.equal(servers[0].credential, turnCredential(turn.secret, servers[0].username));
  }

  const stats = await videoFlows(pages, 30000, 'relay only');
  for (const p of pages) {
    for (const [other, s] of Object.entries(stats[p.user])) {
      assert.equal(s.localCandidateType, 'relay', `${p.user} -> ${other}: ${JSON.stringify(s)}`);
      assert.equal(s.remoteCandidateType, 'relay', `${p.user} -> ${other}: ${JSON.stringify(s)}`);
    }
  }

  // The same gathering with the real credential gets a relay candidate ...
  const minted = (await ida.evaluate(() => window.dpa.client.getIceServers())).iceServers;
  const good = await gather(ida, minted);
  assert.ok(good.relay > 0, `no relay candidate with the minted credential: ${JSON.stringify(good)}`);
  // ... a forged one (right name, wrong password) and an expired one (right HMAC) get none.
  const [, appId] = minted[0].username.split(':');
  const forged = [{ urls: minted[0].urls, username: minted[0].username, credential: turnCredential('not-the-secret', minted[0].username) }];
  const past = `${Math.floor(Date.now() / 1000) - 3600}:${appId}:ida`;
  const expired = [{ urls: minted[0].urls, username: past, credential: turnCredential(turn.secret, past) }];
  for (const [what, servers] of [['forged', forged], ['expired', expired]]) {
    const r = await gather(ida, servers);
    assert.equal(r.relay, 0, `${what} credential got a relay candidate: ${JSON.stringify(r)}`);
    assert.ok(r.errors.some((e) => e.startsWith('401')), `${what} credential: no 401 icecandidateerror: ${JSON.stringify(r)}`);
  }

  // coturn restarts: every relayed connection loses its allocation.
  await turn.kill();
  turn = await startCoturn({ port: turn.port, secret: turn.secret, dir: turnDir });
  const restarted = Date.now();
  // The connections notice (ICE consent fails) ...
  for (const p of pages) {
    await p.waitForFunction(async () => Object.values(await window.dpa.call.mesh.peerStats())
      .some((s) => s.state === 'disconnected' || s.state === 'failed'), null, { timeout: 30000, polling: 250 });
  }
  // ... and the ICE restart brings them back: the same connections (same gen), relayed again.
  const again = await videoFlows(pages, 30000, 'after coturn restarted');
  console.log(`# video flowing everywhere ${((Date.now() - restarted) / 1000).toFixed(1)} s after coturn restarted`);
  for (const p of pages) {
    for (const [other, s] of Object.entries(again[p.user])) {
      assert.equal(s.gen, stats[p.user][other].gen, `${p.user} -> ${other} was rebuilt, not restarted`);
      assert.equal(s.localCandidateType, 'relay');
    }
  }
});
