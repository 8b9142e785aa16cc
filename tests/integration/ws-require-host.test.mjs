// requireHost: HOST_REQUIRED, then HOST_PRESENT when a host arrives, then join.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, startServer, tokenFor, WsClient } from './helpers.mjs';

let srv, app, roomId, host, guest;
before(async () => {
  srv = await startServer();
  app = createApp(srv.db, 'pro');
  const r = await api(srv, 'POST', '/api/rooms', { token: tokenFor(app, 'hank'), body: { policy: { requireHost: true } } });
  roomId = r.body.roomId;
  host = await WsClient.connect(srv, tokenFor(app, 'hank'));
  guest = await WsClient.connect(srv, tokenFor(app, 'gina'));
});
after(async () => { await srv.stop(); });

test('a guest waits for a host, is told when one arrives, then joins', async () => {
  const first = await guest.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(first.ok, true);
  assert.equal(first.status, 'HOST_REQUIRED');
  assert.equal(first.callId, undefined);

  const h = await host.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(h.status, 'JOINED');
  const present = await guest.waitEvent('GROUP_CALL_HOST_PRESENT');
  assert.equal(present.reason, 'HOST_ARRIVED');
  assert.equal(present.roomId, roomId);

  const again = await guest.request({ type: 'JOIN_ROOM', roomId });
  assert.equal(again.status, 'JOINED');
  assert.equal(again.callId, h.callId);
});

test('when the last host leaves the call goes on; newcomers get HOST_REQUIRED', async () => {
  const callId = (await api(srv, 'GET', `/api/rooms/${roomId}`, { token: tokenFor(app, 'gina') })).body.call.callId;
  await host.request({ type: 'GROUP_CALL_LEAVE', callId });
  const view = await api(srv, 'GET', `/api/rooms/${roomId}`, { token: tokenFor(app, 'gina') });
  assert.equal(view.body.call.callId, callId);
  assert.equal(view.body.call.hostPresent, false);
  const late = await WsClient.connect(srv, tokenFor(app, 'lou'));
  assert.equal((await late.request({ type: 'JOIN_ROOM', roomId })).status, 'HOST_REQUIRED');

  // Turning requireHost off tells the askers (POLICY_CHANGED).
  const p = await api(srv, 'PATCH', `/api/rooms/${roomId}`, { token: tokenFor(app, 'hank'), body: { policy: { requireHost: false } } });
  assert.equal(p.status, 200);
  const ev = await late.waitEvent('GROUP_CALL_HOST_PRESENT');
  assert.equal(ev.reason, 'POLICY_CHANGED');
  assert.equal((await late.request({ type: 'JOIN_ROOM', roomId })).status, 'JOINED');
  const upd = await guest.waitEvent('ROOM_UPDATED');
  assert.equal(upd.room.policy.requireHost, false);
});
