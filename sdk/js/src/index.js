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

/** Signals (SDP, ICE) kept per call for a consumer (MeshCall) that does not exist yet. */
export const SIGNAL_BUFFER_CAP = 512;
const SIGNALS = new Set(['GROUP_CALL_SDP_OFFER', 'GROUP_CALL_SDP_ANSWER', 'GROUP_CALL_ICE_CANDIDATE']);
// Join answers after which the SDK joins again by itself (after a lost session).
const HELD = new Set(['HOST_REQUIRED', 'WAITING_ROOM_PENDING']);
// Errors a JOIN_ROOM may get that are worth another try a little later.
const TRANSIENT = new Set(['STORE_UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL', 'TIMEOUT', 'DISCONNECTED']);

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
   * @param {number} [opts.signalBufferCap=512]  signals kept per call until a MeshCall takes them
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
    this._listeners = new Map(); // event type or '*' -> Set of on() handlers
    this._closedByUser = false;
    this._attempt = 0;
    this._calls = new Map();   // roomId -> the call's roster (see getCall)
    this.signalBufferCap = opts.signalBufferCap || SIGNAL_BUFFER_CAP;
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
    this._dispatch({ type: 'SDK_CONNECTION_STATE', state });
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
      if (r.ok) {
        this._rejoin(); // a rejoin whose reply the drop took
        return;
      }
      if (r.error.code !== 'RESUME_EXPIRED') throw toError(r.error);
    }
    const token = await this._currentToken();
    const a = await this._request({ type: 'AUTH', token }, true);
    if (!a.ok) throw toError(a.error);
    const fresh = this.resumeToken !== a.resumeToken;
    this.userId = a.userId;
    this.resumeToken = a.resumeToken;
    this.lastSeq = 0;
    if (resume && fresh) {
      // The old session is gone, and with it our places: join again.
      for (const call of this._calls.values()) if (call.status === 'JOINED' || HELD.has(call.status)) call.rejoin = true;
    }
    this._rejoin();
  }

  /**
   * Joins again every call marked `rejoin` (after a session could not be
   * resumed, or when a host arrives for one the SDK was rejoining) and emits
   * SDK_REJOINED for each definitive answer. The roster is updated in the
   * reply's own turn, before any event that follows it is handled.
   */
  _rejoin() {
    for (const call of this._calls.values()) {
      if (!call.rejoin || call.joining) continue;
      const { roomId } = call;
      call.joining = this._request({ type: 'JOIN_ROOM', roomId }, true, (r) => {
        call.joining = null;
        if (this._calls.get(roomId) !== call) { this._undoJoin(roomId, r); return; } // left meanwhile
        if (!r.ok && TRANSIENT.has(r.error.code)) { this._retryRejoin(); return; }
        call.rejoin = false;
        const status = r.ok ? r.status : 'ERROR';
        const previousCallId = call.callId;
        const ev = { type: 'SDK_REJOINED', roomId, callId: r.callId || null, previousCallId, status, reply: r };
        if (!r.ok) ev.error = toError(r.error);
        if (status === 'JOINED') {
          this._setCall(call, r, 'rejoined', ev);
        } else if (HELD.has(status)) {
          this._hold(call, status);
          call.autoJoin = status === 'HOST_REQUIRED';
          this._notify(call, { type: 'lost', status, final: false, event: ev });
        } else {
          this._calls.delete(roomId);
          this._notify(call, { type: 'lost', status, final: true, event: ev });
        }
        this._emit(ev);
      }).then(() => {}, () => {
        // The connection dropped again: the next one joins again; a timeout retries.
        call.joining = null;
        this._retryRejoin();
      });
    }
  }

  _retryRejoin() {
    if (this._rejoinTimer) return;
    this._rejoinTimer = setTimeout(() => {
      this._rejoinTimer = null;
      if (this.state === 'open') this._rejoin();
    }, 1000);
  }

  /** A JOIN answered after the app left that room: leave (or stop waiting) again. */
  _undoJoin(roomId, r) {
    if (!r.ok || !this._ws) return;
    if (r.status === 'JOINED') this._request({ type: 'GROUP_CALL_LEAVE', callId: r.callId, groupId: '' }, true).catch(() => {});
    if (r.status === 'WAITING_ROOM_PENDING') this._request({ type: 'CANCEL_WAIT', roomId }, true).catch(() => {});
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
      if (p.onReply) safe(p.onReply, msg);
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

  // ---- the roster: what the SDK knows of each call it joined ----

  _entry(roomId) {
    let call = this._calls.get(roomId);
    if (!call) {
      call = {
        roomId, status: null, callId: null, role: null, participants: new Map(),
        iceServers: [], iceServersExpireAt: null, signals: [], droppedSignals: 0,
        consumer: null, rejoin: false, joining: null, autoJoin: false,
      };
      this._calls.set(roomId, call);
    }
    return call;
  }

  /** A JOINED reply or an ADMITTED event: the call, its people and ICE servers. */
  _setCall(call, r, reason, event = null) {
    const fresh = reason !== 'joined' || call.callId !== r.callId || call.status !== 'JOINED';
    call.status = 'JOINED';
    call.callId = r.callId;
    call.role = r.role || call.role;
    call.participants = new Map((r.participants || []).map((p) => [p.userId, { ...p }]));
    call.autoJoin = false;
    if (Array.isArray(r.iceServers)) this._setIceServers(call, r.iceServers, r.iceServersExpireAt);
    if (fresh) { // signals of an earlier call, or of our previous session, are of no use now
      call.signals = [];
      call.droppedSignals = 0;
    }
    this._notify(call, { type: 'call', reason, fresh, event });
  }

  /** Out of the call but still trying to get in (a host is required, or waiting). */
  _hold(call, status) {
    call.status = status;
    call.callId = null;
    call.participants = new Map();
    call.signals = [];
    call.droppedSignals = 0;
  }

  _setIceServers(call, servers, expiresAt) {
    call.iceServers = servers;
    call.iceServersExpireAt = typeof expiresAt === 'number' ? expiresAt : turnExpiry(servers);
  }

  _notify(call, change) {
    if (call.consumer) safe(call.consumer, change);
  }

  /** Keeps the roster right; runs before the app's handlers see the event. */
  _track(ev) {
    const call = typeof ev.roomId === 'string' ? this._calls.get(ev.roomId) : null;
    if (!call) return;
    switch (ev.type) {
      case 'GROUP_CALL_ADMITTED':
        this._setCall(call, ev, 'admitted');
        return;
      case 'GROUP_CALL_HOST_PRESENT':
        if (call.status === 'HOST_REQUIRED' && call.autoJoin) {
          call.rejoin = true;
          this._rejoin();
        }
        return;
      case 'GROUP_CALL_DENIED':
        if (call.status === 'WAITING_ROOM_PENDING') this._end(call, ev);
        return;
      default:
    }
    if (call.status !== 'JOINED' || ev.callId !== call.callId) return;
    const who = typeof ev.userId === 'string' ? call.participants.get(ev.userId) : undefined;
    switch (ev.type) {
      case 'GROUP_CALL_PARTICIPANT_JOINED':
        if (ev.userId === this.userId) return;
        this._purgeSignals(call, ev.userId);
        call.participants.set(ev.userId, {
          userId: ev.userId, name: ev.name || ev.userId, role: ev.role || 'PARTICIPANT',
          joinedAt: ev.joinedAt || Date.now(), audio: ev.audio !== false, video: ev.video !== false, screenSharing: false,
        });
        this._notify(call, { type: 'joined', userId: ev.userId });
        break;
      case 'GROUP_CALL_PARTICIPANT_LEFT':
        if (ev.userId === this.userId) return;
        call.participants.delete(ev.userId);
        this._purgeSignals(call, ev.userId);
        this._notify(call, { type: 'left', userId: ev.userId, reason: ev.reason });
        break;
      case 'GROUP_CALL_PARTICIPANT_RECONNECTING':
      case 'GROUP_CALL_PARTICIPANT_RECONNECTED':
        if (who) who.reconnecting = ev.type === 'GROUP_CALL_PARTICIPANT_RECONNECTING';
        break;
      case 'GROUP_CALL_MEDIA_STATE':
        if (who) {
          if (typeof ev.audio === 'boolean') who.audio = ev.audio;
          if (typeof ev.video === 'boolean') who.video = ev.video;
        }
        break;
      case 'GROUP_CALL_ROLE_CHANGED':
        if (who) who.role = ev.role;
        if (ev.userId === this.userId) call.role = ev.role;
        break;
      case 'GROUP_CALL_SCREEN_SHARE_STARTED':
        for (const p of call.participants.values()) p.screenSharing = p.userId === ev.userId;
        break;
      case 'GROUP_CALL_SCREEN_SHARE_STOPPED':
        if (who) who.screenSharing = false;
        break;
      case 'GROUP_CALL_ENDED':
      case 'GROUP_CALL_REMOVED':
        this._end(call, ev);
        break;
      default:
        if (SIGNALS.has(ev.type)) this._signal(call, ev);
    }
  }

  _end(call, ev) {
    this._calls.delete(call.roomId);
    this._notify(call, { type: 'ended', event: ev });
  }

  /** Hands a signal to the call's consumer, or keeps it (bounded) until one attaches. */
  _signal(call, ev) {
    if (call.consumer) { this._notify(call, { type: 'signal', event: ev }); return; }
    const p = ev.payload;
    // A new connection's first offer makes what the sender's older ones said useless.
    if (ev.type === 'GROUP_CALL_SDP_OFFER' && p && typeof p === 'object' && p.gen && !p.rgen) {
      call.signals = call.signals.filter((s) => s.from !== ev.from || !s.payload || s.payload.gen === p.gen);
    }
    call.signals.push(ev);
    const over = call.signals.length - this.signalBufferCap;
    if (over > 0) { // the oldest go first
      call.signals.splice(0, over);
      call.droppedSignals += over;
    }
  }

  _purgeSignals(call, userId) {
    call.signals = call.signals.filter((s) => s.from !== userId);
  }

  /**
   * The roster of the call this client joined (or is trying to join) in a
   * room, as a snapshot: {roomId, status, callId, role, participants,
   * iceServers, iceServersExpireAt, bufferedSignals, droppedSignals}, or
   * null when it is in no call there. `status` is JOINED, HOST_REQUIRED or
   * WAITING_ROOM_PENDING.
   */
  getCall(roomId) {
    const call = this._calls.get(roomId);
    if (!call || !call.status) return null;
    return {
      roomId, status: call.status, callId: call.callId, role: call.role,
      participants: [...call.participants.values()].map((p) => ({ ...p })),
      iceServers: call.iceServers, iceServersExpireAt: call.iceServersExpireAt,
      bufferedSignals: call.signals.length, droppedSignals: call.droppedSignals,
    };
  }

  /**
   * Makes `handler` the consumer of a room's call (MeshCall does this in
   * start()); one per room, a new one replaces the previous. The signals kept
   * so far are handed over at once, in order, as {type: 'signal', event};
   * then every change: {type: 'call', reason: joined|admitted|rejoined,
   * fresh, event} (connect to the roster's participants; `fresh`: every
   * connection must start over), {type: 'joined'|'left', userId},
   * {type: 'signal', event}, {type: 'lost', status, final, event} (a rejoin
   * did not get back in), {type: 'ended', event}. Returns a detach function.
   */
  attachCall(roomId, handler) {
    const call = this._entry(roomId);
    call.consumer = handler;
    const kept = call.signals;
    call.signals = [];
    for (const ev of kept) {
      if (call.consumer !== handler) break;
      safe(handler, { type: 'signal', event: ev });
    }
    return () => {
      const now = this._calls.get(roomId);
      if (now && now.consumer === handler) now.consumer = null;
      if (call.consumer === handler) call.consumer = null;
    };
  }

  /** The room a callId belongs to, among the calls this client is in. */
  roomOfCall(callId) {
    for (const call of this._calls.values()) if (call.callId === callId) return call.roomId;
    return null;
  }

  /** An event for onGroupCallEvent and on(). */
  _emit(ev) {
    for (const h of this._handlers) safe(h, ev);
    this._dispatch(ev);
  }

  /** An event for on(): the handlers of its type, then those of '*'. */
  _dispatch(ev) {
    for (const key of [ev.type, '*']) {
      const set = this._listeners.get(key);
      if (set) for (const h of set) safe(h, ev);
    }
  }

  /**
   * Sends a request on the open socket; `raw` skips waiting for readiness.
   * `onReply` runs in the reply's own turn, before any later frame is handled.
   */
  _request(cmd, raw = false, onReply = null) {
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
      this._pending.set(id, { resolve, reject, timer, onReply });
      this._ws.send(JSON.stringify({ id, ...cmd }));
    });
    if (raw) return send();
    return this.connect().then(send);
  }

  /** A request whose failure rejects with DropOnAirError; resolves with the reply. */
  async _call(cmd, onReply = null) {
    const r = await this._request(cmd, false, onReply);
    if (!r.ok) throw toError(r.error);
    return r;
  }

  /**
   * Joins the room's live call. Resolves to the callId, or to one of
   * 'HOST_REQUIRED' | 'ROOM_CLOSED' | 'WAITING_ROOM_PENDING' (the product
   * page's promise; join() gives the same answer as an object). Errors
   * (ROOM_NOT_FOUND, ROOM_FULL, FORBIDDEN, ...) reject with `.code`.
   * The full reply is in `client.lastJoin`; the call's roster in getCall().
   */
  async joinRoom(roomId) {
    const r = await this.join(roomId);
    return r.status === 'JOINED' ? r.callId : r.status;
  }

  /**
   * Joins the room's live call and resolves to the outcome, the reply
   * without `id` and `ok`: {status: 'JOINED', roomId, callId, role,
   * participants, iceServers, iceServersExpireAt, waiting?} |
   * {status: 'WAITING_ROOM_PENDING', roomId, position} |
   * {status: 'HOST_REQUIRED' | 'ROOM_CLOSED', roomId}. Errors reject as
   * joinRoom's do.
   */
  async join(roomId) {
    const r = await this._call({ type: 'JOIN_ROOM', roomId }, (reply) => {
      if (!reply.ok) return;
      if (reply.status === 'JOINED') this._setCall(this._entry(roomId), reply, 'joined');
      else if (HELD.has(reply.status)) {
        const call = this._entry(roomId);
        if (call.status !== 'JOINED') this._hold(call, reply.status);
      } else if (reply.status === 'ROOM_CLOSED') {
        const call = this._calls.get(roomId);
        if (call && call.status !== 'JOINED') this._calls.delete(roomId);
      }
    });
    this.lastJoin = r;
    const { id, ok, ...result } = r;
    return result;
  }

  /**
   * Relays SDP or ICE to one peer of the call. Never rejects (the product
   * page calls it without await): resolves {ok: true} or {ok: false, error}.
   * A signal sent while the connection is down goes out when it is back,
   * unless the session had to be started again: then it is dropped
   * (SESSION_EXPIRED), since it was meant for connections that are gone.
   */
  sendGroupCallSignal(type, callId, groupId, peerUserId, payload) {
    const session = this.resumeToken;
    return this.connect().then(() => {
      if (session && this.resumeToken !== session) {
        return { ok: false, error: new DropOnAirError('SESSION_EXPIRED', 'the session this signal was sent in has expired') };
      }
      return this._request({ type: 'GROUP_CALL_SIGNAL', signal: type, callId, groupId: groupId || '', to: peerUserId, payload }, true)
        .then((r) => (r.ok ? { ok: true } : { ok: false, error: toError(r.error) }));
    }).catch((err) => ({ ok: false, error: err instanceof DropOnAirError ? err : new DropOnAirError('DISCONNECTED', String(err && err.message)) }));
  }

  /**
   * Subscribes to the events of one type (a server event's, SDK_REJOINED,
   * SDK_CONNECTION_STATE) or, with '*', to all of them. Returns an unsubscribe.
   */
  on(name, handler) {
    if (typeof name !== 'string' || typeof handler !== 'function') {
      throw new TypeError('on(name, handler): an event type (or \'*\') and a function');
    }
    let set = this._listeners.get(name);
    if (!set) this._listeners.set(name, (set = new Set()));
    set.add(handler);
    return () => { set.delete(handler); };
  }

  /** Subscribes to group-call events (they carry roomId and callId) and SDK_REJOINED. Returns an unsubscribe. */
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
    const roomId = this.roomOfCall(callId);
    if (roomId) this._calls.delete(roomId);
  }

  /**
   * Leaves whatever call this client is in (or trying to get into) in a room:
   * the CURRENT call, even after a rejoin changed its callId. Resolves once
   * the server acknowledged (a connection that drops meanwhile is waited for
   * and the leave sent again); after it the SDK no longer rejoins that room.
   */
  async leaveCall(roomId) {
    const call = this._calls.get(roomId);
    if (!call) return;
    this._calls.delete(roomId);
    if (call.consumer) call.consumer = null;
    if (call.joining) await call.joining.catch(() => {}); // its reply leaves again (_undoJoin)
    for (let attempt = 0; ; attempt++) {
      const session = this.resumeToken;
      let r;
      try {
        if (call.status === 'JOINED') r = await this._request({ type: 'GROUP_CALL_LEAVE', callId: call.callId, groupId: '' });
        else if (call.status === 'WAITING_ROOM_PENDING') r = await this._request({ type: 'CANCEL_WAIT', roomId });
        else return;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof DropOnAirError) || this._closedByUser) throw err;
        await this.connect().catch(() => {});
        if (session && this.resumeToken !== session) return; // a new session is in no call
        continue;
      }
      if (r.ok || r.error.code === 'NO_LIVE_CALL' || r.error.code === 'NOT_WAITING') return;
      throw toError(r.error);
    }
  }

  /** Best effort, without waiting for a reply: for `pagehide`. */
  leaveCallNow(roomId) {
    const call = this._calls.get(roomId);
    if (!call) return;
    this._calls.delete(roomId);
    const cmd = call.status === 'JOINED' ? { type: 'GROUP_CALL_LEAVE', callId: call.callId, groupId: '' }
      : call.status === 'WAITING_ROOM_PENDING' ? { type: 'CANCEL_WAIT', roomId } : null;
    if (cmd && this._ws && this._ws.readyState === 1) {
      try { this._ws.send(JSON.stringify(cmd)); } catch { /* closing */ }
    }
  }

  async cancelWait(roomId) {
    await this._call({ type: 'CANCEL_WAIT', roomId });
    const call = this._calls.get(roomId);
    if (call && call.status !== 'JOINED') this._calls.delete(roomId);
  }

  /**
   * GET /api/ice-servers: {iceServers, expiresAt} for RTCPeerConnection, with
   * TURN credentials minted for this user. The calls' rosters take them too.
   */
  async getIceServers() {
    const data = (await this._rest('GET', '/api/ice-servers')).data;
    if (data && Array.isArray(data.iceServers)) {
      for (const call of this._calls.values()) this._setIceServers(call, data.iceServers, data.expiresAt);
    }
    return data;
  }

  async setMediaState(callId, { audio, video } = {}) {
    const cmd = { type: 'GROUP_CALL_MEDIA_STATE', callId, groupId: '' };
    if (audio !== undefined) cmd.audio = audio;
    if (video !== undefined) cmd.video = video;
    await this._call(cmd);
    const call = this._calls.get(this.roomOfCall(callId));
    const me = call && call.participants.get(this.userId);
    if (me) Object.assign(me, cmd.audio === undefined ? {} : { audio }, cmd.video === undefined ? {} : { video });
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
    clearTimeout(this._rejoinTimer);
    this._rejoinTimer = null;
    // The session ends with the socket: no call of it is followed any more.
    const calls = [...this._calls.values()];
    this._calls.clear();
    for (const call of calls) this._notify(call, { type: 'ended', event: { type: 'SDK_CLOSED', roomId: call.roomId, callId: call.callId } });
    if (this._ws) {
      try { this._ws.close(1000); } catch { /* closing */ }
    }
    this._setState('closed');
  }
}

/** When the TURN REST credentials among `servers` expire (ms), from their usernames. */
function turnExpiry(servers) {
  let at = null;
  for (const s of servers || []) {
    const m = typeof s.username === 'string' ? /^(\d+):/.exec(s.username) : null;
    if (m) at = Math.min(at === null ? Infinity : at, Number(m[1]) * 1000);
  }
  return at;
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
