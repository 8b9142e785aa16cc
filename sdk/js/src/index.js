// droponair JavaScript SDK 0.14.0 — rooms over REST, live calls over one
// WebSocket (droponair.v1). No runtime dependencies: browsers use their
// fetch and WebSocket; Node.js 20 passes a WebSocket implementation (`ws`).

export const VERSION = '0.14.0';
const PROTOCOL = 'droponair.v1';

/** An error from the server (REST or WebSocket) or from the SDK itself. */
export class DropOnAirError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = 'DropOnAirError';
    this.code = code;
    Object.assign(this, extra); // status, field, limitSource
  }
}

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];

export class DropOnAirClient {
  /**
   * @param {object} opts
   * @param {string} opts.baseUrl  e.g. "https://rooms.example.com" (no trailing slash needed)
   * @param {string} [opts.token]  a droponair JWT
   * @param {() => Promise<string>|string} [opts.getToken]  called for a fresh token before each (re)connect
   * @param {typeof WebSocket} [opts.WebSocket]  required in Node.js (e.g. the `ws` package)
   * @param {typeof fetch} [opts.fetch]
   * @param {boolean} [opts.reconnect=true]  reconnect and RESUME after a dropped connection
   * @param {number} [opts.requestTimeoutMs=10000]
   */
  constructor(opts = {}) {
    if (!opts.baseUrl) throw new DropOnAirError('BAD_REQUEST', 'baseUrl is required');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token || null;
    this.getToken = opts.getToken || null;
    this.WebSocket = opts.WebSocket || globalThis.WebSocket;
    this.fetch = opts.fetch || globalThis.fetch.bind(globalThis);
    this.reconnect = opts.reconnect !== false;
    this.requestTimeoutMs = opts.requestTimeoutMs || 10000;
    this.userId = null;
    this.resumeToken = null;
    this.lastSeq = 0;
    this._ws = null;
    this._ready = null;        // Promise of an authenticated connection
    this._nextId = 1;
    this._pending = new Map(); // id -> {resolve, reject, timer}
    this._handlers = new Set();
    this._stateHandlers = new Set();
    this._closedByUser = false;
    this._attempt = 0;
    this._rooms = new Map();   // roomId -> callId for calls this client joined
    this.state = 'idle';
  }

  // ---- token ----

  /** Uses a new token from now on; an open session is refreshed with AUTH. */
  async setToken(token) {
    this.token = token;
    if (this._ws && this.state === 'open') {
      const r = await this._request({ type: 'AUTH', token });
      if (!r.ok) throw toError(r.error);
    }
  }

  async _currentToken() {
    if (this.getToken) this.token = await this.getToken();
    if (!this.token) throw new DropOnAirError('UNAUTHORIZED', 'no token');
    return this.token;
  }

  // ---- REST ----

  async _rest(method, path, { body, headers = {}, auth = true } = {}) {
    const h = { ...headers };
    if (auth) h.authorization = `Bearer ${await this._currentToken()}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await this.fetch(this.baseUrl + path, {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const e = (data && data.error) || { code: 'INTERNAL', message: res.statusText };
      throw toError(e, { status: res.status });
    }
    return { data, res };
  }

  /** GET /api/info: features (and, with a token, the app's plan and limits). */
  async getInfo() {
    return (await this._rest('GET', '/api/info', { auth: Boolean(this.token || this.getToken) })).data;
  }

  /** POST /api/rooms. opts.idempotencyKey makes a retry safe. */
  async createRoom(room = {}, opts = {}) {
    const headers = opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {};
    return (await this._rest('POST', '/api/rooms', { body: room, headers })).data;
  }

  /** GET /api/rooms: {rooms, nextCursor}. */
  async listRooms({ status, limit, cursor } = {}) {
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    if (limit) q.set('limit', String(limit));
    if (cursor) q.set('cursor', cursor);
    const s = q.toString();
    return (await this._rest('GET', `/api/rooms${s ? `?${s}` : ''}`)).data;
  }

  async getRoom(roomId) {
    return (await this._rest('GET', `/api/rooms/${encodeURIComponent(roomId)}`)).data;
  }

  /** PATCH (merge patch). opts.ifMatch: the version (number) or ETag it must still have. */
  async updateRoom(roomId, patch, opts = {}) {
    const headers = opts.ifMatch !== undefined ? { 'if-match': etag(opts.ifMatch) } : {};
    return (await this._rest('PATCH', `/api/rooms/${encodeURIComponent(roomId)}`, { body: patch, headers })).data;
  }

  async deleteRoom(roomId, opts = {}) {
    const headers = opts.ifMatch !== undefined ? { 'if-match': etag(opts.ifMatch) } : {};
    await this._rest('DELETE', `/api/rooms/${encodeURIComponent(roomId)}`, { headers });
  }

  /** REST moderation, for hosts who are not connected. */
  async listWaiting(roomId) {
    return (await this._rest('GET', `/api/rooms/${encodeURIComponent(roomId)}/waiting`)).data;
  }

  // ---- the live connection ----

  /** Connects and authenticates (done for you by the call methods). */
  connect() {
    if (this._ready) return this._ready;
    this._closedByUser = false;
    this._fatal = false;
    this._ready = this._open(false);
    this._ready.catch(() => { this._ready = null; });
    return this._ready;
  }

  _wsUrl() {
    return this.baseUrl.replace(/^http/, 'ws') + '/api/ws';
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    for (const h of this._stateHandlers) safe(h, state);
  }

  /** Opens a socket; resume=true tries RESUME first. Resolves when usable. */
  _open(resume) {
    if (this._closedByUser) return Promise.reject(new DropOnAirError('DISCONNECTED', 'closed'));
    if (!this.WebSocket) {
      return Promise.reject(new DropOnAirError('BAD_REQUEST', 'no WebSocket implementation: pass opts.WebSocket'));
    }
    this._setState(resume ? 'reconnecting' : 'connecting');
    return new Promise((resolve, reject) => {
      const ws = new this.WebSocket(this._wsUrl(), PROTOCOL);
      this._ws = ws;
      let settled = false;
      const fail = (err) => { if (!settled) { settled = true; reject(err); } };
      ws.onopen = async () => {
        try {
          await this._handshake(resume);
          settled = true;
          this._attempt = 0;
          this._setState('open');
          resolve();
        } catch (err) {
          // A refused AUTH is final: no reconnect loop with a bad token.
          if (err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN' || err.code === 'RATE_LIMITED') this._fatal = true;
          fail(err);
          try { ws.close(); } catch { /* already closing */ }
        }
      };
      ws.onmessage = (ev) => this._onMessage(typeof ev.data === 'string' ? ev.data : String(ev.data));
      ws.onerror = () => fail(new DropOnAirError('DISCONNECTED', 'cannot connect'));
      ws.onclose = (ev) => {
        fail(new DropOnAirError('DISCONNECTED', `connection closed (${ev.code})`));
        if (this._ws === ws) this._onClose(ev.code);
      };
    });
  }

  async _handshake(resume) {
    if (resume && this.resumeToken) {
      const r = await this._request({ type: 'RESUME', resumeToken: this.resumeToken, lastSeq: this.lastSeq }, true);
      if (r.ok) return;
      if (r.error.code !== 'RESUME_EXPIRED') throw toError(r.error);
    }
    const token = await this._currentToken();
    const a = await this._request({ type: 'AUTH', token }, true);
    if (!a.ok) throw toError(a.error);
    const fresh = this.resumeToken !== a.resumeToken;
    this.userId = a.userId;
    this.resumeToken = a.resumeToken;
    this.lastSeq = 0;
    if (resume && fresh && this._rooms.size) this._rejoin();
  }

  /** After a session could not be resumed: join again the calls it was in. */
  _rejoin() {
    for (const roomId of [...this._rooms.keys()]) {
      this._request({ type: 'JOIN_ROOM', roomId }, true).then((r) => {
        const status = r.ok ? r.status : 'ERROR';
        if (r.ok && r.status === 'JOINED') this._rooms.set(roomId, r.callId);
        else this._rooms.delete(roomId);
        this._emit({ type: 'SDK_REJOINED', roomId, callId: r.callId || null, status, reply: r });
      }, () => {});
    }
  }

  _onClose(code) {
    this._ws = null;
    for (const [, p] of this._pending) {
      clearTimeout(p.timer);
      p.reject(new DropOnAirError('DISCONNECTED', `connection closed (${code})`));
    }
    this._pending.clear();
    // Only a session that existed is worth reconnecting for.
    if (this._closedByUser || !this.reconnect || this._fatal || !this.resumeToken || code === 1008) {
      this._ready = null;
      this._setState('closed');
      return;
    }
    // Reconnect with backoff; RESUME keeps our calls if within the grace.
    const delay = BACKOFF_MS[Math.min(this._attempt++, BACKOFF_MS.length - 1)];
    this._setState('reconnecting');
    this._ready = new Promise((resolve, reject) => {
      setTimeout(() => {
        if (this._closedByUser) { reject(new DropOnAirError('DISCONNECTED', 'closed')); return; }
        this._open(true).then(resolve, reject);
      }, delay);
    });
    this._ready.catch(() => {});
  }

  _onMessage(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    if (msg.id !== undefined && this._pending.has(msg.id)) {
      const p = this._pending.get(msg.id);
      this._pending.delete(msg.id);
      clearTimeout(p.timer);
      p.resolve(msg);
      return;
    }
    if (!msg.type) return;
    if (typeof msg.seq === 'number') {
      if (msg.seq <= this.lastSeq) return; // already seen (a replay overlap)
      this.lastSeq = msg.seq;
    }
    this._track(msg);
    this._emit(msg);
  }

  /** Keeps the joined-rooms map right, for rejoining after an expired session. */
  _track(ev) {
    switch (ev.type) {
      case 'GROUP_CALL_ADMITTED': this._rooms.set(ev.roomId, ev.callId); break;
      case 'GROUP_CALL_ENDED':
      case 'GROUP_CALL_REMOVED': this._rooms.delete(ev.roomId); break;
      default:
    }
  }

  _emit(ev) {
    for (const h of this._handlers) safe(h, ev);
  }

  /** Sends a request on the open socket; `raw` skips waiting for readiness. */
  _request(cmd, raw = false) {
    const send = () => new Promise((resolve, reject) => {
      if (!this._ws || this._ws.readyState !== 1) {
        reject(new DropOnAirError('DISCONNECTED', 'not connected'));
        return;
      }
      const id = this._nextId++;
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new DropOnAirError('TIMEOUT', `no reply to ${cmd.type}`));
      }, this.requestTimeoutMs);
      this._pending.set(id, { resolve, reject, timer });
      this._ws.send(JSON.stringify({ id, ...cmd }));
    });
    if (raw) return send();
    return this.connect().then(send);
  }

  /** A request whose failure rejects with DropOnAirError; resolves with the reply. */
  async _call(cmd) {
    const r = await this._request(cmd);
    if (!r.ok) throw toError(r.error);
    return r;
  }

  /**
   * Joins the room's live call. Resolves to the callId, or to one of
   * 'HOST_REQUIRED' | 'ROOM_CLOSED' | 'WAITING_ROOM_PENDING'. Errors
   * (ROOM_NOT_FOUND, ROOM_FULL, FORBIDDEN, ...) reject with `.code`.
   * The full reply is in `client.lastJoin`.
   */
  async joinRoom(roomId) {
    const r = await this._call({ type: 'JOIN_ROOM', roomId });
    this.lastJoin = r;
    if (r.status === 'JOINED') {
      this._rooms.set(roomId, r.callId);
      return r.callId;
    }
    return r.status;
  }

  /**
   * Relays SDP or ICE to one peer of the call. Never rejects (the product
   * page calls it without await): resolves {ok: true} or {ok: false, error}.
   */
  sendGroupCallSignal(type, callId, groupId, peerUserId, payload) {
    return this._request({ type: 'GROUP_CALL_SIGNAL', signal: type, callId, groupId: groupId || '', to: peerUserId, payload })
      .then((r) => (r.ok ? { ok: true } : { ok: false, error: toError(r.error) }),
        (err) => ({ ok: false, error: err instanceof DropOnAirError ? err : new DropOnAirError('DISCONNECTED', String(err && err.message)) }));
  }

  /** Subscribes to group-call events (they carry roomId and callId). Returns an unsubscribe. */
  onGroupCallEvent(cb) {
    this._handlers.add(cb);
    return () => this._handlers.delete(cb);
  }

  /** Subscribes to connection state: connecting, open, reconnecting, closed. */
  onConnectionState(cb) {
    this._stateHandlers.add(cb);
    return () => this._stateHandlers.delete(cb);
  }

  async leaveGroupCall(callId) {
    await this._call({ type: 'GROUP_CALL_LEAVE', callId, groupId: '' });
    for (const [roomId, c] of this._rooms) if (c === callId) this._rooms.delete(roomId);
  }

  async cancelWait(roomId) { await this._call({ type: 'CANCEL_WAIT', roomId }); }

  async setMediaState(callId, { audio, video } = {}) {
    const cmd = { type: 'GROUP_CALL_MEDIA_STATE', callId, groupId: '' };
    if (audio !== undefined) cmd.audio = audio;
    if (video !== undefined) cmd.video = video;
    await this._call(cmd);
  }

  async startScreenShare(callId) { await this._call({ type: 'GROUP_CALL_SCREEN_SHARE_START', callId, groupId: '' }); }
  async stopScreenShare(callId) { await this._call({ type: 'GROUP_CALL_SCREEN_SHARE_STOP', callId, groupId: '' }); }

  // Moderation (hosts and co-hosts).
  async admit(roomId, userId) { return (await this._call({ type: 'ADMIT', roomId, userId })).admitted; }
  async admitAll(roomId) { return (await this._call({ type: 'ADMIT', roomId, all: true })).admitted; }
  async deny(roomId, userId) { await this._call({ type: 'DENY', roomId, userId }); }
  async muteParticipant(callId, userId, kind = 'audio') { await this._call({ type: 'MUTE_PARTICIPANT', callId, groupId: '', userId, kind }); }
  async removeParticipant(callId, userId, { ban = false } = {}) { await this._call({ type: 'REMOVE_PARTICIPANT', callId, groupId: '', userId, ban }); }
  async setRole(callId, userId, role) { await this._call({ type: 'SET_ROLE', callId, groupId: '', userId, role }); }
  async endCall(callId) { await this._call({ type: 'END_CALL', callId, groupId: '' }); }
  /** Receive a room's call events without joining (hosts). Resolves {roomId, call, waiting}. */
  async watchRoom(roomId) {
    const r = await this._call({ type: 'WATCH_ROOM', roomId });
    return { roomId: r.roomId, call: r.call, waiting: r.waiting };
  }
  async unwatchRoom(roomId) { await this._call({ type: 'UNWATCH_ROOM', roomId }); }

  /** Closes the connection for good (no reconnect). */
  close() {
    this._closedByUser = true;
    this._ready = null;
    if (this._ws) {
      try { this._ws.close(1000); } catch { /* closing */ }
    }
    this._setState('closed');
  }
}

function etag(v) {
  return typeof v === 'number' ? `"${v}"` : v;
}

function toError(e, extra = {}) {
  const { code, message, ...rest } = e || {};
  return new DropOnAirError(code || 'INTERNAL', message, { ...rest, ...extra });
}

function safe(fn, arg) {
  try { fn(arg); } catch (err) { setTimeout(() => { throw err; }); }
}
