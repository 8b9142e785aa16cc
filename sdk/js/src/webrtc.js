// A WebRTC mesh on top of DropOnAirClient: one RTCPeerConnection per peer,
// "perfect negotiation" so renegotiation (screen share) never glares, and a
// deterministic first offer: of two peers, the one with the smaller userId
// (the impolite one) offers, the other answers. Signals of a peer are applied
// one at a time.
//
// The mesh follows the client's roster of its room (client.getCall): it
// connects to whoever is in the call when it starts and to everyone who joins
// after, takes the signals the client kept before it existed, and follows the
// call when the client rejoins it (a new callId after a server restart).
//
// Recovery. Each RTCPeerConnection has a random generation id (`gen`), sent
// in every signal's payload with the generation of the remote connection it
// answers (`rgen`); both are stripped before WebRTC sees the payload.
// - A signal whose `rgen` is not our current connection's gen was meant for
//   one we closed: ignored. So are answers and candidates from a remote
//   connection other than the one ours is bound to.
// - An offer from a new remote generation means the other side started over:
//   we close ours and answer on a fresh connection.
// - The side that offers first watches its connection: `failed`, or
//   `disconnected` for restartAfterMs, gets an ICE restart (restartIce); not
//   connected rebuildAfterMs later — or never connected connectTimeoutMs
//   after it was made — it is rebuilt with a new gen (and the newest ICE
//   servers), which the other side sees as above.
// - The answering side waits longer (restart + rebuild + 2 s) for that; if
//   its connection is still down it rebuilds its own and sends a `reoffer`
//   signal (an ICE-candidate signal with `reoffer: true`, no candidate): the
//   offering side, unless it already talks to that new connection, answers
//   it with a fresh connection and offer. When both start over at once, the
//   answering side's fresh connection takes whichever new offer comes, and
//   an offer from a generation newer than the one bound replaces it again:
//   the two settle on one pair.

const OFFER = 'GROUP_CALL_SDP_OFFER';
const ANSWER = 'GROUP_CALL_SDP_ANSWER';
const CANDIDATE = 'GROUP_CALL_ICE_CANDIDATE';

export class MeshCall {
  /**
   * @param {import('./index.js').DropOnAirClient} client
   * @param {object} opts
   * @param {string} [opts.roomId]  the room whose call to follow (the documented way)
   * @param {string} [opts.callId]  older form: the call's id (its room is looked up in the roster)
   * @param {MediaStream} [opts.localStream]
   * @param {RTCIceServer[]} [opts.iceServers]  overrides the call's ICE servers (from the server)
   * @param {RTCIceTransportPolicy} [opts.iceTransportPolicy='all']  'relay' forces TURN
   * @param {(userId: string, stream: MediaStream, track: MediaStreamTrack) => void} [opts.onRemoteStream]
   * @param {(userId: string, info: {rebuilt: boolean}) => void} [opts.onPeerLeft]  a peer's connection closed (rebuilt: a new one follows)
   * @param {(userId: string, state: string) => void} [opts.onPeerState]
   * @param {(event: object) => void} [opts.onEnded]  the call ended or this user was removed
   * @param {(event: object) => void} [opts.onRejoined]  the client joined again after losing its session (SDK_REJOINED)
   */
  constructor(client, opts = {}) {
    this.client = client;
    this.roomId = opts.roomId || (opts.callId ? client.roomOfCall(opts.callId) : null);
    this._callId = opts.callId || null;
    this.localStream = opts.localStream || null;
    this.screenStream = null;
    this.iceServersOverride = opts.iceServers || null;
    this.iceTransportPolicy = opts.iceTransportPolicy || 'all';
    this.RTCPeerConnection = opts.RTCPeerConnection || globalThis.RTCPeerConnection;
    this.onRemoteStream = opts.onRemoteStream || (() => {});
    this.onPeerLeft = opts.onPeerLeft || (() => {});
    this.onPeerState = opts.onPeerState || (() => {});
    this.onEnded = opts.onEnded || (() => {});
    this.onRejoined = opts.onRejoined || (() => {});
    this.restartAfterMs = opts.restartAfterMs ?? 3000;
    this.rebuildAfterMs = opts.rebuildAfterMs ?? 8000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 15000;
    this.leaveOnPageHide = opts.leaveOnPageHide !== false;
    this.peers = new Map();
    this.closed = false;
    this.started = false;
    this._chains = new Map(); // userId -> the promise that applies its signals in order
    this._detach = null;
  }

  get selfId() { return this.client.userId; }

  /** The call this mesh is in now: it changes when the client rejoins. */
  get callId() {
    const call = this.roomId ? this.client._calls.get(this.roomId) : null;
    return (call && call.callId) || this._callId;
  }

  /**
   * Connects to everyone in the call, from the client's roster, and from
   * then on to everyone who joins; the signals the client kept for this call
   * are applied first. Call it without arguments. (The older form
   * `start(participants, earlier)` still works; with a roster it is not
   * needed, and `earlier` is ignored, since the roster already holds it.)
   */
  start(participants = [], earlier = []) {
    if (this.started || this.closed) return;
    this.started = true;
    if (!this.roomId) { // no roster (a call joined outside joinRoom): follow its events
      const off = this.client.onGroupCallEvent((ev) => this._onLegacyEvent(ev));
      this._detach = off;
      for (const p of participants) if (p.userId !== this.selfId) this._peer(p.userId);
      for (const ev of earlier) this._onLegacyEvent(ev);
      return;
    }
    const call = this.client.getCall(this.roomId);
    const people = call && call.status === 'JOINED' ? call.participants : participants;
    if (call && call.callId) this._callId = call.callId;
    for (const p of people) if (p.userId !== this.selfId) this._peer(p.userId);
    this._detach = this.client.attachCall(this.roomId, (change) => this._onChange(change));
    if (this.leaveOnPageHide && typeof globalThis.addEventListener === 'function') {
      this._pagehide = () => this.client.leaveCallNow(this.roomId);
      globalThis.addEventListener('pagehide', this._pagehide);
    }
  }

  _onChange(ch) {
    if (this.closed) return;
    switch (ch.type) {
      case 'call': {
        const call = this.client.getCall(this.roomId);
        if (!call) return;
        this._callId = call.callId;
        const present = new Set(call.participants.map((p) => p.userId));
        for (const userId of [...this.peers.keys()]) {
          if (!present.has(userId)) this._drop(userId);
          else if (ch.fresh) this._drop(userId, true);
        }
        for (const userId of present) if (userId !== this.selfId) this._peer(userId);
        if (ch.event) this.onRejoined(ch.event);
        break;
      }
      case 'joined': // someone new, or back with a new session: start over
        if (this.peers.has(ch.userId)) this._drop(ch.userId, true);
        this._peer(ch.userId);
        break;
      case 'left':
        this._drop(ch.userId);
        break;
      case 'signal':
        this._signal(ch.event);
        break;
      case 'lost':
        this._closeAll();
        if (ch.final) this._finish();
        this.onRejoined(ch.event);
        break;
      case 'ended':
        this._closeAll();
        this._finish();
        this.onEnded(ch.event);
        break;
      default:
    }
  }

  /** Without a roster: the events of this.callId drive the mesh. */
  _onLegacyEvent(ev) {
    if (this.closed || ev.callId !== this._callId) return;
    if (ev.type === 'GROUP_CALL_PARTICIPANT_JOINED' && ev.userId !== this.selfId) this._onChange({ type: 'joined', userId: ev.userId });
    else if (ev.type === 'GROUP_CALL_PARTICIPANT_LEFT') this._onChange({ type: 'left', userId: ev.userId });
    else if (ev.type === OFFER || ev.type === ANSWER || ev.type === CANDIDATE) this._signal(ev);
    else if (ev.type === 'GROUP_CALL_ENDED' || ev.type === 'GROUP_CALL_REMOVED') this._onChange({ type: 'ended', event: ev });
  }

  _config() {
    const call = this.roomId ? this.client._calls.get(this.roomId) : null;
    const iceServers = this.iceServersOverride || (call && call.iceServers) || [];
    return { iceServers, iceTransportPolicy: this.iceTransportPolicy };
  }

  /** Fetches new TURN credentials when the call's expire within a minute (never throws). */
  async _freshIceServers() {
    if (this.iceServersOverride || !this.roomId) return;
    const call = this.client._calls.get(this.roomId);
    if (!call || !call.iceServersExpireAt || call.iceServersExpireAt - Date.now() > 60000) return;
    try { await this.client.getIceServers(); } catch { /* keep the ones we have */ }
  }

  _peer(userId) {
    return this.peers.get(userId) || this._newPeer(userId, false);
  }

  /** A fresh connection toward userId. `answering`: made for an offer just received. */
  _newPeer(userId, answering) {
    const pc = new this.RTCPeerConnection(this._config());
    const peer = {
      userId, pc, gen: randomGen(), remoteGen: null,
      polite: this.selfId > userId, // the smaller id offers first
      makingOffer: false, ignoreOffer: false, negotiated: false, tracksAdded: false,
      senders: new Map(), closed: false, connected: false, restarting: false, timers: new Set(),
    };
    // Chromium never settles an operation of a connection closed meanwhile:
    // every await on one races this, so a sender's signals never wait forever.
    peer.whenClosed = new Promise((resolve) => { peer.markClosed = resolve; });
    this.peers.set(userId, peer);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this._send(peer, CANDIDATE, candidate.toJSON());
    };
    pc.ontrack = ({ track, streams }) => {
      if (!peer.closed) this.onRemoteStream(userId, streams[0] || new MediaStream([track]), track);
    };
    pc.onconnectionstatechange = () => {
      if (peer.closed) return;
      this.onPeerState(userId, pc.connectionState);
      this._watch(peer);
    };
    pc.onnegotiationneeded = async () => {
      if (peer.closed || (peer.polite && !peer.negotiated)) return; // the other side makes the first offer
      try {
        peer.makingOffer = true;
        await settled(peer, pc.setLocalDescription());
        if (!peer.closed) this._send(peer, OFFER, descOf(pc.localDescription));
      } catch (err) {
        if (!peer.closed) console.warn('droponair: offer failed', err);
      } finally {
        peer.makingOffer = false;
      }
    };
    if (!peer.polite && !answering) this._addTracks(peer);
    if (!peer.polite) this._after(peer, this.connectTimeoutMs, () => this._rebuild(peer));
    return peer;
  }

  _addTracks(peer) {
    if (peer.tracksAdded) return;
    peer.tracksAdded = true;
    for (const stream of [this.localStream, this.screenStream]) {
      if (!stream) continue;
      for (const track of stream.getTracks()) peer.senders.set(track.id, peer.pc.addTrack(track, stream));
    }
  }

  /** Sends a signal from this connection, tagged with its generations. */
  _send(peer, signal, body) {
    if (peer.closed || this.peers.get(peer.userId) !== peer) return;
    const callId = this.callId;
    if (!callId) return;
    const payload = { ...body, gen: peer.gen };
    if (peer.remoteGen) payload.rgen = peer.remoteGen;
    this.client.sendGroupCallSignal(signal, callId, '', peer.userId, payload);
  }

  _signal(ev) {
    const from = ev.from;
    if (typeof from !== 'string' || from === this.selfId) return;
    const prev = this._chains.get(from) || Promise.resolve();
    const next = prev.then(() => this._apply(ev)).catch((err) => console.warn('droponair: signaling failed', err));
    this._chains.set(from, next);
  }

  /** Applies one signal, in order with the others of the same sender. */
  async _apply(ev) {
    if (this.closed || !ev.payload || typeof ev.payload !== 'object') return;
    const { gen = null, rgen = null, ...body } = ev.payload;
    let peer = this.peers.get(ev.from);
    if (rgen && (!peer || rgen !== peer.gen)) return; // meant for a connection we closed
    if (ev.type === CANDIDATE && body.reoffer) {
      // The answering side started over by itself: unless we already talk to
      // that new connection, offer to it from a fresh one of ours.
      if (peer && !peer.polite && gen && gen !== peer.remoteGen) {
        await this._freshIceServers();
        if (this.peers.get(ev.from) === peer) this._rebuild(peer);
      }
      return;
    }
    if (ev.type === OFFER) {
      if (peer && gen && peer.remoteGen && gen !== peer.remoteGen) {
        await this._freshIceServers();
        peer = this._rebuild(peer, true); // the other side started over
      }
      if (!peer) peer = this._newPeer(ev.from, true);
    } else if (!peer || (gen && peer.remoteGen !== gen && !(ev.type === ANSWER && !peer.remoteGen))) {
      return; // from a connection other than the one ours talks to
    }
    if (peer.closed) return;
    const { pc } = peer;
    if (ev.type === CANDIDATE) {
      try {
        await settled(peer, pc.addIceCandidate(body));
      } catch (err) {
        if (!peer.ignoreOffer && !peer.closed) console.warn('droponair: ICE candidate failed', err);
      }
      return;
    }
    const collision = body.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    if (gen && !peer.remoteGen) peer.remoteGen = gen;
    await settled(peer, pc.setRemoteDescription(body));
    if (peer.closed) return;
    if (body.type === 'offer') {
      this._addTracks(peer); // the answerer sends on the offer's transceivers
      await settled(peer, pc.setLocalDescription());
      if (peer.closed) return;
      this._send(peer, ANSWER, descOf(pc.localDescription));
    }
    peer.negotiated = true;
  }

  /** Reacts to a connection's state; only the side that offers first acts. */
  _watch(peer) {
    const state = peer.pc.connectionState;
    if (state === 'connected') {
      peer.connected = true;
      peer.restarting = false;
      peer.fallback = false;
      this._clearTimers(peer);
      return;
    }
    if (peer.polite) {
      // The offering side restarts and rebuilds; if it has not fixed the
      // connection well after it should have, start over from this side.
      if ((state === 'failed' || state === 'disconnected') && !peer.fallback) {
        peer.fallback = true;
        this._after(peer, this.restartAfterMs + this.rebuildAfterMs + 2000, () => {
          if (peer.pc.connectionState !== 'connected') this._rebuild(peer);
        });
      }
      return;
    }
    if (state === 'failed') this._restart(peer);
    else if (state === 'disconnected') {
      this._after(peer, this.restartAfterMs, () => {
        if (peer.pc.connectionState !== 'connected') this._restart(peer);
      });
    }
  }

  /** ICE restart; a connection still not back rebuildAfterMs later is rebuilt. */
  _restart(peer) {
    if (peer.closed || peer.restarting) return;
    peer.restarting = true;
    this._clearTimers(peer);
    try { peer.pc.setConfiguration(this._config()); } catch { /* keep the old servers */ }
    peer.pc.restartIce();
    this._after(peer, this.rebuildAfterMs, () => {
      this._freshIceServers().then(() => { if (this.peers.get(peer.userId) === peer) this._rebuild(peer); });
    });
  }

  /**
   * Closes peer's connection and makes a fresh one (new gen) toward the same
   * user. The offering side's fresh connection offers by itself; an answering
   * side that starts over unasked tells the other to offer again (a
   * `reoffer` signal), since nothing else would.
   */
  _rebuild(peer, answering = false) {
    if (this.closed || this.peers.get(peer.userId) !== peer) return this.peers.get(peer.userId);
    this._drop(peer.userId, true);
    const fresh = this._newPeer(peer.userId, answering);
    if (fresh.polite && !answering) this._send(fresh, CANDIDATE, { reoffer: true });
    return fresh;
  }

  _after(peer, ms, fn) {
    const t = setTimeout(() => {
      peer.timers.delete(t);
      if (!peer.closed && !this.closed) fn();
    }, ms);
    peer.timers.add(t);
  }

  _clearTimers(peer) {
    for (const t of peer.timers) clearTimeout(t);
    peer.timers.clear();
  }

  /** Mutes or unmutes the local audio/video and tells the call. */
  async setMuted(kind, muted) {
    if (this.localStream) {
      for (const t of this.localStream.getTracks()) if (t.kind === kind) t.enabled = !muted;
    }
    await this.client.setMediaState(this.callId, { [kind]: !muted });
  }

  /** Shares a screen stream (e.g. from getDisplayMedia) with every peer. */
  async startScreenShare(stream) {
    await this.client.startScreenShare(this.callId);
    this.screenStream = stream;
    for (const peer of this.peers.values()) {
      if (!peer.tracksAdded) continue;
      for (const track of stream.getTracks()) peer.senders.set(track.id, peer.pc.addTrack(track, stream));
    }
  }

  async stopScreenShare() {
    const stream = this.screenStream;
    this.screenStream = null;
    if (stream) {
      for (const peer of this.peers.values()) {
        for (const track of stream.getTracks()) {
          const sender = peer.senders.get(track.id);
          if (sender) {
            peer.pc.removeTrack(sender);
            peer.senders.delete(track.id);
          }
        }
      }
      for (const track of stream.getTracks()) track.stop();
    }
    await this.client.stopScreenShare(this.callId);
  }

  _drop(userId, rebuilt = false) {
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    peer.closed = true;
    peer.markClosed();
    this._clearTimers(peer);
    peer.pc.close();
    this.onPeerLeft(userId, { rebuilt });
  }

  _closeAll() {
    for (const userId of [...this.peers.keys()]) this._drop(userId);
  }

  /** Stops following the room (the call ended, or cannot be rejoined). */
  _finish() {
    if (this._detach) this._detach();
    this._detach = null;
    if (this._pagehide) globalThis.removeEventListener('pagehide', this._pagehide);
    this._pagehide = null;
  }

  /**
   * Leaves the call — the one the client is in now, whatever its callId —
   * and closes every peer connection. Resolves once the server acknowledged.
   */
  async leave() {
    if (this.closed) return;
    this.closed = true;
    this._finish();
    this._closeAll();
    if (this.roomId) {
      await this.client.leaveCall(this.roomId);
      return;
    }
    try {
      await this.client.leaveGroupCall(this._callId);
    } catch (err) {
      if (err.code !== 'NO_LIVE_CALL') throw err;
    }
  }

  /** Inbound video frames decoded per peer (from getStats), for diagnostics. */
  async framesDecoded() {
    const out = {};
    for (const [userId, s] of Object.entries(await this.peerStats())) out[userId] = s.framesDecoded;
    return out;
  }

  /**
   * Per peer: {gen, state, framesDecoded, localCandidateType,
   * remoteCandidateType} — the connection's generation, its state, inbound
   * video frames decoded, and the candidate types of the selected pair.
   */
  async peerStats() {
    const out = {};
    for (const [userId, peer] of [...this.peers]) {
      let stats;
      try {
        stats = await settled(peer, peer.pc.getStats());
      } catch { /* closed meanwhile */ }
      if (peer.closed || !stats) continue;
      let frames = 0;
      let pair = null;
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      });
      const local = pair && stats.get(pair.localCandidateId);
      const remote = pair && stats.get(pair.remoteCandidateId);
      out[userId] = {
        gen: peer.gen, state: peer.pc.connectionState, framesDecoded: frames,
        localCandidateType: local ? local.candidateType : null,
        remoteCandidateType: remote ? remote.candidateType : null,
      };
    }
    return out;
  }
}

/** `promise`, or undefined as soon as peer's connection is closed. */
function settled(peer, promise) {
  return Promise.race([promise, peer.whenClosed]);
}

function descOf(d) {
  return { type: d.type, sdp: d.sdp };
}

function randomGen() {
  const c = globalThis.crypto;
  if (c && c.randomUUID) return c.randomUUID().slice(0, 13);
  return Math.random().toString(36).slice(2, 14);
}
