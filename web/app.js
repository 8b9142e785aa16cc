// The droponair console: sign-in, the rooms, a room's pre-join screen and
// call page, and the Subscription page (the app's plan, features, limits
// and usage). Plain DOM, and the JS SDK is the only client code: rooms
// over REST, the call over the SDK's WebSocket and its WebRTC mesh helper.
//
// Modules: ui.js (shared helpers), messages.js (every sentence people
// read), levels.js (audio levels, active speaker), media.js (camera and
// microphone, pre-join), call.js (joining, waiting), callview.js (the call
// page), rooms.js (rooms list and room page).
import { DropOnAirClient } from '/sdk/index.js';
import {
  state, nav, h, show, say, notify, statusForNewView, count,
} from './ui.js';
import { errorText, FEATURES, featureTitle } from './messages.js';
import { stopMedia } from './media.js';
import { viewRooms, viewRoom } from './rooms.js';

window.dpa = state; // for diagnostics and end-to-end tests

const capitalize = (s) => String(s || '').replace(/^./, (ch) => ch.toUpperCase());
const whoEl = document.getElementById('who');
const navEl = document.getElementById('nav');
const signoutBtn = document.getElementById('signout');

// ---- sign-in ----

async function signIn(token) {
  const client = new DropOnAirClient({ baseUrl: location.origin, token });
  const info = await client.getInfo();
  if (!info.userId) throw Object.assign(new Error('token not accepted'), { code: 'UNAUTHORIZED' });
  localStorage.setItem('dpa.token', token);
  state.client = client;
  state.info = info;
  whoEl.textContent = `${info.userId} · ${info.appId} · ${capitalize(info.plan)} plan`;
  navEl.hidden = false;
  signoutBtn.hidden = false;
  return info;
}

async function signOut() {
  localStorage.removeItem('dpa.token');
  if (state.call) { // leave the call first, so the others see us go at once
    const { mesh } = state.call;
    state.call = null;
    await mesh.leave().catch(() => {});
  }
  if (state.client) state.client.close();
  state.client = null;
  state.info = null;
  whoEl.textContent = '';
  navEl.hidden = true;
  signoutBtn.hidden = true;
  location.hash = '#/';
  route();
}
signoutBtn.addEventListener('click', signOut);

function viewSignIn() {
  const invited = /^#\/room\//.test(location.hash);
  const tokenBox = h('textarea', { id: 'token', rows: 4, 'aria-label': 'Token', placeholder: 'eyJhbGciOiJIUzI1NiIs…' });
  const go = async (token, button) => {
    if (!token) { say('Paste a token first.', 'error'); return; }
    button.disabled = true;
    try {
      await signIn(token);
      route();
    } catch (err) {
      say(errorText(err, { action: 'signin' }), 'error');
    } finally { button.disabled = false; }
  };
  const tokenBtn = h('button', { type: 'submit' }, 'Sign in');
  const card = h('section', { class: 'card narrow', id: 'signin' },
    h('h1', {}, invited ? 'Sign in to join the call' : 'Sign in'),
    invited ? h('p', {}, 'You were invited to a room. Sign in and you will see it, with your camera, before you join.') : null,
    h('form', { onsubmit: (e) => { e.preventDefault(); go(tokenBox.value.trim(), tokenBtn); } },
      h('label', { for: 'token' }, 'Token (a JWT from your backend, or from `droponaird token`)'), tokenBox,
      h('div', { class: 'row' }, tokenBtn)));
  if (state.serverInfo && state.serverInfo.devMode) {
    const name = h('input', { type: 'text', id: 'devuser', value: 'alice', autocomplete: 'off' });
    const devBtn = h('button', { type: 'submit', id: 'devsignin' }, 'Dev sign-in');
    card.append(h('form', {
      id: 'devform', class: 'devform',
      onsubmit: async (e) => {
        e.preventDefault();
        devBtn.disabled = true;
        try {
          const r = await fetch(`/api/dev/token?user=${encodeURIComponent(name.value.trim())}`);
          const body = await r.json();
          if (!r.ok) throw Object.assign(new Error(body.error.message), body.error);
          await go(body.token, devBtn);
        } catch (err) {
          say(errorText(err, { action: 'signin' }), 'error');
        } finally { devBtn.disabled = false; }
      },
    }, h('label', { for: 'devuser' }, 'Dev mode: sign in as any user'), h('div', { class: 'copy-row' }, name, devBtn)));
  }
  show(card);
}

// ---- the Subscription page: plan, features, limits, usage ----

/** Every room the user created or hosts, page after page (the usage we can see). */
async function roomsOfUser() {
  const rooms = [];
  let cursor;
  for (let page = 0; page < 100; page++) {
    const r = await state.client.listRooms({ limit: 200, cursor });
    rooms.push(...r.rooms);
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return rooms;
}

async function viewApp() {
  const c = state.client;
  let info;
  try {
    info = await c.getInfo();
    state.info = info;
  } catch (err) {
    say(errorText(err, { action: 'load' }), 'error');
    return;
  }
  const mine = new Set(info.features || []);
  const known = [...new Set([...Object.keys(FEATURES), ...((state.serverInfo && state.serverInfo.features) || []), ...mine])];
  const { maxRoomsPerApp, maxParticipantsPerCall } = info.limits || {};
  const usageLine = h('dd', { id: 'usage' }, 'Counting…');
  const meter = h('progress', { id: 'usage-meter', max: maxRoomsPerApp || 1, value: 0 });
  const usedBig = h('strong', { id: 'usage-rooms' }, '…');
  const liveLine = h('dd', { id: 'usage-live' }, '…');
  show(h('section', { class: 'card', id: 'subscription' },
    h('h1', {}, 'Subscription'),
    h('p', { class: 'muted' }, 'What your app ', h('code', {}, info.appId), ' can do on this server. Its plan is set by whoever runs the server.'),
    h('div', { class: 'plan-grid' },
      h('div', { class: 'plan-card' }, h('span', { class: 'eyebrow' }, 'Plan'), h('strong', { id: 'plan-name' }, capitalize(info.plan))),
      h('div', { class: 'plan-card' }, h('span', { class: 'eyebrow' }, 'Rooms used'), usedBig, meter),
      h('div', { class: 'plan-card' }, h('span', { class: 'eyebrow' }, 'People in one call'), h('strong', { id: 'limit-participants' }, `up to ${(maxParticipantsPerCall || 0).toLocaleString()}`))),
    h('h2', {}, 'Features'),
    h('ul', { class: 'features', id: 'features' }, known.map((f) => h('li', { class: mine.has(f) ? 'on' : 'off', 'data-feature': f },
      h('span', { class: 'mark', 'aria-hidden': 'true' }, mine.has(f) ? '✓' : '—'),
      h('div', {}, h('strong', {}, featureTitle(f)), FEATURES[f] ? h('p', { class: 'muted' }, FEATURES[f].about) : null),
      h('span', { class: 'state' }, mine.has(f) ? 'Included' : 'Not on your plan')))),
    h('h2', {}, 'Limits and usage'),
    h('dl', { class: 'facts', id: 'limits' },
      h('dt', {}, 'Rooms per app'), h('dd', { id: 'limit-rooms' }, `${(maxRoomsPerApp || 0).toLocaleString()} (closed rooms count; deleting a room frees its place)`),
      h('dt', {}, 'People in one call'), h('dd', {}, `${(maxParticipantsPerCall || 0).toLocaleString()} (a room can set fewer)`),
      h('dt', {}, 'Rooms used'), usageLine,
      h('dt', {}, 'Live now'), liveLine)));
  try {
    const rooms = await roomsOfUser();
    // The server counts every room of the app (GET /api/info usage.rooms), closed ones too.
    const used = info.usage ? info.usage.rooms : rooms.length;
    usedBig.textContent = `${used.toLocaleString()} of ${(maxRoomsPerApp || 0).toLocaleString()}`;
    meter.value = used;
    usageLine.textContent = `${count(used, 'room')} of ${(maxRoomsPerApp || 0).toLocaleString()} in your app (${count(rooms.length, 'room')} you created or host).`;
    const calls = rooms.filter((r) => r.call && r.call.participantCount);
    const people = calls.reduce((n, r) => n + r.call.participantCount, 0);
    liveLine.textContent = calls.length ? `${count(calls.length, 'call')} with ${count(people, 'person', 'people')} in your rooms` : 'No calls in your rooms right now.';
  } catch (err) {
    usageLine.textContent = errorText(err, { action: 'load' });
    liveLine.textContent = '—';
  }
}

// ---- routing ----

function markNav() {
  const page = location.hash === '#/app' ? 'app' : 'rooms';
  for (const a of navEl.querySelectorAll('a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (state.call) { // the call page stays until leave; the address stays the room's
    const hash = `#/room/${encodeURIComponent(state.call.roomId)}`;
    if (location.hash !== hash) {
      history.replaceState(null, '', hash);
      notify('Leave the call first to open another page.');
    }
    return;
  }
  statusForNewView();
  if (!state.serverInfo) state.serverInfo = await new DropOnAirClient({ baseUrl: location.origin }).getInfo().catch(() => ({}));
  if (!state.client) {
    const fromHash = /[#&]token=([^&]+)/.exec(location.hash);
    const token = fromHash ? decodeURIComponent(fromHash[1]) : localStorage.getItem('dpa.token');
    if (token) {
      try {
        await signIn(token);
        if (fromHash) history.replaceState(null, '', '#/');
      } catch (err) {
        localStorage.removeItem('dpa.token');
        say(errorText(err, { action: 'signin' }), 'error');
      }
    }
  }
  if (!state.client) {
    stopMedia();
    viewSignIn();
    return;
  }
  markNav();
  const m = /^#\/room\/([^/?]+)/.exec(location.hash);
  if (!m) stopMedia(); // the camera is on only on a room's page (and in its call)
  if (m) viewRoom(decodeURIComponent(m[1]));
  else if (location.hash === '#/app') viewApp();
  else viewRooms();
}

nav.route = route;
window.addEventListener('hashchange', route);
route();
