// The droponair console and call page. Plain DOM, and the JS SDK is the
// only client code: rooms over REST, the call over the SDK's WebSocket and
// its WebRTC mesh helper.
import { DropOnAirClient } from '/sdk/index.js';
import { MeshCall } from '/sdk/webrtc.js';

const main = document.getElementById('main');
const statusEl = document.getElementById('status');
const whoEl = document.getElementById('who');
const signoutBtn = document.getElementById('signout');

const state = { client: null, info: null, call: null, stopWatch: null, timers: [], relayOnly: false };
window.dpa = state; // for diagnostics and end-to-end tests

// ---- helpers ----

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c.nodeType ? c : String(c));
  return el;
}

function say(text, error = false) {
  statusEl.textContent = text || '';
  statusEl.classList.toggle('error', error);
}

function fail(err) {
  say(`${err.code ? `${err.code}: ` : ''}${err.message || err}`, true);
}

const fmtTime = (ms) => (ms ? new Date(ms).toLocaleString() : '—');
const toLocalInput = (ms) => (ms ? new Date(ms - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '');
const fromLocalInput = (v) => (v ? new Date(v).getTime() : null);

function clearTimers() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  if (state.stopWatch) { state.stopWatch(); state.stopWatch = null; }
}

// ---- sign-in ----

function signIn(token) {
  localStorage.setItem('dpa.token', token);
  state.client = new DropOnAirClient({ baseUrl: location.origin, token });
  return state.client.getInfo().then((info) => {
    if (!info.userId) throw new Error('token not accepted');
    whoEl.textContent = `${info.userId} · ${info.appId} (${info.plan})`;
    signoutBtn.hidden = false;
    return info;
  });
}

function signOut() {
  localStorage.removeItem('dpa.token');
  if (state.client) state.client.close();
  state.client = null;
  whoEl.textContent = '';
  signoutBtn.hidden = true;
  location.hash = '#/';
  route();
}
signoutBtn.addEventListener('click', signOut);

async function viewSignIn() {
  const anon = await new DropOnAirClient({ baseUrl: location.origin }).getInfo().catch(() => ({}));
  const tokenBox = h('textarea', { id: 'token', rows: 4, 'aria-label': 'Token' });
  const form = h('form', { onsubmit: (e) => { e.preventDefault(); go(tokenBox.value.trim()); } },
    h('label', { for: 'token' }, 'Token (a JWT from your backend or `droponaird token`)'), tokenBox,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in')));
  const card = h('section', { class: 'card' }, h('h1', {}, 'Sign in'), form);
  if (anon.devMode) {
    const name = h('input', { type: 'text', id: 'devuser', value: 'alice', autocomplete: 'off' });
    card.append(h('form', {
      id: 'devform',
      onsubmit: async (e) => {
        e.preventDefault();
        const r = await fetch(`/api/dev/token?user=${encodeURIComponent(name.value.trim())}`);
        const body = await r.json();
        if (!r.ok) { fail(body.error); return; }
        go(body.token);
      },
    }, h('label', { for: 'devuser' }, 'Dev mode: sign in as user'), name,
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'devsignin' }, 'Dev sign-in'))));
  }
  main.replaceChildren(card);
  async function go(token) {
    try {
      await signIn(token);
      say('');
      route();
    } catch (err) { fail(err); }
  }
}

// ---- rooms ----

function policyText(p) {
  const bits = [];
  if (p.waitingRoom) bits.push('waiting room');
  if (p.requireHost) bits.push('requires host');
  if (p.maxParticipants) bits.push(`max ${p.maxParticipants}`);
  if (p.autoCloseWhenEmpty) bits.push('auto-close');
  return bits.join(', ') || 'open';
}

function roomForm(room, onSave, submitLabel) {
  const p = room ? room.policy : {};
  const f = {
    name: h('input', { type: 'text', id: 'f-name', value: room ? room.name : '', maxlength: 200 }),
    start: h('input', { type: 'datetime-local', id: 'f-start', value: toLocalInput(room && room.scheduledStartAt) }),
    end: h('input', { type: 'datetime-local', id: 'f-end', value: toLocalInput(room && room.scheduledEndAt) }),
    hosts: h('input', { type: 'text', id: 'f-hosts', value: room ? room.hosts.join(', ') : '', placeholder: 'user ids, comma separated' }),
    max: h('input', { type: 'number', id: 'f-max', min: 1, value: p.maxParticipants || '' }),
    waiting: h('input', { type: 'checkbox', id: 'f-waiting', checked: Boolean(p.waitingRoom) }),
    host: h('input', { type: 'checkbox', id: 'f-requirehost', checked: Boolean(p.requireHost) }),
    auto: h('input', { type: 'checkbox', id: 'f-autoclose', checked: Boolean(p.autoCloseWhenEmpty) }),
  };
  const form = h('form', {
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
      try { await onSave(body); } catch (err) { fail(err); }
    },
  },
  h('label', { for: 'f-name' }, 'Name'), f.name,
  h('div', { class: 'grid2' },
    h('div', {}, h('label', { for: 'f-start' }, 'Scheduled start (metadata only)'), f.start),
    h('div', {}, h('label', { for: 'f-end' }, 'Scheduled end'), f.end)),
  h('label', { for: 'f-hosts' }, 'Hosts (you are always one)'), f.hosts,
  h('label', { for: 'f-max' }, 'Max participants (empty: the plan cap)'), f.max,
  h('label', { class: 'check' }, f.waiting, 'Waiting room'),
  h('label', { class: 'check' }, f.host, 'Require a host'),
  h('label', { class: 'check' }, f.auto, 'Close when the last one leaves'),
  h('div', { class: 'row' }, h('button', { type: 'submit', id: 'f-submit' }, submitLabel)));
  return form;
}

async function viewRooms() {
  const c = state.client;
  const list = h('tbody');
  const table = h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Room'), h('th', {}, 'Status'),
    h('th', {}, 'Policy'), h('th', {}, 'Starts'), h('th', {}, ''))), list);
  const create = h('section', { class: 'card' }, h('h2', {}, 'New room'), roomForm(null, async (body) => {
    const room = await c.createRoom(body);
    say(`Created ${room.name || room.roomId}`);
    location.hash = `#/room/${room.roomId}`;
  }, 'Create room'));
  main.replaceChildren(h('section', { class: 'card' }, h('h1', {}, 'Your rooms'), table), create);
  try {
    const { rooms } = await c.listRooms({ limit: 100 });
    if (!rooms.length) list.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No rooms yet.')));
    for (const r of rooms) {
      list.append(h('tr', {},
        h('td', {}, h('a', { href: `#/room/${r.roomId}` }, r.name || r.roomId)),
        h('td', {}, h('span', { class: `tag ${r.status === 'CLOSED' ? 'closed' : ''}` }, r.status)),
        h('td', {}, policyText(r.policy)),
        h('td', {}, fmtTime(r.scheduledStartAt)),
        h('td', {}, r.call ? `${r.call.participantCount} in call` : '')));
    }
  } catch (err) { fail(err); }
}

// ---- one room: details, live state, moderation ----

function personList(items, actions) {
  const ul = h('ul');
  if (!items.length) ul.append(h('li', { class: 'muted' }, 'nobody'));
  for (const it of items) ul.append(h('li', { 'data-user': it.userId }, h('span', {}, it.label || it.userId), h('span', { class: 'row' }, ...actions(it))));
  return ul;
}

async function viewRoom(roomId) {
  const c = state.client;
  let room;
  try { room = await c.getRoom(roomId); } catch (err) { fail(err); return; }
  const me = c.userId || (state.info && state.info.userId);
  const isHost = room.hosts.includes(me);
  const live = h('div', { id: 'live' });
  const joinBtn = h('button', { id: 'join', onclick: () => joinCall(room) }, 'Join call');
  const relay = h('input', { type: 'checkbox', id: 'relayonly', checked: Boolean(state.relayOnly), onchange: () => { state.relayOnly = relay.checked; } });
  const parts = [h('section', { class: 'card' },
    h('h1', {}, room.name || room.roomId, ' ', h('span', { class: `tag ${room.status === 'CLOSED' ? 'closed' : ''}` }, room.status)),
    h('p', { class: 'muted' }, `Room ${room.roomId} · created by ${room.createdBy} · hosts ${room.hosts.join(', ')}`),
    h('p', {}, `Policy: ${policyText(room.policy)} · schedule ${fmtTime(room.scheduledStartAt)} – ${fmtTime(room.scheduledEndAt)}`),
    h('div', { class: 'row' }, joinBtn, h('label', { class: 'check' }, relay, 'Relay media through TURN only (to test a TURN server)')), live)];
  if (room.createdBy === me) {
    parts.push(h('section', { class: 'card' }, h('h2', {}, 'Edit'), roomForm(room, async (body) => {
      await c.updateRoom(roomId, body, { ifMatch: room.version });
      say('Saved');
      route();
    }, 'Save'), h('div', { class: 'row' },
      h('button', { class: 'secondary', onclick: async () => { await c.updateRoom(roomId, { status: room.status === 'CLOSED' ? 'ACTIVE' : 'CLOSED' }).catch(fail); route(); } },
        room.status === 'CLOSED' ? 'Reopen room' : 'Close room'),
      h('button', { class: 'danger', onclick: async () => { if (confirm('Delete this room?')) { await c.deleteRoom(roomId).catch(fail); location.hash = '#/'; } } }, 'Delete room'))));
  }
  main.replaceChildren(...parts);
  if (isHost) watchLive(roomId, live);
}

/** Hosts see who is in the call and who waits, live, without joining. */
async function watchLive(roomId, el) {
  const c = state.client;
  const render = async () => {
    try {
      const room = await c.getRoom(roomId);
      const call = room.call;
      const waiting = call ? call.waiting || [] : (await c.listWaiting(roomId)).waiting;
      el.replaceChildren(
        h('h2', {}, call ? `In the call (${call.participantCount})` : 'No live call'),
        personList((call ? call.participants : []).map((p) => ({ ...p, label: `${p.name || p.userId} (${p.role.toLowerCase()})` })), () => []),
        h('h2', {}, `Waiting (${waiting.length})`),
        personList(waiting.map((w) => ({ ...w, label: w.name || w.userId })), (w) => [
          h('button', { class: 'admit', onclick: () => c.admit(roomId, w.userId).then(render, fail) }, 'Admit'),
          h('button', { class: 'secondary deny', onclick: () => c.deny(roomId, w.userId).then(render, fail) }, 'Deny')]));
    } catch (err) { fail(err); }
  };
  await render();
  try {
    await c.watchRoom(roomId);
    const off = c.onGroupCallEvent((ev) => { if (ev.roomId === roomId) render(); });
    state.stopWatch = () => { off(); c.unwatchRoom(roomId).catch(() => {}); };
  } catch (err) { fail(err); }
}

// ---- the call ----

// What people read instead of the protocol's codes.
const ENDED_TEXT = {
  HOST_ENDED: 'The host ended the call.',
  ROOM_CLOSED: 'The room was closed.',
  ROOM_DELETED: 'The room was deleted.',
  REMOVED_BY_HOST: 'A host removed you from the call.',
  REPLACED: 'You joined this call from another window, so this one left it.',
  DENIED: 'A host did not let you in.',
};
const REJOIN_ERROR_TEXT = {
  ROOM_FULL: 'the call is full now',
  ROOM_NOT_FOUND: 'the room no longer exists',
  FORBIDDEN: 'you are not allowed back into this call',
};

/** The message for SDK_REJOINED: the connection was lost longer than the server keeps a place. */
function rejoinText(ev) {
  const away = 'Your connection was lost for a while';
  switch (ev.status) {
    case 'JOINED': return `${away}; you are back in the call.`;
    case 'HOST_REQUIRED': return `${away} and no host is in the call now; you will be let back in when one arrives.`;
    case 'WAITING_ROOM_PENDING': return `${away}; you are in the waiting room again until a host lets you in.`;
    case 'ROOM_CLOSED': return `${away} and the room has been closed meanwhile.`;
    default: return `${away} and you could not rejoin: ${REJOIN_ERROR_TEXT[ev.error && ev.error.code] || 'please try joining again'}.`;
  }
}

async function joinCall(room) {
  const c = state.client;
  clearTimers();
  say('Joining…');
  let result;
  try { result = await c.joinRoom(room.roomId); } catch (err) { fail(err); return; }
  if (result === 'ROOM_CLOSED') { say('This room is closed.', true); return; }
  if (result === 'HOST_REQUIRED' || result === 'WAITING_ROOM_PENDING') {
    say(result === 'HOST_REQUIRED' ? 'Waiting for a host to arrive…' : `Waiting for a host to let you in (position ${c.lastJoin.position})…`);
    main.replaceChildren(h('section', { class: 'card', id: 'waiting' }, h('h1', {}, room.name || room.roomId),
      h('p', {}, result === 'HOST_REQUIRED' ? 'A host needs to be here first. You will join as soon as one arrives.' : 'You are in the waiting room.'),
      h('button', { class: 'secondary', onclick: async () => { off(); await c.leaveCall(room.roomId).catch(() => {}); route(); } }, 'Leave')));
    const off = c.onGroupCallEvent((ev) => {
      if (ev.roomId !== room.roomId) return;
      if (ev.type === 'GROUP_CALL_HOST_PRESENT') { off(); joinCall(room); }
      if (ev.type === 'GROUP_CALL_ADMITTED') { off(); startCall(room); }
      if (ev.type === 'GROUP_CALL_DENIED') { off(); say(ENDED_TEXT[ev.reason] || 'You were not let in.', true); route(); }
      if (ev.type === 'SDK_REJOINED') {
        if (ev.status === 'JOINED') { off(); startCall(room); } else say(rejoinText(ev), ev.status !== 'WAITING_ROOM_PENDING' && ev.status !== 'HOST_REQUIRED');
      }
    });
    state.stopWatch = off;
    return;
  }
  startCall(room);
}

function tile(userId, label, stream, local = false) {
  const video = h('video', { autoplay: true, playsinline: true, muted: local, 'aria-label': `video of ${label}` });
  video.srcObject = stream;
  return h('div', { class: 'tile', 'data-user': userId }, video, h('span', { class: 'name' }, label));
}

/** The call page. The SDK keeps the call's roster and signals while the camera opens. */
async function startCall(room) {
  const c = state.client;
  const roomId = room.roomId;
  const me = c.userId;
  const roster = () => c.getCall(roomId);
  const nameOf = (userId) => {
    const r = roster();
    const p = r && r.participants.find((x) => x.userId === userId);
    return (p && p.name) || userId;
  };
  const isMod = () => { const r = roster(); return Boolean(r) && (r.role === 'HOST' || r.role === 'CO_HOST'); };
  let local = null;
  try {
    local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  } catch (err) {
    say(`No camera or microphone (${err.name}); joining without sending media.`, true);
  }
  if (!roster()) { // the call ended (or we were removed) while the camera opened
    for (const t of (local ? local.getTracks() : [])) t.stop();
    say('The call ended before you got in.', true);
    route();
    return;
  }
  const tiles = h('div', { class: 'tiles', id: 'tiles' });
  if (local) tiles.append(tile(me, `${me} (you)`, local, true));
  const people = h('div', { id: 'people' });
  const waitingEl = h('div', { id: 'waitlist' });
  const callTag = h('span', { class: 'tag', id: 'calltag' });
  const mesh = new MeshCall(c, {
    roomId, localStream: local, iceTransportPolicy: state.relayOnly ? 'relay' : 'all',
    onRemoteStream: (userId, stream) => {
      let t = tiles.querySelector(`.tile[data-user="${CSS.escape(userId)}"][data-stream="${CSS.escape(stream.id)}"]`);
      if (!t) {
        t = tile(userId, nameOf(userId), stream);
        t.dataset.stream = stream.id;
        tiles.append(t);
      }
    },
    onPeerLeft: (userId) => tiles.querySelectorAll(`.tile[data-user="${CSS.escape(userId)}"]`).forEach((t) => { if (userId !== me) t.remove(); }),
    onEnded: (ev) => { say(ENDED_TEXT[ev.reason] || 'The call ended.'); leave(); },
    onRejoined: (ev) => {
      const final = ev.status !== 'JOINED' && ev.status !== 'HOST_REQUIRED' && ev.status !== 'WAITING_ROOM_PENDING';
      say(rejoinText(ev), ev.status !== 'JOINED');
      if (final) { leave(); return; }
      renderCall();
    },
  });
  state.call = { mesh, roomId, get callId() { return mesh.callId; } };
  mesh.start();

  const renderPeople = () => {
    const r = roster();
    callTag.textContent = r && r.callId ? `call ${r.callId}` : 'rejoining…';
    if (!r || r.status !== 'JOINED') {
      people.replaceChildren(h('h2', {}, 'People'), h('p', { class: 'muted' }, 'You are not in the call right now.'));
      return;
    }
    const callId = r.callId;
    people.replaceChildren(h('h2', {}, `People (${r.participants.length})`),
      personList(r.participants.map((p) => ({ ...p, label: `${p.name || p.userId}${p.role !== 'PARTICIPANT' ? ` · ${p.role.toLowerCase()}` : ''}${p.audio ? '' : ' · muted'}${p.reconnecting ? ' · reconnecting' : ''}` })),
        (p) => (isMod() && p.userId !== me && p.role !== 'HOST' ? [
          h('button', { class: 'secondary', onclick: () => c.muteParticipant(callId, p.userId, 'audio').then(() => say(`Asked ${p.userId} to mute`), fail) }, 'Mute'),
          h('button', { class: 'danger', onclick: () => c.removeParticipant(callId, p.userId).then(renderCall, fail) }, 'Remove')] : [])));
  };
  // Who waits is not in the roster: hosts and co-hosts read it over REST.
  const renderWaiting = async () => {
    if (!isMod()) { waitingEl.replaceChildren(); return; }
    let r;
    try { r = await c.getRoom(roomId); } catch { return; }
    const waiting = (r.call && r.call.waiting) || [];
    waitingEl.replaceChildren(h('h2', {}, `Waiting (${waiting.length})`),
      personList(waiting.map((w) => ({ ...w, label: w.name || w.userId })), (w) => [
        h('button', { class: 'admit', onclick: () => c.admit(roomId, w.userId).then(renderCall, fail) }, 'Admit'),
        h('button', { class: 'secondary deny', onclick: () => c.deny(roomId, w.userId).then(renderCall, fail) }, 'Deny')]));
  };
  function renderCall() {
    renderPeople();
    renderWaiting();
    endBtn.hidden = !(roster() && roster().role === 'HOST');
  }
  const off = c.onGroupCallEvent((ev) => {
    if (ev.roomId !== roomId) return;
    if (ev.type === 'GROUP_CALL_MUTE_REQUESTED') { mesh.setMuted(ev.kind, true); micBtn.textContent = 'Unmute'; say(`${ev.by} muted your ${ev.kind}`); }
    if (['GROUP_CALL_PARTICIPANT_JOINED', 'GROUP_CALL_PARTICIPANT_LEFT', 'GROUP_CALL_PARTICIPANT_RECONNECTING', 'GROUP_CALL_PARTICIPANT_RECONNECTED',
      'GROUP_CALL_WAITING', 'GROUP_CALL_ROLE_CHANGED', 'GROUP_CALL_MEDIA_STATE', 'GROUP_CALL_ADMITTED'].includes(ev.type)) renderCall();
  });
  let wasDown = false;
  const offState = c.onConnectionState((s) => {
    if (s === 'reconnecting' && !wasDown) { wasDown = true; say('Connection lost; reconnecting…', true); }
    if (s === 'open' && wasDown) { wasDown = false; say('Reconnected.'); renderCall(); }
  });
  state.timers.push(setInterval(renderWaiting, 3000));

  let micOn = true; let camOn = true; let sharing = false;
  const micBtn = h('button', { id: 'mic', onclick: async () => { micOn = !micOn; await mesh.setMuted('audio', !micOn).catch(fail); micBtn.textContent = micOn ? 'Mute' : 'Unmute'; } }, 'Mute');
  const camBtn = h('button', { id: 'cam', onclick: async () => { camOn = !camOn; await mesh.setMuted('video', !camOn).catch(fail); camBtn.textContent = camOn ? 'Camera off' : 'Camera on'; } }, 'Camera off');
  const shareBtn = h('button', { id: 'share', class: 'secondary', onclick: async () => {
    try {
      if (!sharing) {
        const s = await navigator.mediaDevices.getDisplayMedia({ video: true });
        await mesh.startScreenShare(s);
        s.getVideoTracks()[0].addEventListener('ended', () => { if (sharing) shareBtn.click(); });
        tiles.append(tile(me, `${me} (screen)`, s, true));
      } else {
        await mesh.stopScreenShare();
        tiles.querySelectorAll('.tile').forEach((t) => { if (t.textContent.endsWith('(screen)')) t.remove(); });
      }
      sharing = !sharing;
      shareBtn.textContent = sharing ? 'Stop sharing' : 'Share screen';
    } catch (err) { fail(err); }
  } }, 'Share screen');
  const leaveBtn = h('button', { id: 'leave', class: 'danger', onclick: () => leave() }, 'Leave');
  const endBtn = h('button', { id: 'endcall', class: 'danger', onclick: () => c.endCall(mesh.callId).catch(fail) }, 'End for all');

  // Leaving, or going back to the room page when the call is over for us.
  async function leave() {
    off();
    offState();
    clearTimers();
    await mesh.leave().catch(fail);
    for (const t of (local ? local.getTracks() : [])) t.stop();
    state.call = null;
    route();
  }

  main.replaceChildren(h('section', { class: 'card' },
    h('h1', {}, room.name || room.roomId, ' ', callTag),
    h('div', { class: 'call' },
      h('div', {}, tiles, h('div', { class: 'row', style: 'margin-top:.6rem' }, micBtn, camBtn, shareBtn, leaveBtn, endBtn)),
      h('aside', { class: 'side' }, people, waitingEl))));
  say(`In the call as ${(roster().role || 'participant').toLowerCase()}.`);
  renderCall();
}

// ---- routing ----

async function route() {
  clearTimers();
  if (state.call) return; // the call page stays until leave
  if (!state.client) {
    const saved = localStorage.getItem('dpa.token');
    const fromHash = /[#&]token=([^&]+)/.exec(location.hash);
    const token = fromHash ? decodeURIComponent(fromHash[1]) : saved;
    if (token) {
      try {
        state.info = await signIn(token);
        if (fromHash) location.hash = '#/';
      } catch (err) {
        localStorage.removeItem('dpa.token');
        fail(err);
      }
    }
  }
  if (!state.client) { viewSignIn(); return; }
  if (!state.info) state.info = await state.client.getInfo().catch(() => null);
  const m = /^#\/room\/([^/?]+)/.exec(location.hash);
  if (m) viewRoom(decodeURIComponent(m[1]));
  else viewRooms();
}

window.addEventListener('hashchange', route);
route();
