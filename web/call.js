// Joining a room's call from the console: the Join button's outcomes in
// words, and the screen of someone held before the call (no host yet, or
// the waiting room) until they get in, are turned away, or leave.
import { state, h, show, say, clearStatus, onViewExit, initials } from './ui.js';
import {
  errorText, endedText, hostPresentText, rejoinText, rejoinIsFinal, ROOM_CLOSED_TEXT,
} from './messages.js';
import { resumeAudio } from './levels.js';
import { media } from './media.js';
import { startCall, viewLeft } from './callview.js';

/**
 * Joins the room's call (the Join button, or again once a host is there).
 * Errors and a closed room are told in words; joinBtn is enabled again.
 */
export async function joinCall(room, joinBtn = null) {
  const c = state.client;
  resumeAudio();
  clearStatus();
  if (joinBtn) {
    joinBtn.disabled = true;
    joinBtn.textContent = 'Joining…';
  }
  const refuse = (text) => {
    if (!joinBtn) { // joining again by itself, from the waiting screen
      viewLeft(room, text, 'error');
      return;
    }
    joinBtn.disabled = false;
    joinBtn.textContent = 'Join call';
    say(text, 'error');
  };
  let r;
  try {
    r = await c.join(room.roomId);
  } catch (err) {
    refuse(errorText(err, { action: 'join', room, info: state.info }));
    return;
  }
  if (r.status === 'JOINED') startCall(room);
  else if (r.status === 'ROOM_CLOSED') refuse(ROOM_CLOSED_TEXT);
  else viewWaiting(room, r);
}

/** Held before the call: no host yet (HOST_REQUIRED) or in the waiting room. */
function viewWaiting(room, r) {
  const c = state.client;
  const held = r.status === 'HOST_REQUIRED';
  let staying = false; // going on into the call (or out by the server's word): no leave on exit
  const video = h('video', { autoplay: true, playsinline: true, 'aria-label': 'Your camera' });
  video.muted = true;
  video.srcObject = media.stream;
  const showSelf = () => { video.srcObject = media.stream; };
  media.listeners.add(showSelf);
  const cancel = h('button', {
    class: 'secondary', id: 'cancel-wait',
    onclick: async () => {
      staying = true;
      await c.leaveCall(room.roomId).catch(() => {});
      viewLeft(room, held ? 'You stopped waiting for a host.' : 'You left the waiting room.');
    },
  }, 'Leave');
  const lead = h('p', { class: 'lead' }, held
    ? 'A host needs to be here first. You will join as soon as one arrives.'
    : 'You are in the waiting room. A host will let you in.');
  show(h('section', { class: 'card waiting', id: 'waiting' },
    h('div', { class: 'tile self small' }, video, h('div', { class: 'avatar', 'aria-hidden': 'true' }, initials(state.info.userId))),
    h('div', {},
      h('h1', {}, room.name || 'Untitled room'),
      lead,
      !held && r.position ? h('p', { class: 'muted' }, r.position === 1 ? 'You are next in line.' : `You are number ${r.position} in line.`) : null,
      h('div', { class: 'row' }, cancel))));
  const off = c.onGroupCallEvent((ev) => {
    if (ev.roomId !== room.roomId) return;
    if (ev.type === 'GROUP_CALL_HOST_PRESENT') {
      staying = true;
      lead.textContent = hostPresentText(ev.reason);
      joinCall(room);
    } else if (ev.type === 'GROUP_CALL_ADMITTED') {
      staying = true;
      startCall(room);
    } else if (ev.type === 'GROUP_CALL_DENIED') {
      staying = true;
      viewLeft(room, endedText(ev), 'error');
    } else if (ev.type === 'SDK_REJOINED') {
      if (ev.status === 'JOINED') {
        staying = true;
        startCall(room);
      } else if (rejoinIsFinal(ev)) {
        staying = true;
        viewLeft(room, rejoinText(ev), 'error');
      } else say(rejoinText(ev));
    }
  });
  onViewExit(() => {
    off();
    media.listeners.delete(showSelf);
    if (!staying) c.leaveCall(room.roomId).catch(() => {}); // navigated away: stop waiting
  });
}
