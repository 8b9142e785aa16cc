// What the console says instead of codes (web/messages.js), checked against
// every code that can reach it: the WebSocket protocol's errors and event
// reasons (protocol/droponair.v1.json), the REST error table
// (src/core/error.c) and the JS SDK's own codes. Each must have a sentence
// of its own, with no protocol code in it. No browser: messages.js has no DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { protocol, root } from '../integration/helpers.mjs';

const m = await import(pathToFileURL(joinPath(root, 'web', 'messages.js')));
const CODE = /\b[A-Z]{2,}(?:_[A-Z]+)+\b/; // ROOM_FULL, HOST_ENDED, ...

function errorCodes() {
  const codes = new Set(protocol.commonErrors.codes);
  for (const c of Object.values(protocol.commands)) for (const e of c.errors || []) codes.add(e);
  const table = readFileSync(joinPath(root, 'src', 'core', 'error.c'), 'utf8');
  for (const [, code] of table.matchAll(/\{"([A-Z_]+)", \d{3},/g)) if (code !== 'OK') codes.add(code);
  const sdk = joinPath(root, 'sdk', 'js', 'src');
  for (const f of readdirSync(sdk)) {
    for (const [, code] of readFileSync(joinPath(sdk, f), 'utf8').matchAll(/DropOnAirError\('([A-Z_]+)'/g)) codes.add(code);
  }
  return [...codes].sort();
}

const reasons = (event, field = 'reason') => protocol.events[event].fields[field].enum;

function isSentence(text, what) {
  assert.equal(typeof text, 'string', what);
  assert.match(text, /^\S.*[.…]$/s, `${what}: not a sentence: ${text}`);
  assert.doesNotMatch(text, CODE, `${what}: a code is shown: ${text}`);
}

test('every error code has a sentence of its own, for every action', () => {
  const codes = errorCodes();
  assert.ok(codes.length >= 25, `only ${codes.length} codes found`);
  const actions = ['join', 'create', 'save', 'delete', 'admit', 'deny', 'mute', 'remove', 'end', 'share', 'media', 'signin', 'load', 'watch', undefined];
  const ctx = { room: { policy: { maxParticipants: 4 } }, info: { limits: { maxRoomsPerApp: 100, maxParticipantsPerCall: 25 } } };
  for (const code of codes) {
    for (const action of actions) {
      const text = m.errorText({ code, message: 'SERVER-SIDE DETAIL', field: 'policy.maxParticipants' }, { ...ctx, action });
      isSentence(text, `${code} (${action})`);
      if (code !== 'VALIDATION_FAILED') {
        assert.ok(!text.includes('SERVER-SIDE DETAIL'), `${code} (${action}) has no sentence of its own: ${text}`);
      }
    }
  }
});

test('the server\'s detail of a validation error is kept, in words', () => {
  const text = m.errorText({ code: 'VALIDATION_FAILED', field: 'policy.maxParticipants', message: 'policy.maxParticipants must be between 1 and 25' });
  assert.equal(text, 'The maximum number of participants must be between 1 and 25.');
  isSentence(m.errorText({ code: 'VALIDATION_FAILED', field: 'hosts[3]', message: 'hosts[3] must be printable ASCII' }), 'hosts');
});

test('a full room says whose limit and how many', () => {
  const ctx = { room: { policy: { maxParticipants: 2 } }, info: { limits: { maxParticipantsPerCall: 25 } }, action: 'join' };
  assert.equal(m.errorText({ code: 'ROOM_FULL', limitSource: 'room' }, ctx),
    'This call is full: this room takes at most 2 people at once. Try again when someone leaves.');
  assert.equal(m.errorText({ code: 'ROOM_FULL', limitSource: 'plan' }, ctx),
    "This call is full: it has 25 people, the most your app's plan allows in one call. Try again when someone leaves.");
});

test('every way a call ends, someone leaves, a host arrives or a rejoin goes has a sentence', () => {
  for (const event of ['GROUP_CALL_ENDED', 'GROUP_CALL_REMOVED', 'GROUP_CALL_DENIED']) {
    for (const reason of reasons(event)) {
      const text = m.endedText({ type: event, reason, by: 'hank' });
      isSentence(text, `${event} ${reason}`);
      assert.notEqual(text, m.endedText({ type: event, reason: 'SOMETHING_NEW' }), `${event} ${reason} has no sentence of its own`);
    }
  }
  isSentence(m.endedText({ type: 'SDK_CLOSED' }), 'SDK_CLOSED');
  for (const reason of reasons('GROUP_CALL_PARTICIPANT_LEFT')) isSentence(m.leftText('amy', reason), `LEFT ${reason}`);
  for (const reason of reasons('GROUP_CALL_HOST_PRESENT')) isSentence(m.hostPresentText(reason), `HOST_PRESENT ${reason}`);
  for (const status of protocol.sdkEvents.SDK_REJOINED.fields.status.enum) {
    isSentence(m.rejoinText({ status, error: { code: 'ROOM_FULL' } }), `SDK_REJOINED ${status}`);
  }
  isSentence(m.ROOM_CLOSED_TEXT, 'ROOM_CLOSED');
  for (const name of ['NotAllowedError', 'NotFoundError', 'NotReadableError', 'OverconstrainedError', 'AbortError', 'TypeError']) {
    isSentence(m.mediaErrorText({ name }), name);
    isSentence(m.mediaErrorText({ name }, 'your screen'), `${name} (screen)`);
  }
});
