// Audio levels and the active speaker, from Web Audio: an AnalyserNode on
// each stream (the remote ones and our own), read every `intervalMs`.
//
// A level is the RMS of the analyser's last window, smoothed so that the
// gaps between syllables do not count as silence: it rises at once and
// falls by `decay` per tick. The active speaker is the loudest source
// above `threshold` among those enabled (a muted person never is); a new
// one takes over after being loudest for `switchTicks` ticks in a row (no
// flicker between two people talking at once), and the highlight goes
// away once no one is above the threshold.
//
// One AudioContext serves the page. Browsers start it suspended until the
// page has been clicked; resumeAudio() is called from the console's click
// handlers (and on any click or key).

let ctx = null;

/** The page's AudioContext, created on first use. */
function audioContext() {
  if (!ctx) {
    const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!AC) return null;
    ctx = new AC();
  }
  return ctx;
}

/** Starts (or restarts) audio processing; call it from a user gesture. */
export function resumeAudio() {
  const c = audioContext();
  if (c && c.state === 'suspended') c.resume().catch(() => {});
}

if (typeof document !== 'undefined') {
  for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, resumeAudio, { capture: true });
}

export class AudioLevels {
  /**
   * opts.onSpeaker(key | null): the active speaker changed.
   * opts.onTick(levels): after every reading, {key: level}.
   */
  constructor({ onSpeaker = () => {}, onTick = null, intervalMs = 100, threshold = 0.01, decay = 0.8, switchTicks = 3 } = {}) {
    this.onSpeaker = onSpeaker;
    this.onTick = onTick;
    this.threshold = threshold;
    this.decay = decay;
    this.switchTicks = switchTicks;
    this.sources = new Map(); // key -> {stream, node, analyser, buf, level, enabled}
    this.speaker = null;
    this.candidate = null;
    this.streak = 0;
    this.timer = setInterval(() => this._tick(), intervalMs);
  }

  /** Measures `stream` under `key` (replacing what was there); a stream without audio removes it. */
  set(key, stream) {
    const old = this.sources.get(key);
    if (old && old.stream === stream && old.trackIds === trackIds(stream)) return;
    const enabled = old ? old.enabled : true;
    this.remove(key);
    const c = audioContext();
    if (!c || !stream || !stream.getAudioTracks().length) return;
    let node;
    try {
      node = c.createMediaStreamSource(stream);
    } catch (err) {
      console.warn('droponair: no audio level for', key, err);
      return;
    }
    const analyser = c.createAnalyser();
    analyser.fftSize = 1024;
    node.connect(analyser); // not to the speakers: the tile's <video> plays it
    this.sources.set(key, { stream, trackIds: trackIds(stream), node, analyser, buf: new Float32Array(analyser.fftSize), level: 0, enabled });
  }

  remove(key) {
    const s = this.sources.get(key);
    if (!s) return;
    s.node.disconnect();
    this.sources.delete(key);
    if (this.speaker === key) this._setSpeaker(null);
  }

  /** A muted source is measured but never the active speaker. */
  setEnabled(key, enabled) {
    const s = this.sources.get(key);
    if (s) s.enabled = enabled;
    if (!enabled && this.speaker === key) this._setSpeaker(null);
  }

  level(key) {
    const s = this.sources.get(key);
    return s ? s.level : 0;
  }

  /** Every source's level, rounded: for diagnostics. */
  levels() {
    const out = {};
    for (const [k, s] of this.sources) out[k] = { level: Math.round(s.level * 1000) / 1000, enabled: s.enabled };
    return out;
  }

  close() {
    clearInterval(this.timer);
    for (const key of [...this.sources.keys()]) this.remove(key);
  }

  _tick() {
    let loudest = null;
    let max = this.threshold;
    const out = this.onTick ? {} : null;
    for (const [key, s] of this.sources) {
      s.analyser.getFloatTimeDomainData(s.buf);
      let sum = 0;
      for (let i = 0; i < s.buf.length; i++) sum += s.buf[i] * s.buf[i];
      const rms = Math.sqrt(sum / s.buf.length);
      s.level = Math.max(rms, s.level * this.decay);
      if (out) out[key] = s.level;
      if (s.enabled && s.level >= max) {
        max = s.level;
        loudest = key;
      }
    }
    if (out) this.onTick(out);
    if (loudest === null) {
      this.candidate = null;
      this.streak = 0;
      if (this.speaker !== null) this._setSpeaker(null);
      return;
    }
    if (this.speaker === null || loudest === this.speaker) {
      this.candidate = null;
      this.streak = 0;
      if (this.speaker !== loudest) this._setSpeaker(loudest);
      return;
    }
    // Someone else is louder than the current speaker: wait a little.
    this.streak = this.candidate === loudest ? this.streak + 1 : 1;
    this.candidate = loudest;
    if (this.streak >= this.switchTicks) {
      this.candidate = null;
      this.streak = 0;
      this._setSpeaker(loudest);
    }
  }

  _setSpeaker(key) {
    this.speaker = key;
    try { this.onSpeaker(key); } catch (err) { console.warn('droponair: onSpeaker failed', err); }
  }
}

function trackIds(stream) {
  return stream ? stream.getAudioTracks().map((t) => t.id).join(',') : '';
}
