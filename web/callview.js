// The call page: a tile per person (name, role, microphone-off and
// camera-off badges, the active speaker highlighted from audio levels), the
// screen being shared shown large above them, the people and waiting lists
// with moderation, the controls, and the screen that says how it ended.
import { MeshCall } from '/sdk/webrtc.js';
import {
  state, nav, h, show, say, clearStatus, notify, clearNotices, onViewExit, every, icon, initials, copyText, inviteUrl,
} from './ui.js';
import {
  errorText, endedText, leftText, rejoinText, rejoinIsFinal, mediaErrorText, ROLE_NAMES,
} from './messages.js';
import { AudioLevels } from './levels.js';
import { media, localMedia, stopMedia, toggleButton } from './media.js';

/** Events after which the roster is shown again as it is, with nothing else to do. */
const PLAIN_EVENTS = new Set(['GROUP_CALL_PARTICIPANT_RECONNECTING', 'GROUP_CALL_PARTICIPANT_RECONNECTED',
  'GROUP_CALL_MEDIA_STATE', 'GROUP_CALL_ADMITTED']);

/**
 * Opens the call page once the camera (the pre-join screen's, perhaps still
 * asking) is ready. The SDK keeps the call's roster and signals meanwhile.
 */
export async function startCall(room) {
  const local = await localMedia();
  if (!state.client.getCall(room.roomId)) { // the call ended (or we were removed) while the camera opened
    viewLeft(room, 'The call ended before you got in.', 'error');
    return;
  }
  new CallView(room, local).start();
}

/** After a call (or a wait): what happened, and the way back in. */
export function viewLeft(room, text, kind = 'info') {
  stopMedia();
  clearNotices();
  clearStatus();
  const hash = `#/room/${encodeURIComponent(room.roomId)}`;
  show(h('section', { class: `card left ${kind}`, id: 'left' },
    h('h1', { id: 'left-text' }, text),
    room.name ? h('p', { class: 'muted' }, `Room: ${room.name}`) : null,
    h('div', { class: 'row' },
      h('button', { id: 'rejoin', onclick: () => { if (location.hash === hash) nav.route(); else location.hash = hash; } }, 'Join again'),
      h('a', { href: '#/', class: 'button secondary' }, 'Back to your rooms'))));
}

const badge = (cls, iconName, label) => h('span', { class: `badge ${cls}`, title: label, 'aria-label': label, role: 'img' }, icon(iconName));

class CallView {
  constructor(room, local) {
    this.c = state.client;
    this.room = room;
    this.roomId = room.roomId;
    this.me = state.info.userId;
    this.local = local;
    this.hasAudio = Boolean(local && local.getAudioTracks().length);
    this.hasVideo = Boolean(local && local.getVideoTracks().length);
    this.tiles = new Map(); // userId -> their camera's tile
    this.screens = new Map(); // userId -> the tile of the screen they share
    this.camIds = new Map(); // userId -> the id of their camera's stream
    this.names = new Map(); // who has been in the call, to name those who left
    this.sharing = null; // our screen's stream while we share
    this.leaving = false;
    this.wasDown = false;
    this.levels = new AudioLevels({ onSpeaker: (userId) => this.highlight(userId) });
    this.mesh = new MeshCall(this.c, {
      roomId: this.roomId, localStream: local, iceTransportPolicy: state.relayOnly ? 'relay' : 'all',
      onRemoteStream: (userId, stream) => this.onRemoteStream(userId, stream),
      onPeerLeft: (userId, info) => this.onPeerLeft(userId, info),
      onPeerState: (userId, st) => this.onPeerState(userId, st),
      onEnded: (ev) => this.leave(endedText(ev, (id) => this.nameOf(id)), ev.reason === 'HOST_ENDED' ? 'info' : 'error'),
      onRejoined: (ev) => this.onRejoined(ev),
    });
    this.buildPage();
  }

  // ---- the roster ----

  roster() { return this.c.getCall(this.roomId); }

  participant(userId) {
    const r = this.roster();
    return r ? r.participants.find((p) => p.userId === userId) : null;
  }

  nameOf(userId) {
    const p = this.participant(userId);
    return (p && p.name) || this.names.get(userId) || userId;
  }

  isMod() {
    const r = this.roster();
    return Boolean(r) && (r.role === 'HOST' || r.role === 'CO_HOST');
  }

  micOn() { return this.hasAudio && media.micOn; }

  camOn() { return this.hasVideo && media.camOn; }

  // ---- the page ----

  buildPage() {
    this.tilesEl = h('div', { class: 'tiles', id: 'tiles' });
    this.stageEl = h('div', { class: 'stage', id: 'stage', hidden: true });
    this.people = h('div', { id: 'people' });
    this.waitingEl = h('div', { id: 'waitlist' });
    this.callTag = h('span', { class: 'tag calltag', id: 'calltag' });
    this.title = h('h1', {}, this.room.name || 'Untitled room');
    this.micBtn = toggleButton('mic', 'mic', 'micOff', 'Mute', 'Unmute', () => this.micOn(), () => this.toggle('audio'));
    this.camBtn = toggleButton('cam', 'cam', 'camOff', 'Camera off', 'Camera on', () => this.camOn(), () => this.toggle('video'));
    this.canShare = Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    this.planShares = !state.info || (state.info.features || []).includes('screen_share');
    this.shareBtn = h('button', {
      id: 'share', type: 'button', class: 'ctl',
      title: !this.planShares ? "Your app's plan does not include screen sharing" : !this.canShare ? 'This browser cannot share a screen' : null,
      onclick: () => (this.sharing ? this.stopSharing() : this.startSharing()),
    });
    const inviteBtn = h('button', { id: 'invite-call', type: 'button', class: 'ctl', onclick: () => this.copyInvite() },
      icon('link'), h('span', { class: 'label' }, 'Invite'));
    const leaveBtn = h('button', { id: 'leave', type: 'button', class: 'ctl danger', onclick: () => this.leave() },
      icon('leave'), h('span', { class: 'label' }, 'Leave'));
    this.endBtn = h('button', {
      id: 'endcall', type: 'button', class: 'ctl danger',
      onclick: () => this.c.endCall(this.mesh.callId).catch((err) => this.fail(err, 'end')),
    }, icon('stop'), h('span', { class: 'label' }, 'End for all'));
    this.el = h('section', { class: 'call', id: 'call' },
      h('div', { class: 'call-head' }, this.title, this.callTag),
      h('div', { class: 'call-main' },
        h('div', { class: 'call-media' }, this.stageEl, this.tilesEl),
        h('aside', { class: 'side' }, this.people, this.waitingEl)),
      h('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Call controls' },
        this.micBtn, this.camBtn, this.shareBtn, inviteBtn, leaveBtn, this.endBtn));
  }

  /** Shows the page and starts the mesh, the levels and the subscriptions. */
  start() {
    const { c, mesh } = this;
    clearNotices();
    show(this.el);
    state.call = { mesh, roomId: this.roomId, local: this.local, levels: this.levels, get callId() { return mesh.callId; } };
    mesh.start();
    if (this.local) this.levels.set(this.me, this.local);
    if (media.error) {
      const without = this.hasAudio ? 'a camera' : this.hasVideo ? 'a microphone' : 'camera or microphone';
      say(`${mediaErrorText(media.error)} You are in the call without ${without}.`, 'error');
    }
    if (!this.micOn() || !this.camOn()) { // joined muted, or without a device: tell the others
      c.setMediaState(mesh.callId, { audio: this.micOn(), video: this.camOn() }).catch((err) => this.fail(err, 'media'));
    }
    const off = c.onGroupCallEvent((ev) => { if (ev.roomId === this.roomId) this.onEvent(ev); });
    const offState = c.onConnectionState((s) => this.onConnection(s));
    onViewExit(() => {
      off();
      offState();
      this.levels.close();
    });
    every(3000, () => this.renderWaiting());
    this.renderCall();
  }

  fail(err, action) {
    say(errorText(err, { action, room: this.room, info: state.info }), 'error');
  }

  renderCall() {
    this.syncTiles();
    this.renderPeople();
    this.renderWaiting();
    this.renderControls();
  }

  // ---- tiles ----

  makeTile(userId, screen = false) {
    const self = userId === this.me;
    const video = h('video', { autoplay: true, playsinline: true });
    video.muted = self || screen; // our own sound is never played back; a screen has none
    const t = {
      userId, video, stream: null, peerState: null,
      name: h('span', { class: 'name' }),
      badges: h('span', { class: 'badges' }),
      note: h('span', { class: 'tile-note' }),
      avatar: h('div', { class: 'avatar', 'aria-hidden': 'true' }),
    };
    t.el = h('div', { class: `tile${self ? ' self' : ''}${screen ? ' screen' : ''}`, 'data-user': userId, 'data-kind': screen ? 'screen' : 'camera' },
      video, t.avatar, t.note, h('div', { class: 'tile-bar' }, t.name, t.badges));
    return t;
  }

  attach(t, stream) {
    t.stream = stream;
    if (t.video.srcObject !== stream) t.video.srcObject = stream;
  }

  /** A tile's name, badges and note from the roster (ours from our own toggles). */
  updateTile(t) {
    const p = this.participant(t.userId);
    const self = t.userId === this.me;
    const name = this.nameOf(t.userId);
    const audio = self ? this.micOn() : !p || p.audio !== false;
    const video = self ? this.camOn() : !p || p.video !== false;
    const liveVideo = Boolean(t.stream && t.stream.getVideoTracks().some((x) => x.readyState === 'live'));
    const whose = self ? 'Your' : `${name}'s`;
    t.name.textContent = self ? `${name} (you)` : name;
    t.avatar.textContent = initials(name);
    t.badges.replaceChildren(
      p && p.role !== 'PARTICIPANT' ? h('span', { class: 'badge role' }, ROLE_NAMES[p.role]) : '',
      audio ? '' : badge('mic-off', 'micOff', `${whose} microphone is off`),
      video ? '' : badge('cam-off', 'camOff', `${whose} camera is off`));
    t.el.classList.toggle('cam-off', !video || !liveVideo);
    let note = '';
    if ((p && p.reconnecting) || (!self && (t.peerState === 'disconnected' || t.peerState === 'failed'))) note = 'Reconnecting…';
    else if (!self && !t.stream) note = 'Connecting…';
    t.note.textContent = note;
    this.levels.setEnabled(t.userId, audio);
  }

  /** Tiles follow the roster: one per person, in the order they joined. */
  syncTiles() {
    const r = this.roster();
    if (!r) return;
    const present = new Set();
    for (const p of r.participants) {
      present.add(p.userId);
      this.names.set(p.userId, p.name || p.userId);
      let t = this.tiles.get(p.userId);
      if (!t) {
        t = this.makeTile(p.userId);
        this.tiles.set(p.userId, t);
        if (p.userId === this.me && this.local) this.attach(t, this.local);
      }
      this.tilesEl.append(t.el); // in the roster's order
      this.updateTile(t);
    }
    for (const [userId, t] of this.tiles) {
      if (present.has(userId)) continue;
      t.el.remove();
      this.tiles.delete(userId);
      this.levels.remove(userId);
      this.removeScreen(userId);
    }
    this.tilesEl.dataset.count = String(this.tiles.size);
  }

  /** The active speaker's tile and line in the people list are highlighted. */
  highlight(userId) {
    for (const t of this.tiles.values()) t.el.classList.toggle('speaking', t.userId === userId);
    for (const li of this.people.querySelectorAll('li[data-user]')) li.classList.toggle('speaking', li.dataset.user === userId);
  }

  /**
   * Which of a person's streams is their camera and which their screen:
   * the camera's is the one with sound, or the first one; a screen arrives
   * as a second stream, video only, while they share.
   */
  classify(userId, stream) {
    if (this.camIds.get(userId) === stream.id) return 'camera';
    const sc = this.screens.get(userId);
    if (sc && sc.stream && sc.stream.id === stream.id) return 'screen';
    if (stream.getAudioTracks().length) return 'camera';
    if (this.camIds.has(userId)) return 'screen';
    const p = this.participant(userId);
    return p && p.screenSharing && p.video === false ? 'screen' : 'camera';
  }

  showScreen(userId, stream) {
    let s = this.screens.get(userId);
    if (!s) {
      s = this.makeTile(userId, true);
      this.screens.set(userId, s);
      this.stageEl.append(s.el);
    }
    this.attach(s, stream);
    s.name.textContent = userId === this.me ? 'Your screen' : `${this.nameOf(userId)}'s screen`;
    stream.addEventListener('removetrack', () => {
      if (s.stream === stream && !stream.getVideoTracks().length) this.removeScreen(userId);
    });
    this.updateStage();
  }

  removeScreen(userId) {
    const s = this.screens.get(userId);
    if (!s) return;
    s.el.remove();
    this.screens.delete(userId);
    this.updateStage();
  }

  updateStage() {
    this.stageEl.hidden = this.screens.size === 0;
    this.el.classList.toggle('has-stage', this.screens.size > 0);
  }

  // ---- the mesh ----

  onRemoteStream(userId, stream) {
    if (this.classify(userId, stream) === 'screen') {
      this.showScreen(userId, stream);
      return;
    }
    this.camIds.set(userId, stream.id);
    if (!this.tiles.has(userId)) this.syncTiles();
    const t = this.tiles.get(userId);
    if (!t) return;
    this.attach(t, stream);
    this.levels.set(userId, stream);
    stream.onaddtrack = () => {
      this.levels.set(userId, stream);
      this.updateTile(t);
    };
    this.updateTile(t);
  }

  onPeerLeft(userId, { rebuilt }) {
    const t = this.tiles.get(userId);
    if (t && !rebuilt) {
      t.stream = null;
      t.video.srcObject = null;
      this.levels.remove(userId);
      this.removeScreen(userId);
    }
    this.syncTiles();
  }

  onPeerState(userId, st) {
    const t = this.tiles.get(userId);
    if (!t) return;
    t.peerState = st;
    this.updateTile(t);
  }

  onRejoined(ev) {
    if (rejoinIsFinal(ev)) {
      this.leave(rejoinText(ev), 'error');
      return;
    }
    say(rejoinText(ev), ev.status === 'JOINED' ? 'ok' : 'error');
    this.camIds.clear();
    this.renderCall();
  }

  // ---- the side panel: who is here, who waits ----

  /** A moderation button's action: done, the lists again; refused, in words. */
  act(action, fn) {
    return () => fn().then(() => this.renderCall(), (err) => this.fail(err, action));
  }

  renderPeople() {
    const { c } = this;
    const r = this.roster();
    this.callTag.textContent = r && r.callId ? `call ${r.callId}` : 'rejoining…';
    if (!r || r.status !== 'JOINED') {
      this.people.replaceChildren(h('h2', {}, 'People'), h('p', { class: 'muted' }, 'You are not in the call right now.'));
      return;
    }
    const ul = h('ul', { class: 'people' });
    for (const p of r.participants) {
      const self = p.userId === this.me;
      const name = p.name || p.userId;
      const muted = self ? !this.micOn() : p.audio === false;
      const bits = [p.role !== 'PARTICIPANT' ? ROLE_NAMES[p.role] : null, muted ? 'muted' : null, p.reconnecting ? 'reconnecting' : null].filter(Boolean);
      const actions = this.isMod() && !self && p.role !== 'HOST' ? [
        h('button', { class: 'secondary small', onclick: this.act('mute', () => c.muteParticipant(r.callId, p.userId, 'audio').then(() => notify(`You asked ${name} to mute.`))) }, 'Mute'),
        h('button', { class: 'danger small', onclick: this.act('remove', () => c.removeParticipant(r.callId, p.userId)) }, 'Remove')] : [];
      ul.append(h('li', { 'data-user': p.userId, class: this.levels.speaker === p.userId ? 'speaking' : null },
        h('span', { class: 'who-line' }, h('span', { class: 'avatar mini', 'aria-hidden': 'true' }, initials(name)),
          h('span', {}, `${name}${self ? ' (you)' : ''}`, bits.length ? h('span', { class: 'muted' }, ` · ${bits.join(' · ')}`) : null)),
        h('span', { class: 'row' }, ...actions)));
    }
    this.people.replaceChildren(h('h2', {}, `People (${r.participants.length})`), ul);
  }

  /** Who waits is not in the roster: hosts and co-hosts read it over REST. */
  async renderWaiting() {
    const { c } = this;
    if (!this.isMod()) {
      this.waitingEl.replaceChildren();
      return;
    }
    let room;
    try { room = await c.getRoom(this.roomId); } catch { return; }
    const waiting = (room.call && room.call.waiting) || [];
    const ul = h('ul', { class: 'people' });
    if (!waiting.length) ul.append(h('li', { class: 'muted' }, 'No one is waiting.'));
    for (const w of waiting) {
      ul.append(h('li', { 'data-user': w.userId }, h('span', {}, w.name || w.userId),
        h('span', { class: 'row' },
          h('button', { class: 'admit small', onclick: this.act('admit', () => c.admit(this.roomId, w.userId)) }, 'Admit'),
          h('button', { class: 'secondary deny small', onclick: this.act('deny', () => c.deny(this.roomId, w.userId)) }, 'Deny'))));
    }
    this.waitingEl.replaceChildren(h('h2', {}, `Waiting (${waiting.length})`), ul);
  }

  // ---- controls ----

  renderControls() {
    this.micBtn.render();
    this.camBtn.render();
    this.micBtn.disabled = !this.hasAudio;
    this.camBtn.disabled = !this.hasVideo;
    this.shareBtn.replaceChildren(icon('screen'), h('span', { class: 'label' }, this.sharing ? 'Stop sharing' : 'Share screen'));
    this.shareBtn.classList.toggle('on', Boolean(this.sharing));
    this.shareBtn.disabled = !this.sharing && (!this.planShares || !this.canShare);
    const r = this.roster();
    this.endBtn.hidden = !(r && r.role === 'HOST');
  }

  /** The microphone or camera on or off, and the others told. */
  async toggle(kind) {
    const on = kind === 'audio' ? !media.micOn : !media.camOn;
    if (kind === 'audio') media.micOn = on;
    else media.camOn = on;
    this.renderControls();
    await this.mesh.setMuted(kind, !on).catch((err) => this.fail(err, 'media'));
    this.renderCall();
  }

  async copyInvite() {
    const url = inviteUrl(this.roomId);
    notify(await copyText(url) ? 'Invite link copied. Anyone in your app who has it can ask to join.' : `Copy this invite link: ${url}`);
  }

  async startSharing() {
    let s;
    try {
      s = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch (err) {
      if (err.name !== 'NotAllowedError') say(mediaErrorText(err, 'your screen'), 'error'); // NotAllowed: the picker was cancelled
      return;
    }
    try {
      await this.mesh.startScreenShare(s);
    } catch (err) {
      for (const t of s.getTracks()) t.stop();
      this.fail(err, 'share');
      return;
    }
    this.sharing = s;
    s.getVideoTracks()[0].addEventListener('ended', () => { if (this.sharing === s) this.stopSharing(); });
    this.showScreen(this.me, s);
    this.renderControls();
  }

  async stopSharing() {
    if (!this.sharing) return;
    this.sharing = null;
    this.removeScreen(this.me);
    this.renderControls();
    await this.mesh.stopScreenShare().catch((err) => this.fail(err, 'share'));
  }

  // ---- what happens in the call ----

  onEvent(ev) {
    const { me } = this;
    switch (ev.type) {
      case 'GROUP_CALL_MUTE_REQUESTED':
        if (ev.kind === 'audio') media.micOn = false;
        else media.camOn = false;
        this.mesh.setMuted(ev.kind, true).catch(() => {});
        notify(`${this.nameOf(ev.by)} turned off your ${ev.kind === 'audio' ? 'microphone' : 'camera'}.`);
        break;
      case 'GROUP_CALL_PARTICIPANT_JOINED':
        this.camIds.delete(ev.userId); // a new session: new streams
        if (ev.userId !== me) notify(`${ev.name || ev.userId} joined.`);
        break;
      case 'GROUP_CALL_PARTICIPANT_LEFT':
        if (ev.userId !== me) notify(leftText(this.names.get(ev.userId) || ev.userId, ev.reason));
        break;
      case 'GROUP_CALL_WAITING':
        notify(`${ev.name || ev.userId} is waiting to join.`);
        break;
      case 'GROUP_CALL_ROLE_CHANGED':
        if (ev.userId === me) notify(`You are now a ${ROLE_NAMES[ev.role] || 'participant'} in this call.`);
        break;
      case 'GROUP_CALL_SCREEN_SHARE_STARTED':
        if (ev.userId !== me) notify(`${this.nameOf(ev.userId)} is sharing their screen.`);
        break;
      case 'GROUP_CALL_SCREEN_SHARE_STOPPED':
        if (ev.userId !== me) this.removeScreen(ev.userId);
        else if (this.sharing) {
          if (ev.by && ev.by !== me) notify(`${this.nameOf(ev.by)} started sharing, so your screen share stopped.`);
          this.stopSharing();
        }
        break;
      case 'ROOM_UPDATED':
        if (ev.room) this.title.textContent = ev.room.name || 'Untitled room';
        return;
      default:
        if (!PLAIN_EVENTS.has(ev.type)) return;
    }
    this.renderCall();
  }

  onConnection(s) {
    if (s === 'reconnecting' && !this.wasDown) {
      this.wasDown = true;
      say('Connection lost; reconnecting…', 'error');
    }
    if (s === 'open' && this.wasDown) {
      this.wasDown = false;
      say('Reconnected.', 'ok');
      this.renderCall();
    }
  }

  /** Leaving, or the call is over for us: the screen that says so. */
  async leave(text = 'You left the call.', kind = 'info') {
    if (this.leaving) return;
    this.leaving = true;
    if (this.sharing) for (const t of this.sharing.getTracks()) t.stop();
    await this.mesh.leave().catch(() => {}); // the server drops us after its grace anyway
    state.call = null;
    viewLeft(this.room, text, kind);
  }
}
