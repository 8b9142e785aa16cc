// What people read instead of the protocol's codes: a sentence for every
// error code (REST, WebSocket and the SDK's own), every reason a call ends
// or someone leaves, and every outcome of joining. No DOM here, so
// tests/e2e/console-text.test.mjs checks it against protocol/droponair.v1.json
// and src/core/error.c under Node: a new code without a sentence fails there.

const RELOAD = 'Reload the page and try again; if it keeps happening, it is a bug in the console.';

const FIELD_LABELS = {
  name: 'the name',
  scheduledStartAt: 'the scheduled start',
  scheduledEndAt: 'the scheduled end',
  hosts: 'the hosts',
  'policy.maxParticipants': 'the maximum number of participants',
  'policy.waitingRoom': 'the waiting room',
  'policy.requireHost': '"Require a host"',
  'policy.autoCloseWhenEmpty': '"Close when the last one leaves"',
  metadata: 'the metadata',
  status: 'the status',
};

/** `policy.maxParticipants` → 'the maximum number of participants'; hosts[2] → 'the hosts'. */
function fieldLabel(field) {
  if (!field) return null;
  const base = String(field).replace(/\[\d+\]$/, '');
  return FIELD_LABELS[base] || FIELD_LABELS[base.split('.')[0]] || null;
}

/** The plan features people see, by the names /api/info gives. */
export const FEATURES = {
  scheduled_rooms: { title: 'Rooms', about: 'Create rooms, schedule them and run calls in them.' },
  waiting_room: { title: 'Waiting room', about: 'Hold people until a host lets them in.' },
  screen_share: { title: 'Screen sharing', about: 'Show your screen to everyone in the call.' },
};

export function featureTitle(name) {
  return (FEATURES[name] && FEATURES[name].title) || String(name).replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** Capitalized, with one full stop at the end. */
function sentence(text) {
  const t = String(text).trim().replace(/[.\s]+$/, '');
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}.`;
}

const people = (n) => `${n} ${n === 1 ? 'person' : 'people'}`;

/** ROOM_FULL: whose cap stopped it (`limitSource`), and how many that is when we know. */
function fullText(err, ctx) {
  const roomCap = ctx.room && ctx.room.policy ? ctx.room.policy.maxParticipants : null;
  const planCap = ctx.info && ctx.info.limits ? ctx.info.limits.maxParticipantsPerCall : null;
  const lead = ctx.action === 'admit' ? 'They cannot be let in yet: the call is full' : 'This call is full';
  if (err.limitSource === 'room' || (!err.limitSource && roomCap)) {
    return `${lead}: this room takes ${roomCap ? `at most ${people(roomCap)}` : 'no more people'} at once. Try again when someone leaves.`;
  }
  return `${lead}: it has ${planCap ? `${people(planCap)}, ` : ''}the most your app's plan allows in one call. Try again when someone leaves.`;
}

/**
 * The sentence for an error (a DropOnAirError, a TypeError from fetch, any
 * Error). ctx: {action, room, info} where action is what was tried: 'join',
 * 'create', 'save', 'delete', 'admit', 'deny', 'mute', 'remove', 'end',
 * 'share', 'media', 'signin', 'load', 'watch', 'leave'.
 */
export function errorText(err, ctx = {}) {
  if (!err) return 'Something went wrong. Please try again.';
  const code = err.code;
  const a = ctx.action;
  if (!code) {
    if (err.name === 'TypeError' || /fetch|network/i.test(err.message || '')) {
      return 'The server cannot be reached. Check your network connection and try again.';
    }
    return sentence(`Something went wrong: ${err.message || err}`);
  }
  switch (code) {
    case 'VALIDATION_FAILED': {
      const label = fieldLabel(err.field);
      const msg = String(err.message || '');
      if (label && msg.includes(err.field)) return sentence(msg.replace(err.field, label));
      return sentence(`Please check ${label || 'the form'}: ${msg || 'something there is not valid'}`);
    }
    case 'MALFORMED_JSON':
    case 'BAD_REQUEST':
    case 'METHOD_NOT_ALLOWED':
    case 'LENGTH_REQUIRED':
    case 'UNSUPPORTED_MEDIA_TYPE':
    case 'HEADERS_TOO_LARGE':
    case 'NOT_IMPLEMENTED':
      return `The server could not take that request. ${RELOAD}`;
    case 'PAYLOAD_TOO_LARGE':
      return 'That is more than the server takes in one request (64 KiB). Shorten the hosts or the metadata and try again.';
    case 'UNAUTHORIZED':
      return a === 'signin'
        ? 'That token was not accepted: it may be expired, malformed or signed with a key the server does not know.'
        : 'Your sign-in is no longer valid (the token may have expired). Please sign in again.';
    case 'FORBIDDEN':
      switch (a) {
        case 'join': return 'You are not allowed into this call: a host removed you from it. You can join again when a new call starts.';
        case 'save': case 'delete': return 'Only the person who created this room can change or delete it.';
        case 'share': return 'Someone else is sharing their screen. Only a host can share over them.';
        case 'admit': case 'deny': case 'mute': case 'remove': case 'watch': return 'Only hosts and co-hosts can do that.';
        case 'end': return 'Only a host can end the call for everyone.';
        default: return 'You are not allowed to do that.';
      }
    case 'FEATURE_NOT_ENABLED': {
      const what = a === 'share' ? 'screen sharing'
        : String(err.field || '').includes('waitingRoom') ? 'the waiting room'
          : a === 'create' ? 'rooms' : 'this feature';
      return `Your app's plan does not include ${what}. The Subscription page shows what your plan has.`;
    }
    case 'ROOM_LIMIT_REACHED': {
      const max = ctx.info && ctx.info.limits ? ` of ${ctx.info.limits.maxRoomsPerApp.toLocaleString()}` : '';
      return `Your app has used all${max} the rooms its plan allows. Delete rooms you no longer need (closed rooms count too), or move to a larger plan.`;
    }
    case 'ROOM_NOT_FOUND':
      return 'This room does not exist, or it was deleted. Check the link you were given.';
    case 'NOT_FOUND':
      return ['mute', 'remove'].includes(a) ? 'That person is no longer in the call.' : 'That could not be found; it may have just gone away.';
    case 'NOT_WAITING':
      return 'That person is no longer waiting: someone else let them in or turned them away, or they left.';
    case 'NO_LIVE_CALL':
      return 'The call has already ended.';
    case 'CALL_NOT_FOUND':
      return 'That call is not in the history: it never happened in your app, or its record was removed after the history period.';
    case 'IDEMPOTENCY_KEY_REUSED':
      return 'This request was already made with different details. Please try again.';
    case 'PRECONDITION_FAILED':
      return 'Someone changed this room while you were editing it. Open it again to see their changes, then make yours.';
    case 'ROOM_FULL':
      return fullText(err, ctx);
    case 'RATE_LIMITED':
      return 'Too many requests, or too many windows open as this user. Close a window or wait a moment, then try again.';
    case 'RESUME_EXPIRED':
    case 'SESSION_EXPIRED':
      return 'Your connection was away too long to pick up where it left off. Please try again.';
    case 'UNAVAILABLE':
      return 'The server is restarting or moving this call right now. Try again in a moment.';
    case 'STORE_UNAVAILABLE':
      return 'The server cannot use its database right now, so nothing was changed. Try again in a moment.';
    case 'INTERNAL':
    case 'FENCED':
      return 'Something went wrong on the server. Try again; if it keeps happening, tell whoever runs it.';
    case 'DISCONNECTED':
      return 'The connection to the server was lost. Check your network; the console keeps trying to reconnect.';
    case 'TIMEOUT':
      return 'The server did not answer in time. Check your network and try again.';
    default:
      return `${sentence(`Something went wrong${err.message ? `: ${err.message}` : ''}`)} Please try again.`;
  }
}

/**
 * Why the call is over for us: GROUP_CALL_ENDED, GROUP_CALL_REMOVED,
 * GROUP_CALL_DENIED and the SDK's SDK_CLOSED, by their `reason`.
 */
export function endedText(ev = {}, nameOf = (id) => id) {
  const by = ev.by ? nameOf(ev.by) : null;
  switch (ev.reason) {
    case 'HOST_ENDED': return 'The host ended the call for everyone.';
    case 'ROOM_CLOSED': return ev.type === 'GROUP_CALL_DENIED' ? 'The room was closed while you waited.' : 'The room was closed, so the call ended.';
    case 'ROOM_DELETED': return ev.type === 'GROUP_CALL_DENIED' ? 'The room was deleted while you waited.' : 'The room was deleted, so the call ended.';
    case 'REMOVED_BY_HOST': return by ? `${by} removed you from the call.` : 'A host removed you from the call.';
    case 'REPLACED': return 'You joined this call from another window or device, so this one left it.';
    case 'DENIED': return 'A host did not let you in this time.';
    default:
      if (ev.type === 'SDK_CLOSED') return 'You signed out, so you left the call.';
      return 'The call ended.';
  }
}

/** GROUP_CALL_PARTICIPANT_LEFT, by its reason: a passing notice. */
export function leftText(name, reason) {
  switch (reason) {
    case 'LEFT': return `${name} left the call.`;
    case 'DISCONNECTED': return `${name} lost their connection and left the call.`;
    case 'REMOVED': return `${name} was removed from the call.`;
    case 'REPLACED': return `${name} rejoined from another window.`;
    default: return `${name} left the call.`;
  }
}

/** GROUP_CALL_HOST_PRESENT, by its reason, for someone waiting for a host. */
export function hostPresentText(reason) {
  return reason === 'POLICY_CHANGED'
    ? 'The room no longer needs a host to be present. Joining…'
    : 'A host arrived. Joining…';
}

const REJOIN_ERROR_TEXT = {
  ROOM_FULL: 'the call is full now',
  ROOM_NOT_FOUND: 'the room no longer exists',
  FORBIDDEN: 'you are not allowed back into this call',
  RATE_LIMITED: 'too many windows are open as this user',
  STORE_UNAVAILABLE: 'the server cannot use its database right now',
};

/** SDK_REJOINED: the connection was lost longer than the server keeps a place. */
export function rejoinText(ev) {
  const away = 'Your connection was lost for a while';
  switch (ev.status) {
    case 'JOINED': return `${away}; you are back in the call.`;
    case 'HOST_REQUIRED': return `${away} and no host is in the call now; you will be let back in when one arrives.`;
    case 'WAITING_ROOM_PENDING': return `${away}; you are in the waiting room again until a host lets you in.`;
    case 'ROOM_CLOSED': return `${away} and the room has been closed meanwhile.`;
    default: return `${away} and you could not rejoin: ${REJOIN_ERROR_TEXT[ev.error && ev.error.code] || 'please try joining again'}.`;
  }
}

/** Whether SDK_REJOINED leaves us out of the call for good. */
export const rejoinIsFinal = (ev) => !['JOINED', 'HOST_REQUIRED', 'WAITING_ROOM_PENDING'].includes(ev.status);

/** A join that did not get in: ROOM_CLOSED (the others hold the caller, see the waiting view). */
export const ROOM_CLOSED_TEXT = 'This room is closed, so no one can join it now. Its creator can reopen it.';

/** getUserMedia / getDisplayMedia failures (DOMException names). */
export function mediaErrorText(err, what = 'your camera or microphone') {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `The browser is not allowed to use ${what}. Allow it in the address bar's site settings, then reload.`;
    case 'NotFoundError':
      return `No ${what === 'your screen' ? 'screen to share' : 'camera or microphone'} was found. You can still join and listen.`;
    case 'NotReadableError':
    case 'AbortError':
      return `${what[0].toUpperCase()}${what.slice(1)} is in use by another app or could not be started. Close the other app and try again.`;
    case 'OverconstrainedError':
      return 'The device you chose is no longer available. Pick another one.';
    default:
      return `${what[0].toUpperCase()}${what.slice(1)} could not be started${err && err.message ? ` (${err.message})` : ''}.`;
  }
}

export const ROLE_NAMES = { HOST: 'host', CO_HOST: 'co-host', PARTICIPANT: 'participant' };
