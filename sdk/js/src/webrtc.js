// A WebRTC mesh on top of DropOnAirClient: one RTCPeerConnection per peer,
// "perfect negotiation" so renegotiation (screen share) never glares, and a
// deterministic first offer: of two peers, the one with the smaller userId
// offers, the other answers. Signals of a peer are applied one at a time.

export class MeshCall {
  /**
   * @param {import('./index.js').DropOnAirClient} client  a connected client that has joined the call
   * @param {object} opts
   * @param {string} opts.callId
   * @param {MediaStream} [opts.localStream]
   * @param {RTCIceServer[]} [opts.iceServers=[]]
   * @param {(userId: string, stream: MediaStream, track: MediaStreamTrack) => void} [opts.onRemoteStream]
   * @param {(userId: string) => void} [opts.onPeerLeft]
   * @param {(userId: string, state: string) => void} [opts.onPeerState]
   * @param {(event: object) => void} [opts.onEnded]  the call ended or this user was removed
   */
  constructor(client, opts) {
    this.client = client;
    this.callId = opts.callId;
    this.localStream = opts.localStream || null;
    this.screenStream = null;
    this.iceServers = opts.iceServers || [];
    this.RTCPeerConnection = opts.RTCPeerConnection || globalThis.RTCPeerConnection;
    this.onRemoteStream = opts.onRemoteStream || (() => {});
    this.onPeerLeft = opts.onPeerLeft || (() => {});
    this.onPeerState = opts.onPeerState || (() => {});
    this.onEnded = opts.onEnded || (() => {});
    this.peers = new Map();
    this.closed = false;
    this._off = client.onGroupCallEvent((ev) => this._onEvent(ev));
  }

  get selfId() { return this.client.userId; }

  /**
   * Connects to everyone already in the call (the JOINED reply's or ADMITTED
   * event's participants). `earlier`: the call's events that arrived before
   * this mesh existed (an app that awaits getUserMedia between JOINED and
   * `new MeshCall` collects them with `client.onGroupCallEvent`); they are
   * applied in order, so an offer or an arrival in that gap is not lost.
   */
  start(participants = [], earlier = []) {
    for (const p of participants) if (p.userId !== this.selfId) this._peer(p.userId);
    for (const ev of earlier) this._onEvent(ev);
  }

  _peer(userId) {
    let peer = this.peers.get(userId);
    if (peer) return peer;
    const pc = new this.RTCPeerConnection({ iceServers: this.iceServers });
    peer = {
      userId, pc,
      polite: this.selfId > userId,   // the smaller id offers first
      makingOffer: false, ignoreOffer: false, negotiated: false, tracksAdded: false,
      chain: Promise.resolve(), senders: new Map(),
    };
    this.peers.set(userId, peer);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.client.sendGroupCallSignal('GROUP_CALL_ICE_CANDIDATE', this.callId, '', userId, candidate.toJSON());
    };
    pc.ontrack = ({ track, streams }) => this.onRemoteStream(userId, streams[0] || new MediaStream([track]), track);
    pc.onconnectionstatechange = () => this.onPeerState(userId, pc.connectionState);
    pc.onnegotiationneeded = async () => {
      if (peer.polite && !peer.negotiated) return; // the other side makes the first offer
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        this.client.sendGroupCallSignal('GROUP_CALL_SDP_OFFER', this.callId, '', userId, descOf(pc.localDescription));
      } catch (err) {
        console.warn('droponair: offer failed', err);
      } finally {
        peer.makingOffer = false;
      }
    };
    if (!peer.polite) this._addTracks(peer);
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

  _onEvent(ev) {
    if (this.closed || ev.callId !== this.callId) return;
    switch (ev.type) {
      case 'GROUP_CALL_PARTICIPANT_JOINED':
        if (ev.userId !== this.selfId) {
          if (this.peers.has(ev.userId)) this._drop(ev.userId); // a replaced session: start over
          this._peer(ev.userId);
        }
        break;
      case 'GROUP_CALL_PARTICIPANT_LEFT':
        this._drop(ev.userId);
        break;
      case 'GROUP_CALL_SDP_OFFER':
      case 'GROUP_CALL_SDP_ANSWER':
      case 'GROUP_CALL_ICE_CANDIDATE':
        this._signal(ev);
        break;
      case 'GROUP_CALL_ENDED':
      case 'GROUP_CALL_REMOVED':
        this._closeAll();
        this.onEnded(ev);
        break;
      default:
    }
  }

  _signal(ev) {
    const peer = this._peer(ev.from);
    const { pc } = peer;
    peer.chain = peer.chain.then(async () => {
      if (ev.type === 'GROUP_CALL_ICE_CANDIDATE') {
        try {
          await pc.addIceCandidate(ev.payload);
        } catch (err) {
          if (!peer.ignoreOffer) console.warn('droponair: ICE candidate failed', err);
        }
        return;
      }
      const desc = ev.payload;
      const collision = desc.type === 'offer' && (peer.makingOffer || pc.signalingState !== 'stable');
      peer.ignoreOffer = !peer.polite && collision;
      if (peer.ignoreOffer) return;
      await pc.setRemoteDescription(desc);
      if (desc.type === 'offer') {
        this._addTracks(peer); // the answerer sends on the offer's transceivers
        await pc.setLocalDescription();
        this.client.sendGroupCallSignal('GROUP_CALL_SDP_ANSWER', this.callId, '', ev.from, descOf(pc.localDescription));
      }
      peer.negotiated = true;
    }).catch((err) => console.warn('droponair: signaling failed', err));
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

  _drop(userId) {
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    peer.pc.close();
    this.onPeerLeft(userId);
  }

  _closeAll() {
    for (const userId of [...this.peers.keys()]) this._drop(userId);
  }

  /** Leaves the call and closes every peer connection. */
  async leave() {
    if (this.closed) return;
    this.closed = true;
    this._off();
    this._closeAll();
    try {
      await this.client.leaveGroupCall(this.callId);
    } catch { /* the call may have ended already */ }
  }

  /** Inbound video frames decoded per peer (from getStats), for diagnostics. */
  async framesDecoded() {
    const out = {};
    for (const [userId, peer] of this.peers) {
      const stats = await peer.pc.getStats();
      let frames = 0;
      stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0; });
      out[userId] = frames;
    }
    return out;
  }
}

function descOf(d) {
  return { type: d.type, sdp: d.sdp };
}
