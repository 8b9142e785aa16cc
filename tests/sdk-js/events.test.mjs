// The SDK's typed surface at run time: join() and its result, on(name) and
// on('*'), and the SDK's own events, each checked against its declaration in
// protocol/droponair.v1.json (sdkEvents), which the TypeScript types are
// generated from.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import { CheckedWebSocket as WebSocket, createApp, eventually, openapi, protocol, startServer, tokenFor }
  from '../integration/helpers.mjs';
import { DropOnAirClient } from '../../sdk/js/src/index.js';

let srv, app;
before(async () => {
  srv = await startServer({ args: ['--ws-grace-ms', '1000'] });
  app = createApp(srv.db, 'pro');
});
after(async () => { await srv.stop(); });

const newClient = (user) => new DropOnAirClient({ baseUrl: srv.url, token: tokenFor(app, user), WebSocket });

// Each SDK event as a closed schema: exactly the declared fields, the required ones present.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(openapi, 'openapi.json');
ajv.addSchema(protocol);
const rebase = (node) => (Array.isArray(node) ? node.map(rebase) : node && typeof node === 'object'
  ? Object.fromEntries(Object.entries(node).map(([k, v]) =>
    [k, k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `droponair.v1.json${v}` : rebase(v)]))
  : node);
const sdkEventCheck = Object.fromEntries(Object.entries(protocol.sdkEvents).map(([name, d]) => [name, ajv.compile({
  type: 'object',
  required: ['type', ...(d.required || [])],
  properties: { ...rebase(d.fields), type: { const: name } },
  additionalProperties: false,
})]));
function assertDeclared(ev) {
  const check = sdkEventCheck[ev.type];
  assert.ok(check, `${ev.type} is not declared in protocol/droponair.v1.json sdkEvents`);
  assert.ok(check(ev), `${ev.type} does not match its declaration: ${ajv.errorsText(check.errors)}\n${JSON.stringify(ev)}`);
}

test('join() resolves to the outcome as an object; joinRoom() to the string', async () => {
  const host = newClient('hana');
  const guest = newClient('gus');
  const open = await host.createRoom({});
  const gated = await host.createRoom({ policy: { requireHost: true } });
  const waiting = await host.createRoom({ policy: { waitingRoom: true } });
  const closed = await host.createRoom({});
  await host.updateRoom(closed.roomId, { status: 'CLOSED' });

  const joined = await host.join(open.roomId);
  assert.equal(joined.status, 'JOINED');
  assert.match(joined.callId, /^call_/);
  assert.equal(joined.roomId, open.roomId);
  assert.equal(joined.role, 'HOST');
  assert.deepEqual(joined.participants.map((p) => p.userId), ['hana']);
  assert.ok(Array.isArray(joined.iceServers));
  assert.ok(!('ok' in joined) && !('id' in joined), 'the result is the reply without id and ok');
  assert.equal(host.lastJoin.callId, joined.callId);
  assert.equal(host.getCall(open.roomId).callId, joined.callId);
  assert.equal(await guest.joinRoom(open.roomId), joined.callId);

  assert.deepEqual(await guest.join(gated.roomId), { status: 'HOST_REQUIRED', roomId: gated.roomId });
  assert.deepEqual(await guest.join(waiting.roomId), { status: 'WAITING_ROOM_PENDING', roomId: waiting.roomId, position: 1 });
  assert.deepEqual(await guest.join(closed.roomId), { status: 'ROOM_CLOSED', roomId: closed.roomId });
  await assert.rejects(guest.join('rm_AAAAAAAAAAAAAAAAAAAAAA'), (e) => e.code === 'ROOM_NOT_FOUND');
  await guest.cancelWait(waiting.roomId);
  host.close();
  guest.close();
});

test('on(type) gets that type only, on(\'*\') everything, SDK_CONNECTION_STATE included', async () => {
  const a = newClient('ari');
  const b = newClient('ben');
  const joinedEvents = [];
  const all = [];
  const offJoined = a.on('GROUP_CALL_PARTICIPANT_JOINED', (ev) => joinedEvents.push(ev));
  a.on('*', (ev) => all.push(ev));
  const states = [];
  a.on('SDK_CONNECTION_STATE', (ev) => { assertDeclared(ev); states.push(ev.state); });
  assert.throws(() => a.on('GROUP_CALL_ENDED'), TypeError);

  const room = await a.createRoom({});
  const callId = await a.joinRoom(room.roomId);
  assert.deepEqual(states, ['connecting', 'open']);
  await b.joinRoom(room.roomId);
  assert.ok(await eventually(() => joinedEvents.length === 1));
  assert.equal(joinedEvents[0].userId, 'ben');
  await b.setMediaState(callId, { audio: false });
  assert.ok(await eventually(() => all.some((ev) => ev.type === 'GROUP_CALL_MEDIA_STATE')));
  assert.deepEqual(joinedEvents.map((ev) => ev.type), ['GROUP_CALL_PARTICIPANT_JOINED']);
  assert.deepEqual(all.filter((ev) => ev.type === 'SDK_CONNECTION_STATE').map((ev) => ev.state), ['connecting', 'open']);

  offJoined();
  await b.leaveCall(room.roomId);
  await b.joinRoom(room.roomId);
  assert.ok(await eventually(() => all.filter((ev) => ev.type === 'GROUP_CALL_PARTICIPANT_JOINED').length === 2));
  assert.equal(joinedEvents.length, 1, 'an unsubscribed handler gets nothing more');
  a.close();
  assert.deepEqual(states, ['connecting', 'open', 'closed']);
  b.close();
});

test('SDK_REJOINED is delivered to on() and matches its declaration', async () => {
  const a = newClient('ali');
  const b = newClient('bob');
  const room = await a.createRoom({});
  await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);
  const viaOn = [];
  const viaCallback = [];
  b.on('SDK_REJOINED', (ev) => viaOn.push(ev));
  b.onGroupCallEvent((ev) => { if (ev.type === 'SDK_REJOINED') viaCallback.push(ev); });
  const states = [];
  b.on('SDK_CONNECTION_STATE', (ev) => { assertDeclared(ev); states.push(ev.state); });
  // Keep b away longer than the grace: block its reconnects for a while.
  const open = b._open.bind(b);
  b._open = (resume) => new Promise((res, rej) => setTimeout(() => open(resume).then(res, rej), 1500));
  b._ws.terminate();
  assert.ok(await eventually(() => viaOn.length === 1, 10000));
  assert.equal(viaCallback.length, 1);
  assert.equal(viaOn[0], viaCallback[0]);
  assertDeclared(viaOn[0]);
  assert.equal(viaOn[0].status, 'JOINED');
  assert.ok(states.includes('reconnecting') && states.at(-1) === 'open');
  a.close();
  b.close();
});

test('an SDK_REJOINED that did not get back in carries the error, as declared', async () => {
  const a = newClient('amo');
  const b = newClient('bim');
  const room = await a.createRoom({});
  await a.joinRoom(room.roomId);
  await b.joinRoom(room.roomId);
  const rejoined = [];
  b.on('SDK_REJOINED', (ev) => rejoined.push(ev));
  const left = new Promise((resolve) => a.on('GROUP_CALL_PARTICIPANT_LEFT', (ev) => { if (ev.userId === 'bim') resolve(); }));
  // b stays away past the grace; meanwhile the room goes.
  const open = b._open.bind(b);
  b._open = (resume) => new Promise((res, rej) => setTimeout(() => open(resume).then(res, rej), 3000));
  b._ws.terminate();
  await left;
  await a.deleteRoom(room.roomId);
  assert.ok(await eventually(() => rejoined.length === 1, 15000));
  assertDeclared(rejoined[0]);
  assert.equal(rejoined[0].status, 'ERROR');
  assert.equal(rejoined[0].error.code, 'ROOM_NOT_FOUND');
  assert.equal(rejoined[0].reply.ok, false);
  assert.equal(b.getCall(room.roomId), null);
  a.close();
  b.close();
});
