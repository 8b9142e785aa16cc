// An acknowledgement means committed: JOINED and a LEAVE's ok are sent only
// once the call record (and an auto-close) they imply is durable, so kill -9
// right after them loses nothing; and an auto-closing room takes no new call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, createApp, eventually, startServer, tempDir, tokenFor, WsClient } from './helpers.mjs';

const ROOMS = 8;

// Creates n autoClose rooms for user; returns their ids.
async function autoCloseRooms(srv, token, n) {
  const rooms = await Promise.all(Array.from({ length: n }, () =>
    api(srv, 'POST', '/api/rooms', { token, body: { policy: { autoCloseWhenEmpty: true } } })));
  return rooms.map((r) => r.body.roomId);
}

// Sends cmd(i) on every client at once and SIGKILLs the server the moment
// the first successful reply arrives (from inside the socket's message
// handler). Resolves with each client's reply, or null where none came.
function killOnFirstReply(srv, clients, cmd) {
  let killed = false;
  return Promise.all(clients.map((c, i) => new Promise((resolve) => {
    const id = 1000 + i;
    c.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.id !== id) return;
      if (m.ok && !killed) { killed = true; srv.proc.kill('SIGKILL'); }
      resolve(m);
    });
    c.ws.on('close', () => resolve(null));
    c.ws.send(JSON.stringify({ id, ...cmd(i) }));
  })));
}

async function restartAndCheckClosed(dir, token, roomIds) {
  const srv = await startServer({ dir });
  for (const roomId of roomIds) {
    const r = await api(srv, 'GET', `/api/rooms/${roomId}`, { token });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'CLOSED', `room ${roomId} came back ${r.body.status}`);
    assert.equal(r.body.call, null);
  }
  await srv.stop();
}

test('kill -9 right after JOINED: every acknowledged call is recorded (recovery closes its auto-close room)', async () => {
  const dir = tempDir();
  let srv = await startServer({ dir });
  const app = createApp(srv.db, 'pro');
  const token = tokenFor(app, 'joiner');
  const roomIds = await autoCloseRooms(srv, token, ROOMS);
  const clients = [];
  for (let i = 0; i < ROOMS; i++) clients.push(await WsClient.connect(srv, tokenFor(app, `j${i}`)));
  const replies = await killOnFirstReply(srv, clients, (i) => ({ type: 'JOIN_ROOM', roomId: roomIds[i] }));
  await srv.kill();
  const acked = roomIds.filter((_, i) => replies[i] && replies[i].status === 'JOINED');
  assert.ok(acked.length >= 1);
  await restartAndCheckClosed(dir, token, acked);
});

test('kill -9 right after the last LEAVE of an auto-close room: the room is CLOSED after restart', async () => {
  const dir = tempDir();
  let srv = await startServer({ dir });
  const app = createApp(srv.db, 'pro');
  const token = tokenFor(app, 'leaver');
  const roomIds = await autoCloseRooms(srv, token, ROOMS);
  const clients = [];
  const callIds = [];
  for (let i = 0; i < ROOMS; i++) {
    const c = await WsClient.connect(srv, tokenFor(app, `l${i}`));
    const j = await c.request({ type: 'JOIN_ROOM', roomId: roomIds[i] });
    assert.equal(j.status, 'JOINED');
    clients.push(c);
    callIds.push(j.callId);
  }
  const replies = await killOnFirstReply(srv, clients, (i) => ({ type: 'GROUP_CALL_LEAVE', callId: callIds[i], groupId: '' }));
  await srv.kill();
  const acked = roomIds.filter((_, i) => replies[i] && replies[i].ok);
  assert.ok(acked.length >= 1);
  await restartAndCheckClosed(dir, token, acked);
});

test('a JOIN right after the last LEAVE of an auto-close room is ROOM_CLOSED, never a new call', async () => {
  const srv = await startServer();
  const app = createApp(srv.db, 'pro');
  const token = tokenFor(app, 'racer');
  const roomIds = await autoCloseRooms(srv, token, ROOMS);
  for (const roomId of roomIds) {
    const c = await WsClient.connect(srv, token);
    const j = await c.request({ type: 'JOIN_ROOM', roomId });
    assert.equal(j.status, 'JOINED');
    // LEAVE and JOIN back to back on one connection: the JOIN is handled
    // after the LEAVE, while the room's close is being written.
    const [left, again] = await Promise.all([
      c.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId, groupId: '' }),
      c.request({ type: 'JOIN_ROOM', roomId }),
    ]);
    assert.equal(left.ok, true);
    assert.equal(again.ok, true, JSON.stringify(again));
    assert.equal(again.status, 'ROOM_CLOSED', JSON.stringify(again));
    assert.equal(c.eventsOf('GROUP_CALL_ENDED').length, 0);
    const room = await api(srv, 'GET', `/api/rooms/${roomId}`, { token });
    assert.equal(room.body.status, 'CLOSED');
    // Another user joining later sees the same.
    const late = await WsClient.connect(srv, tokenFor(app, 'late'));
    assert.equal((await late.request({ type: 'JOIN_ROOM', roomId })).status, 'ROOM_CLOSED');
    await late.close();
    await c.close();
  }
  await srv.stop();
});

test('a rename racing the last LEAVE of an auto-close room does not cancel the close', async () => {
  const srv = await startServer();
  const app = createApp(srv.db, 'pro');
  const token = tokenFor(app, 'renamer');
  const bob = await WsClient.connect(srv, tokenFor(app, 'latecomer'));
  const roomIds = await autoCloseRooms(srv, token, ROOMS);
  for (const [i, roomId] of roomIds.entries()) {
    const c = await WsClient.connect(srv, token);
    const j = await c.request({ type: 'JOIN_ROOM', roomId });
    // The rename is sent first and commits first (v2, still ACTIVE); the
    // LEAVE right behind it closes the room (v3).
    const patching = api(srv, 'PATCH', `/api/rooms/${roomId}`, { token, body: { name: 'renamed' } });
    await new Promise((r) => setTimeout(r, i % 3));
    const [patched, left] = await Promise.all([
      patching, c.request({ type: 'GROUP_CALL_LEAVE', callId: j.callId, groupId: '' })]);
    assert.equal(patched.status, 200);
    assert.equal(left.ok, true);
    // What the running server says agrees with what it wrote: closed.
    const room = await eventually(async () => {
      const g = await api(srv, 'GET', `/api/rooms/${roomId}`, { token });
      return g.body.status === 'CLOSED' ? g : null;
    }, 3000);
    assert.ok(room, 'the room stays ACTIVE in the running server');
    assert.equal((await bob.request({ type: 'JOIN_ROOM', roomId })).status, 'ROOM_CLOSED');
    await c.close();
  }
  await bob.close();
  await srv.stop();
});
