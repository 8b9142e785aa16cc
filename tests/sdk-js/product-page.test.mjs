// The product page's sample runs unchanged against a dev server, with the SDK.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { CheckedWebSocket as WebSocket } from '../integration/helpers.mjs';
import { DropOnAirClient, VERSION } from '../../sdk/js/src/index.js';
import { createApp, startServer, tokenFor } from '../integration/helpers.mjs';

let srv, app;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

const newClient = (user) => new DropOnAirClient({ baseUrl: srv.url, token: tokenFor(app, user, { name: user }), WebSocket });

test('createRoom -> joinRoom -> sendGroupCallSignal, as on the product page', async () => {
  assert.equal(VERSION, '0.14.0');
  const client = newClient('alice');
  const peer = newClient('bob');
  const info = await client.getInfo();
  assert.ok(info.features.includes('scheduled_rooms'));

  // --- the product page's code, verbatim but for peerUserId and sdp ---
  const peerUserId = 'bob';
  const sdp = { type: 'offer', sdp: 'v=0\r\n' };

  const room = await client.createRoom({
    name: 'Weekly sync',
    scheduledStartAt: Date.now() + 3_600_000,   // metadata only
    policy: { waitingRoom: true, requireHost: true },
  });

  const callId = await client.joinRoom(room.roomId);
  // bob is admitted so the signal has someone to reach.
  assert.equal(await peer.joinRoom(room.roomId), 'WAITING_ROOM_PENDING');
  const got = new Promise((resolve) => peer.onGroupCallEvent((ev) => { if (ev.type === 'GROUP_CALL_SDP_OFFER') resolve(ev); }));
  const admitted = new Promise((resolve) => peer.onGroupCallEvent((ev) => { if (ev.type === 'GROUP_CALL_ADMITTED') resolve(ev); }));
  assert.deepEqual(await client.admit(room.roomId, 'bob'), ['bob']);
  assert.equal((await admitted).callId, callId);
  client.sendGroupCallSignal('GROUP_CALL_SDP_OFFER', callId, '', peerUserId, sdp);
  // --- end of the sample ---

  assert.match(callId, /^call_/);
  const ev = await got;
  assert.equal(ev.from, 'alice');
  assert.deepEqual(ev.payload, sdp);
  assert.equal(ev.roomId, room.roomId);
  assert.equal(ev.groupId, '');
  client.close();
  peer.close();
});
