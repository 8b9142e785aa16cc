// The camera and microphone: opened on the pre-join screen (with a
// preview, a microphone meter, pickers and on/off toggles), kept while
// waiting, and handed to the call, which uses exactly what was chosen.
import { state, h, onViewExit, icon, initials } from './ui.js';
import { mediaErrorText } from './messages.js';
import { AudioLevels } from './levels.js';

const PREF = { audio: 'dpa.microphone', video: 'dpa.camera' };

/**
 * The local media: opened on the pre-join screen, kept while waiting and
 * handed to the call. `pending` is the getUserMedia in flight (a promise of
 * the stream or null); `error` why there is no stream (or no camera or no
 * microphone in it).
 */
export const media = {
  stream: null, pending: null, busy: false, error: null, gen: 0,
  micOn: true, camOn: true,
  listeners: new Set(), // views showing the stream: called when it changes
};

function releaseTracks(stream) {
  if (stream) for (const t of stream.getTracks()) t.stop();
}

function constraint(kind) {
  const id = localStorage.getItem(PREF[kind]);
  const base = kind === 'video' ? { width: { ideal: 640 }, height: { ideal: 480 } } : {};
  if (id) return { ...base, deviceId: { exact: id } };
  return kind === 'video' ? base : true;
}

function changed() {
  for (const fn of media.listeners) fn();
}

/** Turns tracks on or off as the toggles say (a track stays open while off). */
function applyToggles() {
  if (!media.stream) return;
  for (const t of media.stream.getAudioTracks()) t.enabled = media.micOn;
  for (const t of media.stream.getVideoTracks()) t.enabled = media.camOn;
}

/**
 * Opens the chosen camera and microphone (or the defaults) in place of the
 * current stream. Without one of them it settles for the other. Resolves to
 * the stream, or null (media.error says why).
 */
function openMedia() {
  const gen = ++media.gen;
  releaseTracks(media.stream);
  media.stream = null;
  media.busy = true;
  media.pending = (async () => {
    const md = navigator.mediaDevices;
    let error = null;
    const attempt = async (c) => {
      try { return await md.getUserMedia(c); } catch (err) { error = error || err; return null; }
    };
    let stream = null;
    if (!md || !md.getUserMedia) {
      error = { name: 'SecurityError', message: 'camera and microphone need a secure (https) page' };
    } else {
      stream = await attempt({ audio: constraint('audio'), video: constraint('video') });
      if (!stream && error.name === 'OverconstrainedError') { // a device chosen earlier is gone
        localStorage.removeItem(PREF.audio);
        localStorage.removeItem(PREF.video);
        stream = await attempt({ audio: true, video: constraint('video') });
      }
      if (!stream && error.name !== 'NotAllowedError' && error.name !== 'SecurityError') {
        stream = (await attempt({ audio: constraint('audio') })) || (await attempt({ video: constraint('video') }));
      }
    }
    if (gen !== media.gen) { // a newer choice replaced this one
      releaseTracks(stream);
      return media.pending;
    }
    media.stream = stream;
    media.error = stream && stream.getAudioTracks().length && stream.getVideoTracks().length ? null : error;
    media.busy = false;
    applyToggles();
    changed();
    return stream;
  })();
  return media.pending;
}

/** Closes the camera and microphone (the call is over, or we left the room). */
export function stopMedia() {
  media.gen++;
  releaseTracks(media.stream);
  media.stream = null;
  media.pending = null;
  media.busy = false;
  changed();
}

/** The stream to use now: the one open, the one opening, or a new one. */
export function localMedia() {
  if (media.busy) return media.pending;
  if (media.stream) return Promise.resolve(media.stream);
  return openMedia();
}

function trackDevice(kind) {
  const t = media.stream && media.stream.getTracks().find((x) => x.kind === kind);
  return t ? t.getSettings().deviceId : null;
}

async function fillPickers(camSel, micSel) {
  let devices = [];
  try { devices = await navigator.mediaDevices.enumerateDevices(); } catch { /* none listed */ }
  const fill = (sel, kind, what) => {
    const list = devices.filter((d) => d.kind === `${kind}input` && d.deviceId);
    const current = trackDevice(kind) || localStorage.getItem(PREF[kind]);
    sel.replaceChildren(...list.map((d, i) => h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label || `${what} ${i + 1}`)));
    if (!list.length) sel.append(h('option', { value: '' }, `No ${what.toLowerCase()} found`));
    sel.disabled = !list.length;
  };
  fill(camSel, 'video', 'Camera');
  fill(micSel, 'audio', 'Microphone');
}

/** A round on/off button with an icon and a label. */
export function toggleButton(id, onIcon, offIcon, onLabel, offLabel, isOn, onclick) {
  const btn = h('button', { id, type: 'button', class: 'ctl', onclick });
  btn.render = () => {
    const on = isOn();
    btn.replaceChildren(icon(on ? onIcon : offIcon), h('span', { class: 'label' }, on ? onLabel : offLabel));
    btn.classList.toggle('off', !on);
    btn.setAttribute('aria-pressed', String(!on));
  };
  btn.render();
  return btn;
}

/**
 * The pre-join panel: the camera preview with a microphone meter, the
 * camera and microphone pickers, and whether to join with each on or off.
 */
export function prejoinPanel() {
  const me = state.info.userId;
  const video = h('video', { id: 'preview', autoplay: true, playsinline: true, 'aria-label': 'Your camera' });
  video.muted = true; // never play our own microphone back
  const bar = h('span');
  const tile = h('div', { class: 'tile self preview', id: 'preview-tile' },
    video, h('div', { class: 'avatar', 'aria-hidden': 'true' }, initials(me)),
    h('div', { class: 'meter', title: 'Microphone level', 'aria-hidden': 'true' }, bar));
  const note = h('p', { class: 'preview-note', id: 'preview-note', role: 'status' });
  const camSel = h('select', { id: 'camera-select', 'aria-label': 'Camera' });
  const micSel = h('select', { id: 'mic-select', 'aria-label': 'Microphone' });
  const pick = (kind, sel) => () => {
    localStorage.setItem(PREF[kind], sel.value);
    openMedia();
  };
  camSel.addEventListener('change', pick('video', camSel));
  micSel.addEventListener('change', pick('audio', micSel));
  const micBtn = toggleButton('pre-mic', 'mic', 'micOff', 'Mic on', 'Mic off', () => media.micOn, () => {
    media.micOn = !media.micOn;
    applyToggles();
    render();
  });
  const camBtn = toggleButton('pre-cam', 'cam', 'camOff', 'Camera on', 'Camera off', () => media.camOn, () => {
    media.camOn = !media.camOn;
    applyToggles();
    render();
  });
  const levels = new AudioLevels({
    onTick: (l) => { bar.style.width = `${Math.min(100, Math.round(Math.sqrt(l.self || 0) * 250))}%`; },
  });

  function render() {
    const s = media.stream;
    if (video.srcObject !== s) video.srcObject = s;
    const hasVideo = Boolean(s && s.getVideoTracks().length);
    tile.classList.toggle('cam-off', !hasVideo || !media.camOn);
    levels.set('self', s);
    levels.setEnabled('self', media.micOn);
    micBtn.render();
    camBtn.render();
    micBtn.disabled = !(s && s.getAudioTracks().length);
    camBtn.disabled = !hasVideo;
    if (media.busy) note.textContent = 'Starting your camera and microphone…';
    else if (media.error) note.textContent = mediaErrorText(media.error);
    else note.textContent = media.micOn ? '' : 'You will join with your microphone off.';
    note.classList.toggle('error', Boolean(!media.busy && media.error));
    if (!media.busy) fillPickers(camSel, micSel);
  }
  media.listeners.add(render);
  const onDevices = () => fillPickers(camSel, micSel);
  if (navigator.mediaDevices) navigator.mediaDevices.addEventListener('devicechange', onDevices);
  onViewExit(() => {
    media.listeners.delete(render);
    levels.close();
    if (navigator.mediaDevices) navigator.mediaDevices.removeEventListener('devicechange', onDevices);
  });
  if (!media.stream && !media.busy) openMedia();
  render();
  return h('div', { class: 'prejoin' }, tile,
    h('div', { class: 'row toggles' }, micBtn, camBtn),
    note,
    h('div', { class: 'pickers' },
      h('label', { for: 'camera-select' }, 'Camera'), camSel,
      h('label', { for: 'mic-select' }, 'Microphone'), micSel));
}

