// Rooms in the console: the list with the form for a new one, and a room's
// page, which is also the pre-join screen: camera preview and pickers, the
// room's facts, the invite link, who is in the call (hosts see it live and
// admit from the waiting room) and, for its creator, the edit form.
import {
  state, nav, h, show, say, flash, onViewExit, every, currentView, copyText, inviteUrl, scheduleText, count,
} from './ui.js';
import { errorText, featureTitle } from './messages.js';
import { prejoinPanel } from './media.js';
import { joinCall } from './call.js';

const toLocalInput = (ms) => (ms ? new Date(ms - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '');
const fromLocalInput = (v) => (v ? new Date(v).getTime() : null);
const fail = (action, room) => (err) => say(errorText(err, { action, room, info: state.info }), 'error');
const hasFeature = (f) => !state.info || (state.info.features || []).includes(f);

/** A room's policy as short chips. */
function policyChips(p) {
  const chips = [];
  if (p.waitingRoom) chips.push('Waiting room');
  if (p.requireHost) chips.push('Host required');
  if (p.maxParticipants) chips.push(`Up to ${count(p.maxParticipants, 'person', 'people')}`);
  if (p.autoCloseWhenEmpty) chips.push('Closes when empty');
  if (!chips.length) chips.push('Open to everyone in your app');
  return h('span', { class: 'chips' }, chips.map((c) => h('span', { class: 'chip' }, c)));
}

const statusTag = (room) => h('span', { class: `tag ${room.status === 'CLOSED' ? 'closed' : 'active'}` }, room.status === 'CLOSED' ? 'Closed' : 'Open');

/** "hank and amy are in the call", or that no one is. */
function liveText(call) {
  if (!call || !call.participantCount) return 'No one is in the call yet.';
  const names = (call.participants || []).map((p) => p.name || p.userId);
  const n = call.participantCount;
  if (names.length === 1) return `${names[0]} is in the call.`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are in the call.`;
  if (names.length > 2) return `${names[0]}, ${names[1]} and ${count(n - 2, 'other')} are in the call.`;
  return `${count(n, 'person', 'people')} ${n === 1 ? 'is' : 'are'} in the call.`;
}

// ---- the form ----

function roomForm(room, onSave, submitLabel) {
  const p = room ? room.policy : {};
  const cap = state.info && state.info.limits ? state.info.limits.maxParticipantsPerCall : null;
  const waitingOk = hasFeature('waiting_room');
  const f = {
    name: h('input', { type: 'text', id: 'f-name', value: room ? room.name : '', maxlength: 200, placeholder: 'Weekly sync' }),
    start: h('input', { type: 'datetime-local', id: 'f-start', value: toLocalInput(room && room.scheduledStartAt) }),
    end: h('input', { type: 'datetime-local', id: 'f-end', value: toLocalInput(room && room.scheduledEndAt) }),
    hosts: h('input', { type: 'text', id: 'f-hosts', value: room ? room.hosts.join(', ') : '', placeholder: 'user ids, comma separated' }),
    max: h('input', { type: 'number', id: 'f-max', min: 1, max: cap, value: p.maxParticipants || '', placeholder: cap ? `${cap} (your plan's cap)` : '' }),
    waiting: h('input', { type: 'checkbox', id: 'f-waiting', checked: Boolean(p.waitingRoom), disabled: !waitingOk && !p.waitingRoom }),
    host: h('input', { type: 'checkbox', id: 'f-requirehost', checked: Boolean(p.requireHost) }),
    auto: h('input', { type: 'checkbox', id: 'f-autoclose', checked: Boolean(p.autoCloseWhenEmpty) }),
  };
  const submit = h('button', { type: 'submit', id: 'f-submit' }, submitLabel);
  return h('form', {
    class: 'room-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const hosts = f.hosts.value.split(',').map((s) => s.trim()).filter(Boolean);
      const body = {
        name: f.name.value,
        scheduledStartAt: fromLocalInput(f.start.value),
        scheduledEndAt: fromLocalInput(f.end.value),
        policy: {
          waitingRoom: f.waiting.checked, requireHost: f.host.checked,
          maxParticipants: f.max.value ? Number(f.max.value) : null, autoCloseWhenEmpty: f.auto.checked,
        },
      };
      if (hosts.length || room) body.hosts = hosts.length ? hosts : null;
      submit.disabled = true;
      try { await onSave(body); } finally { submit.disabled = false; }
    },
  },
  h('label', { for: 'f-name' }, 'Name'), f.name,
  h('div', { class: 'grid2' },
    h('div', {}, h('label', { for: 'f-start' }, 'Scheduled start (optional)'), f.start),
    h('div', {}, h('label', { for: 'f-end' }, 'Scheduled end (optional)'), f.end)),
  h('p', { class: 'hint' }, 'The schedule is shown to people; it never stops anyone from joining early or late.'),
  h('label', { for: 'f-hosts' }, 'Other hosts (you are always one)'), f.hosts,
  h('label', { for: 'f-max' }, 'Most people in the call at once (empty: your plan\'s cap)'), f.max,
  h('label', { class: 'check' }, f.waiting, 'Waiting room: hosts let people in',
    waitingOk ? null : h('span', { class: 'muted' }, ' — not on your plan')),
  h('label', { class: 'check' }, f.host, 'Require a host: no one starts the call without one'),
  h('label', { class: 'check' }, f.auto, 'Close the room when the last person leaves'),
  h('div', { class: 'row' }, submit));
}

// ---- the list ----

export async function viewRooms() {
  const c = state.client;
  const list = h('ul', { class: 'rooms', id: 'rooms' }, h('li', { class: 'muted' }, 'Loading…'));
  const canCreate = hasFeature('scheduled_rooms');
  const create = h('section', { class: 'card', id: 'new-room' }, h('h2', {}, 'New room'),
    canCreate ? roomForm(null, async (body) => {
      try {
        const room = await c.createRoom(body);
        flash(`${room.name ? `"${room.name}"` : 'Your room'} is ready. Copy the invite link to bring people in.`);
        location.hash = `#/room/${room.roomId}`;
      } catch (err) { fail('create')(err); }
    }, 'Create room') : h('p', {}, `Your app's plan does not include ${featureTitle('scheduled_rooms').toLowerCase()}. `,
      h('a', { href: '#/app' }, 'See what your plan includes.')));
  show(h('div', { class: 'columns' },
    h('section', { class: 'card' }, h('h1', {}, 'Your rooms'), h('p', { class: 'muted' }, 'Rooms you created or host.'), list),
    create));
  try {
    const { rooms } = await c.listRooms({ limit: 100 });
    list.replaceChildren();
    if (!rooms.length) list.append(h('li', { class: 'empty' }, 'No rooms yet. Create one, then share its invite link.'));
    for (const r of rooms) list.append(roomRow(r));
  } catch (err) {
    list.replaceChildren();
    fail('load')(err);
  }
}

function roomRow(r) {
  const when = scheduleText(r.scheduledStartAt, r.scheduledEndAt);
  const copy = h('button', {
    class: 'secondary small', type: 'button',
    onclick: async () => { copy.textContent = await copyText(inviteUrl(r.roomId)) ? 'Copied' : 'Copy failed'; setTimeout(() => { copy.textContent = 'Copy invite'; }, 2000); },
  }, 'Copy invite');
  return h('li', { 'data-room': r.roomId },
    h('div', { class: 'room-line' },
      h('a', { href: `#/room/${r.roomId}`, class: 'room-name' }, r.name || 'Untitled room'), ' ', statusTag(r),
      r.call && r.call.participantCount ? h('span', { class: 'tag live' }, `${r.call.participantCount} in call`) : null),
    h('div', { class: 'room-meta' }, policyChips(r.policy), when ? h('span', { class: 'when' }, when) : null),
    h('div', { class: 'row' }, copy));
}

// ---- one room: the pre-join screen, its facts, invite, live state, edit ----

export async function viewRoom(roomId) {
  const c = state.client;
  const view = currentView();
  let room;
  try {
    room = await c.getRoom(roomId);
    if (currentView() !== view) return; // another page was opened meanwhile
  } catch (err) {
    if (currentView() !== view) return;
    show(h('section', { class: 'card', id: 'room-missing' }, h('h1', {}, 'This room cannot be opened'),
      h('p', {}, errorText(err, { action: 'load' })), h('a', { href: '#/', class: 'button secondary' }, 'Back to your rooms')));
    return;
  }
  const me = state.info.userId;
  const closed = room.status === 'CLOSED';
  const joinBtn = h('button', { id: 'join', class: 'big', disabled: closed, onclick: () => joinCall(room, joinBtn) }, 'Join call');
  const relay = h('input', { type: 'checkbox', id: 'relayonly', checked: Boolean(state.relayOnly), onchange: () => { state.relayOnly = relay.checked; } });
  const live = h('p', { id: 'room-live', class: 'live-line' }, liveText(room.call));
  const when = scheduleText(room.scheduledStartAt, room.scheduledEndAt);
  const others = room.hosts.filter((x) => x !== room.createdBy);
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, 'Hosts'), h('dd', {}, [room.createdBy, ...others].map((x) => (x === me ? `${x} (you)` : x)).join(', ')),
    h('dt', {}, 'Policy'), h('dd', {}, policyChips(room.policy)),
    when ? [h('dt', {}, 'Schedule'), h('dd', { id: 'schedule' }, when)] : null);
  const watch = room.hosts.includes(me) ? h('section', { class: 'card', id: 'live' }) : null;
  show(() => [h('section', { class: 'card room-page', id: 'prejoin' },
    h('div', { class: 'prejoin-grid' },
      prejoinPanel(),
      h('div', { class: 'room-info' },
        h('h1', {}, room.name || 'Untitled room', ' ', statusTag(room)),
        live,
        closed ? h('p', { class: 'error-text' }, 'This room is closed, so no one can join it now. Its creator can reopen it.') : null,
        h('div', { class: 'row' }, joinBtn),
        h('label', { class: 'check small' }, relay, 'Relay media through TURN only (to test a TURN server)'),
        invitePanel(room),
        facts))),
  watch, room.createdBy === me ? editCard(room) : null].filter(Boolean));
  if (watch) watchLive(room, watch, live);
  else every(5000, async () => { // people who are not hosts see the count refresh
    try { live.textContent = liveText((await c.getRoom(roomId)).call); } catch { /* keep the last */ }
  });
}

function invitePanel(room) {
  const url = inviteUrl(room.roomId);
  const input = h('input', { type: 'text', id: 'invite', readonly: true, value: url, 'aria-label': 'Invite link', onfocus: () => input.select() });
  const done = h('span', { class: 'copied', role: 'status', 'aria-live': 'polite' });
  const btn = h('button', {
    id: 'copy-invite', type: 'button', class: 'secondary',
    onclick: async () => {
      const ok = await copyText(url, input);
      done.textContent = ok ? 'Copied. Anyone in your app who has it can ask to join.' : 'Press Ctrl+C (⌘C) to copy the selected link.';
      setTimeout(() => { done.textContent = ''; }, 4000);
    },
  }, 'Copy link');
  return h('div', { class: 'invite' }, h('label', { for: 'invite' }, 'Invite link'), h('div', { class: 'copy-row' }, input, btn), done);
}

function editCard(room) {
  const c = state.client;
  const roomId = room.roomId;
  const closed = room.status === 'CLOSED';
  return h('section', { class: 'card', id: 'edit' }, h('h2', {}, 'Edit room'),
    roomForm(room, async (body) => {
      try {
        await c.updateRoom(roomId, body, { ifMatch: room.version });
        flash('Saved.');
        nav.route();
      } catch (err) { fail('save', room)(err); }
    }, 'Save'),
    h('div', { class: 'row danger-zone' },
      h('button', {
        class: 'secondary',
        onclick: async () => {
          try {
            await c.updateRoom(roomId, { status: closed ? 'ACTIVE' : 'CLOSED' });
            flash(closed ? 'The room is open again.' : 'The room is closed: no one can join until you reopen it.');
            nav.route();
          } catch (err) { fail('save', room)(err); }
        },
      }, closed ? 'Reopen room' : 'Close room'),
      h('button', {
        class: 'danger',
        onclick: async () => {
          if (!confirm('Delete this room? Its invite link stops working.')) return;
          try {
            await c.deleteRoom(roomId);
            flash('Room deleted.');
            location.hash = '#/';
          } catch (err) { fail('delete', room)(err); }
        },
      }, 'Delete room')));
}

/** Hosts see who is in the call and who waits, live, without joining. */
async function watchLive(room, el, liveLine) {
  const c = state.client;
  const roomId = room.roomId;
  const view = currentView();
  const render = async () => {
    let r;
    try { r = await c.getRoom(roomId); } catch (err) { fail('load', room)(err); return; }
    const call = r.call;
    const waiting = call ? call.waiting || [] : (await c.listWaiting(roomId).catch(() => ({ waiting: [] }))).waiting;
    liveLine.textContent = liveText(call);
    const inCall = h('ul', { class: 'people' });
    for (const p of call ? call.participants : []) {
      inCall.append(h('li', { 'data-user': p.userId }, h('span', {}, `${p.name || p.userId}`, p.role !== 'PARTICIPANT' ? h('span', { class: 'muted' }, ` · ${p.role === 'HOST' ? 'host' : 'co-host'}`) : null)));
    }
    if (!inCall.children.length) inCall.append(h('li', { class: 'muted' }, 'No one.'));
    const waitList = h('ul', { class: 'people' });
    for (const w of waiting) {
      waitList.append(h('li', { 'data-user': w.userId }, h('span', {}, w.name || w.userId), h('span', { class: 'row' },
        h('button', { class: 'admit small', onclick: () => c.admit(roomId, w.userId).then(render, fail('admit', room)) }, 'Admit'),
        h('button', { class: 'secondary deny small', onclick: () => c.deny(roomId, w.userId).then(render, fail('deny', room)) }, 'Deny'))));
    }
    if (!waiting.length) waitList.append(h('li', { class: 'muted' }, 'No one is waiting.'));
    el.replaceChildren(
      h('h2', {}, call ? `In the call (${call.participantCount})` : 'No live call'), inCall,
      h('h2', {}, `Waiting (${waiting.length})`), waitList);
  };
  await render();
  try {
    await c.watchRoom(roomId);
    if (currentView() !== view) { // the page was left meanwhile
      c.unwatchRoom(roomId).catch(() => {});
      return;
    }
    const off = c.onGroupCallEvent((ev) => { if (ev.roomId === roomId) render(); });
    onViewExit(() => { off(); c.unwatchRoom(roomId).catch(() => {}); });
  } catch (err) { fail('watch', room)(err); }
}
