// What every view of the console shares: the page's state, element
// building, the status line and passing notices, view-scoped cleanups,
// icons, copying to the clipboard and dates in words.

/** The console's state; window.dpa for diagnostics and end-to-end tests. */
export const state = {
  client: null, // the signed-in DropOnAirClient
  info: null, // GET /api/info with the token: plan, features, limits
  serverInfo: null, // GET /api/info without one: every feature the server has
  call: null, // {mesh, roomId, callId, local, levels} while in a call
  relayOnly: false,
};

/** The router, set by app.js (the views call it to re-render). */
export const nav = { route: () => {} };

const main = () => document.getElementById('main');
const statusEl = () => document.getElementById('status');
const toastsEl = () => document.getElementById('toasts');

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c.nodeType ? c : String(c));
  return el;
}

// ---- views and what they leave running ----

let cleanups = [];
let viewSerial = 0;

/** Which view is showing: compare before and after an await to know it is still the same. */
export const currentView = () => viewSerial;

/** Runs fn when the current view goes away (timers, subscriptions). Call it once the view is shown, or from show()'s builder. */
export function onViewExit(fn) { cleanups.push(fn); }

/** A repeating timer that stops with the view. */
export function every(ms, fn) {
  const t = setInterval(fn, ms);
  onViewExit(() => clearInterval(t));
}

/** Ends the current view: its timers and subscriptions stop. */
function exitView() {
  const fns = cleanups;
  cleanups = [];
  viewSerial++;
  for (const fn of fns) {
    try { fn(); } catch (err) { console.warn('cleanup failed', err); }
  }
}

/**
 * Replaces the page's content with a new view, ending the old one first.
 * Give a function instead of nodes when building the view starts what must
 * stop with it (onViewExit, every): it runs after the old view has ended,
 * and returns the nodes.
 */
export function show(...nodes) {
  exitView();
  const content = typeof nodes[0] === 'function' ? [nodes[0]()].flat() : nodes;
  main().replaceChildren(...content);
  window.scrollTo(0, 0);
}

// ---- the status line: one current sentence, never a stale one ----

let flashed = null;

/** Shows text in the status line; kind: 'info', 'ok' or 'error'. */
export function say(text, kind = 'info') {
  const el = statusEl();
  el.textContent = text || '';
  el.className = `status ${text ? kind : ''}`;
}

export function clearStatus() { say(''); }

/** A sentence for the next view (it outlives one navigation, no more). */
export function flash(text, kind = 'ok') { flashed = { text, kind }; }

/** At each navigation: the flashed sentence if any, else nothing. */
export function statusForNewView() {
  if (flashed) say(flashed.text, flashed.kind);
  else clearStatus();
  flashed = null;
}

/** A passing notice in a call (someone joined, a host muted you); gone after a few seconds. */
export function notify(text, ms = 6000) {
  const el = h('div', { class: 'toast', role: 'status' }, text);
  toastsEl().append(el);
  setTimeout(() => el.remove(), ms);
  while (toastsEl().children.length > 3) toastsEl().firstChild.remove();
}

export function clearNotices() { toastsEl().replaceChildren(); }

// ---- icons (24x24, stroke) ----

const PATHS = {
  mic: '<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>',
  micOff: '<path d="M15 9.3V6a3 3 0 0 0-5.7-1.3M9 9v2a3 3 0 0 0 5 2.2M5 11a7 7 0 0 0 11.5 5.4M19 11a7 7 0 0 1-.6 2.8M12 18v3M3 3l18 18"/>',
  cam: '<rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3z"/>',
  camOff: '<path d="M16 16v1a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h2M10 6h5a1 1 0 0 1 1 1v3l5-3v10M3 3l18 18"/>',
  screen: '<rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4M9 10l3-3 3 3M12 7v6"/>',
  leave: '<path d="M4 14c4.5-4 11.5-4 16 0l-2 3-3-1v-2a9 9 0 0 0-6 0v2l-3 1z"/>',
  link: '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>',
  people: '<circle cx="9" cy="8" r="3"/><path d="M3 20a6 6 0 0 1 12 0M16 5a3 3 0 0 1 0 6M21 20a6 6 0 0 0-4-5.6"/>',
  stop: '<rect x="6" y="6" width="12" height="12" rx="2"/>',
};

export function icon(name) {
  const span = h('span', { class: 'icon', 'aria-hidden': 'true' });
  span.innerHTML = `<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${PATHS[name]}</svg>`;
  return span;
}

// ---- clipboard ----

/**
 * Copies text. Resolves true when it is on the clipboard; false when the
 * browser refused (then `input`, if given, is left selected for a manual copy).
 */
export async function copyText(text, input = null) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch { /* not allowed here: the old way */ }
  if (input) {
    input.focus();
    input.select();
    try { if (document.execCommand('copy')) return true; } catch { /* unsupported */ }
  }
  return false;
}

// ---- names and dates ----

/** An avatar's letters: the first of a one-word name, the first two of a longer one. */
export function initials(name) {
  const parts = String(name || '?').trim().split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] || '?')[0];
  return letters.toUpperCase();
}

const dateTime = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

const fmtWhen = (ms) => dateTime.format(new Date(ms));

/**
 * A room's schedule in words, or null when it has none (the schedule is
 * metadata: it never limits joining).
 */
export function scheduleText(start, end) {
  if (start == null && end == null) return null;
  if (start != null && end != null) {
    const a = new Date(start);
    const b = new Date(end);
    const sameDay = a.toDateString() === b.toDateString();
    return `${fmtWhen(start)} – ${sameDay ? timeOnly.format(b) : fmtWhen(end)}`;
  }
  return start != null ? `Starts ${fmtWhen(start)}` : `Ends ${fmtWhen(end)}`;
}

export const count = (n, one, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** A room's address in the console: what an invite link is. */
export const inviteUrl = (roomId) => `${location.origin}${location.pathname}#/room/${encodeURIComponent(roomId)}`;
