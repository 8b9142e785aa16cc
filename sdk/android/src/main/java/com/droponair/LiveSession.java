package com.droponair;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The live side of a client: one WebSocket (droponair.v1), its requests and
 * replies, reconnect with RESUME, and the roster of every call the client is
 * in. Everything here runs on the SDK's loop thread ({@link #loop}); OkHttp's
 * threads only post to it. What the app sees (futures, events, state) is
 * handed to the callback executor, in the order it happened.
 */
final class LiveSession {
    static final String PROTOCOL = "droponair.v1";
    static final int SIGNAL_BUFFER_CAP = 512;
    private static final long[] BACKOFF_MS = {250, 500, 1000, 2000, 4000};
    /** Join answers after which the SDK joins again by itself. */
    private static final Set<String> HELD = new HashSet<String>(Arrays.asList("HOST_REQUIRED", "WAITING_ROOM_PENDING"));
    /** JOIN_ROOM errors worth another try a little later. */
    private static final Set<String> TRANSIENT = new HashSet<String>(
            Arrays.asList("STORE_UNAVAILABLE", "RATE_LIMITED", "INTERNAL", "TIMEOUT", "DISCONNECTED"));

    /** Runs on the loop when a reply arrives, before any later frame is handled. */
    interface ReplyHook {
        void onReply(JSONObject reply);
    }

    /** Work posted to the loop that yields a future. */
    interface Job<T> {
        DropOnAirFuture<T> run() throws DropOnAirException;
    }

    private static final class Pending {
        final DropOnAirFuture<JSONObject> future;
        final ReplyHook hook;
        ScheduledFuture<?> timer;

        Pending(DropOnAirFuture<JSONObject> future, ReplyHook hook) {
            this.future = future;
            this.hook = hook;
        }
    }

    /** What the SDK knows of one room's call. Loop thread only, except under {@code calls}'s lock. */
    private static final class CallState {
        final String roomId;
        String status;           // JOINED, HOST_REQUIRED, WAITING_ROOM_PENDING or null
        String callId;
        String role;
        LinkedHashMap<String, Participant> participants = new LinkedHashMap<String, Participant>();
        JSONArray iceServers = new JSONArray();
        Long iceServersExpireAt;
        List<GroupCallEvent> signals = new ArrayList<GroupCallEvent>();
        int droppedSignals;
        CallConsumer consumer;
        boolean rejoin;
        boolean joining;
        boolean autoJoin;

        CallState(String roomId) {
            this.roomId = roomId;
        }
    }

    final ScheduledExecutorService loop;
    private final Executor callbacks;
    private final Executor io;
    private final OkHttpClient http;
    private final HttpUrl wsUrl;
    private final Tokens tokens;
    private final boolean reconnect;
    private final long requestTimeoutMs;

    private WebSocket ws;
    private boolean wsOpen;
    private volatile ConnectionState state = ConnectionState.IDLE;
    private DropOnAirFuture<Void> ready;
    private long nextId = 1;
    private final Map<Long, Pending> pending = new HashMap<Long, Pending>();
    private volatile String userId;
    private String resumeToken;
    private long lastSeq;
    private boolean closedByUser;
    private boolean fatal;
    private int attempt;
    private ScheduledFuture<?> rejoinTimer;
    private final LinkedHashMap<String, CallState> calls = new LinkedHashMap<String, CallState>();
    final CopyOnWriteArrayList<GroupCallListener> eventListeners = new CopyOnWriteArrayList<GroupCallListener>();
    final CopyOnWriteArrayList<ConnectionStateListener> stateListeners =
            new CopyOnWriteArrayList<ConnectionStateListener>();

    LiveSession(ScheduledExecutorService loop, Executor callbacks, Executor io, OkHttpClient http, HttpUrl wsUrl,
                Tokens tokens, boolean reconnect, long requestTimeoutMs) {
        this.loop = loop;
        this.callbacks = callbacks;
        this.io = io;
        this.http = http;
        this.wsUrl = wsUrl;
        this.tokens = tokens;
        this.reconnect = reconnect;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    // ---- running work on the loop ----

    /** Runs job on the loop; the returned future follows the job's. */
    <T> DropOnAirFuture<T> onLoop(final Job<T> job) {
        final DropOnAirFuture<T> out = new DropOnAirFuture<T>(callbacks);
        loop.execute(new Runnable() {
            @Override
            public void run() {
                DropOnAirFuture<T> f;
                try {
                    f = job.run();
                } catch (DropOnAirException e) {
                    out.fail(e);
                    return;
                } catch (RuntimeException e) {
                    out.fail(new DropOnAirException("INTERNAL", String.valueOf(e), e));
                    return;
                }
                pipe(f, out);
            }
        });
        return out;
    }

    static <T> void pipe(DropOnAirFuture<T> from, final DropOnAirFuture<T> to) {
        from.whenDoneDirect(new Callback<T>() {
            @Override
            public void onSuccess(T value) {
                to.complete(value);
            }

            @Override
            public void onFailure(DropOnAirException error) {
                to.fail(error);
            }
        });
    }

    private <T> DropOnAirFuture<T> future() {
        return new DropOnAirFuture<T>(callbacks);
    }

    String userId() {
        return userId;
    }

    ConnectionState state() {
        return state;
    }

    // ---- connecting ----

    /** Connects and authenticates; the same future while a connection is being made. Loop only. */
    DropOnAirFuture<Void> connect() {
        if (ready != null) {
            return ready;
        }
        closedByUser = false;
        fatal = false;
        ready = future();
        final DropOnAirFuture<Void> r = ready;
        open(false);
        r.whenDoneDirect(new Callback<Void>() {
            @Override
            public void onSuccess(Void v) {
            }

            @Override
            public void onFailure(DropOnAirException e) {
                if (ready == r) {
                    ready = null;
                }
            }
        });
        return r;
    }

    private void setState(final ConnectionState s) {
        if (state == s) {
            return;
        }
        state = s;
        callbacks.execute(new Runnable() {
            @Override
            public void run() {
                for (ConnectionStateListener l : stateListeners) {
                    try {
                        l.onConnectionState(s);
                    } catch (RuntimeException e) {
                        report(e);
                    }
                }
            }
        });
    }

    /** Opens a socket; resume tries RESUME first. Completes {@link #ready} when usable. */
    private void open(final boolean resume) {
        setState(resume ? ConnectionState.RECONNECTING : ConnectionState.CONNECTING);
        Request req = new Request.Builder().url(wsUrl).header("Sec-WebSocket-Protocol", PROTOCOL).build();
        wsOpen = false;
        ws = http.newWebSocket(req, new WebSocketListener() {
            @Override
            public void onOpen(final WebSocket w, Response response) {
                post(new Runnable() {
                    @Override
                    public void run() {
                        if (w == ws) {
                            opened(w, resume);
                        }
                    }
                });
            }

            @Override
            public void onMessage(final WebSocket w, final String text) {
                post(new Runnable() {
                    @Override
                    public void run() {
                        if (w == ws) {
                            onFrame(text);
                        }
                    }
                });
            }

            @Override
            public void onClosing(final WebSocket w, final int code, String reason) {
                w.close(1000, null);
                post(new Runnable() {
                    @Override
                    public void run() {
                        if (w == ws) {
                            onClose(code);
                        }
                    }
                });
            }

            @Override
            public void onClosed(final WebSocket w, final int code, String reason) {
                post(new Runnable() {
                    @Override
                    public void run() {
                        if (w == ws) {
                            onClose(code);
                        }
                    }
                });
            }

            @Override
            public void onFailure(final WebSocket w, Throwable t, Response response) {
                post(new Runnable() {
                    @Override
                    public void run() {
                        if (w == ws) {
                            onClose(1006);
                        }
                    }
                });
            }
        });
    }

    private void post(Runnable r) {
        try {
            loop.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The client was shut down: nothing follows its connections any more.
        }
    }

    private void opened(final WebSocket w, boolean resume) {
        wsOpen = true;
        handshake(resume).whenDoneDirect(new Callback<Void>() {
            @Override
            public void onSuccess(Void v) {
                if (w != ws) {
                    return;
                }
                attempt = 0;
                setState(ConnectionState.OPEN);
                if (ready != null) {
                    ready.complete(null);
                }
            }

            @Override
            public void onFailure(DropOnAirException e) {
                if (w != ws) {
                    return;
                }
                String c = e.getCode();
                // A refused AUTH is final: no reconnect loop with a bad token.
                if ("UNAUTHORIZED".equals(c) || "FORBIDDEN".equals(c) || "RATE_LIMITED".equals(c)) {
                    fatal = true;
                    if (ready != null) {
                        ready.fail(e);
                    }
                }
                w.close(1000, null);
                onClose(1000);
            }
        });
    }

    private DropOnAirFuture<Void> handshake(boolean resume) {
        if (resume && resumeToken != null) {
            JSONObject cmd = obj("type", "RESUME", "resumeToken", resumeToken, "lastSeq", lastSeq);
            final DropOnAirFuture<Void> out = future();
            send(cmd, null).whenDoneDirect(new Callback<JSONObject>() {
                @Override
                public void onSuccess(JSONObject r) {
                    if (r.optBoolean("ok")) {
                        rejoin(); // a rejoin whose reply the drop took
                        out.complete(null);
                        return;
                    }
                    DropOnAirException e = toError(r);
                    if (!"RESUME_EXPIRED".equals(e.getCode())) {
                        out.fail(e);
                        return;
                    }
                    pipe(authenticate(true, false), out);
                }

                @Override
                public void onFailure(DropOnAirException e) {
                    out.fail(e);
                }
            });
            return out;
        }
        return authenticate(resume, false);
    }

    /** AUTH with a token from the provider (asked on the io executor); one retry with a fresh one. */
    private DropOnAirFuture<Void> authenticate(final boolean resume, final boolean retried) {
        final DropOnAirFuture<Void> out = future();
        final WebSocket w = ws;
        io.execute(new Runnable() {
            @Override
            public void run() {
                final String token;
                try {
                    token = tokens.get();
                } catch (final DropOnAirException e) {
                    post(new Runnable() {
                        @Override
                        public void run() {
                            out.fail(e);
                        }
                    });
                    return;
                }
                post(new Runnable() {
                    @Override
                    public void run() {
                        if (w != ws) {
                            out.fail(new DropOnAirException("DISCONNECTED", "connection closed"));
                            return;
                        }
                        sendAuth(token, resume, retried, out);
                    }
                });
            }
        });
        return out;
    }

    private void sendAuth(final String token, final boolean resume, final boolean retried,
                          final DropOnAirFuture<Void> out) {
        send(obj("type", "AUTH", "token", token), null).whenDoneDirect(new Callback<JSONObject>() {
            @Override
            public void onSuccess(JSONObject a) {
                if (!a.optBoolean("ok")) {
                    DropOnAirException e = toError(a);
                    if ("UNAUTHORIZED".equals(e.getCode()) && !retried) {
                        tokens.refused(token);
                        pipe(authenticate(resume, true), out);
                        return;
                    }
                    out.fail(e);
                    return;
                }
                String rt = a.optString("resumeToken", null);
                boolean fresh = rt == null || !rt.equals(resumeToken);
                userId = a.optString("userId", null);
                resumeToken = rt;
                lastSeq = 0;
                if (resume && fresh) {
                    // The old session is gone, and with it our places: join again.
                    for (CallState call : calls.values()) {
                        if ("JOINED".equals(call.status) || HELD.contains(call.status)) {
                            call.rejoin = true;
                        }
                    }
                }
                rejoin();
                out.complete(null);
            }

            @Override
            public void onFailure(DropOnAirException e) {
                out.fail(e);
            }
        });
    }

    private void onClose(int code) {
        ws = null;
        wsOpen = false;
        failPending(new DropOnAirException("DISCONNECTED", "connection closed (" + code + ")"));
        // Only a session that existed is worth reconnecting for.
        if (closedByUser || !reconnect || fatal || resumeToken == null || code == 1008) {
            if (ready != null) {
                ready.fail(new DropOnAirException("DISCONNECTED",
                        resumeToken == null ? "cannot connect" : "connection closed (" + code + ")"));
                ready = null;
            }
            setState(ConnectionState.CLOSED);
            return;
        }
        // Reconnect with backoff; RESUME keeps our calls if within the grace.
        long delay = BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)];
        setState(ConnectionState.RECONNECTING);
        if (ready == null || ready.isDone()) {
            ready = future();
        }
        loop.schedule(new Runnable() {
            @Override
            public void run() {
                if (closedByUser || ws != null) {
                    return;
                }
                open(true);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    private void failPending(DropOnAirException e) {
        List<Pending> all = new ArrayList<Pending>(pending.values());
        pending.clear();
        for (Pending p : all) {
            if (p.timer != null) {
                p.timer.cancel(false);
            }
            p.future.fail(e);
        }
    }

    /** Closes the connection for good (until a later call connects again). Loop only. */
    void close() {
        closedByUser = true;
        if (ready != null) {
            ready.fail(new DropOnAirException("DISCONNECTED", "closed"));
            ready = null;
        }
        if (rejoinTimer != null) {
            rejoinTimer.cancel(false);
            rejoinTimer = null;
        }
        // The session ends with the socket: no call of it is followed any more.
        List<CallState> all;
        synchronized (calls) {
            all = new ArrayList<CallState>(calls.values());
            calls.clear();
        }
        for (CallState call : all) {
            notify(call, CallChange.ended(new GroupCallEvent(
                    obj("type", "SDK_CLOSED", "roomId", call.roomId, "callId", call.callId))));
        }
        WebSocket w = ws;
        ws = null;
        wsOpen = false;
        failPending(new DropOnAirException("DISCONNECTED", "closed"));
        if (w != null) {
            w.close(1000, null);
        }
        resumeToken = null;
        setState(ConnectionState.CLOSED);
    }

    /** Drops the TCP connection without a close frame, as a network loss would. For tests. */
    void dropConnection() {
        if (ws != null) {
            ws.cancel();
        }
    }

    // ---- requests ----

    /** Sends cmd once connected (connecting first if needed). */
    DropOnAirFuture<JSONObject> request(final JSONObject cmd, final ReplyHook hook) {
        final DropOnAirFuture<JSONObject> out = future();
        connect().whenDoneDirect(new Callback<Void>() {
            @Override
            public void onSuccess(Void v) {
                pipe(send(cmd, hook), out);
            }

            @Override
            public void onFailure(DropOnAirException e) {
                out.fail(e);
            }
        });
        return out;
    }

    /** Sends cmd and resolves with its reply (ok or not); ok:false fails with the server's error. */
    DropOnAirFuture<JSONObject> call(JSONObject cmd, ReplyHook hook) {
        return request(cmd, hook).map(new DropOnAirFuture.Transform<JSONObject, JSONObject>() {
            @Override
            public JSONObject apply(JSONObject r) throws DropOnAirException {
                if (!r.optBoolean("ok")) {
                    throw toError(r);
                }
                return r;
            }
        });
    }

    /** Sends cmd on the open socket now, without waiting for readiness. */
    DropOnAirFuture<JSONObject> send(JSONObject cmd, ReplyHook hook) {
        final DropOnAirFuture<JSONObject> f = future();
        if (ws == null || !wsOpen) {
            f.fail(new DropOnAirException("DISCONNECTED", "not connected"));
            return f;
        }
        final long id = nextId++;
        put(cmd, "id", id);
        final Pending p = new Pending(f, hook);
        pending.put(id, p);
        final String type = cmd.optString("type");
        p.timer = loop.schedule(new Runnable() {
            @Override
            public void run() {
                if (pending.remove(id) != null) {
                    f.fail(new DropOnAirException("TIMEOUT", "no reply to " + type));
                }
            }
        }, requestTimeoutMs, TimeUnit.MILLISECONDS);
        if (!ws.send(cmd.toString())) {
            pending.remove(id);
            p.timer.cancel(false);
            f.fail(new DropOnAirException("DISCONNECTED", "connection closing"));
        }
        return f;
    }

    private void onFrame(String text) {
        JSONObject msg;
        try {
            msg = new JSONObject(text);
        } catch (JSONException e) {
            return;
        }
        if (msg.has("id") && msg.has("ok")) {
            Object id = msg.opt("id");
            Pending p = id instanceof Number ? pending.remove(((Number) id).longValue()) : null;
            if (p != null) {
                p.timer.cancel(false);
                if (p.hook != null) {
                    try {
                        p.hook.onReply(msg);
                    } catch (RuntimeException e) {
                        report(e);
                    }
                }
                p.future.complete(msg);
                return;
            }
        }
        if (!msg.has("type")) {
            return;
        }
        Object seq = msg.opt("seq");
        if (seq instanceof Number) {
            long s = ((Number) seq).longValue();
            if (s <= lastSeq) {
                return; // already seen (a replay overlap)
            }
            lastSeq = s;
        }
        GroupCallEvent ev = new GroupCallEvent(msg);
        track(ev);
        emit(ev);
    }

    void emit(final GroupCallEvent ev) {
        callbacks.execute(new Runnable() {
            @Override
            public void run() {
                for (GroupCallListener l : eventListeners) {
                    try {
                        l.onGroupCallEvent(ev);
                    } catch (RuntimeException e) {
                        report(e);
                    }
                }
            }
        });
    }

    /** Refreshes the open session's token (AUTH with a fresh one from the provider). Loop only. */
    DropOnAirFuture<Void> refreshToken() {
        tokens.invalidate();
        final DropOnAirFuture<Void> out = future();
        connect().whenDoneDirect(new Callback<Void>() {
            @Override
            public void onSuccess(Void v) {
                final WebSocket w = ws;
                io.execute(new Runnable() {
                    @Override
                    public void run() {
                        try {
                            final String token = tokens.get();
                            post(new Runnable() {
                                @Override
                                public void run() {
                                    if (w != ws) {
                                        // Reconnected meanwhile: that connection authenticated with this token.
                                        out.complete(null);
                                        return;
                                    }
                                    send(obj("type", "AUTH", "token", token), null).map(
                                            new DropOnAirFuture.Transform<JSONObject, Void>() {
                                                @Override
                                                public Void apply(JSONObject r) throws DropOnAirException {
                                                    if (!r.optBoolean("ok")) {
                                                        throw toError(r);
                                                    }
                                                    return null;
                                                }
                                            }).whenDoneDirect(forward(out));
                                }
                            });
                        } catch (final DropOnAirException e) {
                            out.fail(e);
                        }
                    }
                });
            }

            @Override
            public void onFailure(DropOnAirException e) {
                out.fail(e);
            }
        });
        return out;
    }

    static <T> Callback<T> forward(final DropOnAirFuture<T> to) {
        return new Callback<T>() {
            @Override
            public void onSuccess(T value) {
                to.complete(value);
            }

            @Override
            public void onFailure(DropOnAirException error) {
                to.fail(error);
            }
        };
    }

    // ---- joining and the roster ----

    DropOnAirFuture<JoinResult> joinRoom(final String roomId) {
        return call(obj("type", "JOIN_ROOM", "roomId", roomId), new ReplyHook() {
            @Override
            public void onReply(JSONObject reply) {
                if (!reply.optBoolean("ok")) {
                    return;
                }
                String status = reply.optString("status");
                if ("JOINED".equals(status)) {
                    setCall(entry(roomId), reply, "joined", null);
                } else if (HELD.contains(status)) {
                    CallState call = entry(roomId);
                    if (!"JOINED".equals(call.status)) {
                        hold(call, status);
                    }
                } else if ("ROOM_CLOSED".equals(status)) {
                    CallState call = calls.get(roomId);
                    if (call != null && !"JOINED".equals(call.status)) {
                        remove(roomId);
                    }
                }
            }
        }).map(new DropOnAirFuture.Transform<JSONObject, JoinResult>() {
            @Override
            public JoinResult apply(JSONObject r) throws DropOnAirException {
                return new JoinResult(r);
            }
        });
    }

    /**
     * Joins again every call marked {@code rejoin} (after a session could not
     * be resumed, or when a host arrives for one the SDK was held out of) and
     * emits SDK_REJOINED for each definitive answer.
     */
    private void rejoin() {
        for (final CallState call : new ArrayList<CallState>(calls.values())) {
            if (!call.rejoin || call.joining) {
                continue;
            }
            final String roomId = call.roomId;
            call.joining = true;
            send(obj("type", "JOIN_ROOM", "roomId", roomId), new ReplyHook() {
                @Override
                public void onReply(JSONObject r) {
                    rejoined(call, r);
                }
            }).whenDoneDirect(new Callback<JSONObject>() {
                @Override
                public void onSuccess(JSONObject r) {
                }

                @Override
                public void onFailure(DropOnAirException e) {
                    // The connection dropped again: the next one joins again; a timeout retries.
                    call.joining = false;
                    retryRejoin();
                }
            });
        }
    }

    private void rejoined(CallState call, JSONObject r) {
        String roomId = call.roomId;
        call.joining = false;
        if (calls.get(roomId) != call) {
            undoJoin(roomId, r); // left meanwhile
            return;
        }
        boolean ok = r.optBoolean("ok");
        DropOnAirException err = ok ? null : toError(r);
        if (err != null && TRANSIENT.contains(err.getCode())) {
            retryRejoin();
            return;
        }
        call.rejoin = false;
        String status = ok ? r.optString("status") : "ERROR";
        JSONObject e = obj("type", GroupCallEvent.SDK_REJOINED, "roomId", roomId,
                "callId", "JOINED".equals(status) ? r.optString("callId") : JSONObject.NULL,
                "previousCallId", call.callId == null ? JSONObject.NULL : call.callId,
                "status", status, "reply", r);
        if (err != null) {
            put(e, "error", r.optJSONObject("error"));
        }
        GroupCallEvent ev = new GroupCallEvent(e);
        if ("JOINED".equals(status)) {
            setCall(call, r, "rejoined", ev);
        } else if (HELD.contains(status)) {
            hold(call, status);
            call.autoJoin = "HOST_REQUIRED".equals(status);
            notify(call, CallChange.lost(status, false, ev));
        } else {
            remove(roomId);
            notify(call, CallChange.lost(status, true, ev));
        }
        emit(ev);
    }

    private void retryRejoin() {
        if (rejoinTimer != null) {
            return;
        }
        rejoinTimer = loop.schedule(new Runnable() {
            @Override
            public void run() {
                rejoinTimer = null;
                if (state == ConnectionState.OPEN) {
                    rejoin();
                }
            }
        }, 1000, TimeUnit.MILLISECONDS);
    }

    /** A JOIN answered after the app left that room: leave (or stop waiting) again. */
    private void undoJoin(String roomId, JSONObject r) {
        if (!r.optBoolean("ok") || ws == null) {
            return;
        }
        String status = r.optString("status");
        if ("JOINED".equals(status)) {
            send(obj("type", "GROUP_CALL_LEAVE", "callId", r.optString("callId"), "groupId", ""), null);
        } else if ("WAITING_ROOM_PENDING".equals(status)) {
            send(obj("type", "CANCEL_WAIT", "roomId", roomId), null);
        }
    }

    private CallState entry(String roomId) {
        synchronized (calls) {
            CallState call = calls.get(roomId);
            if (call == null) {
                call = new CallState(roomId);
                calls.put(roomId, call);
            }
            return call;
        }
    }

    private void remove(String roomId) {
        synchronized (calls) {
            calls.remove(roomId);
        }
    }

    /** A JOINED reply or an ADMITTED event: the call, its people and ICE servers. */
    private void setCall(CallState call, JSONObject r, String reason, GroupCallEvent event) {
        String callId = r.optString("callId", null);
        boolean fresh = !"joined".equals(reason) || callId == null || !callId.equals(call.callId)
                || !"JOINED".equals(call.status);
        LinkedHashMap<String, Participant> people = new LinkedHashMap<String, Participant>();
        JSONArray a = r.optJSONArray("participants");
        for (int i = 0; a != null && i < a.length(); i++) {
            JSONObject p = a.optJSONObject(i);
            if (p != null) {
                people.put(p.optString("userId"), new Participant(p));
            }
        }
        synchronized (calls) {
            call.status = "JOINED";
            call.callId = callId;
            call.role = r.optString("role", call.role);
            call.participants = people;
            call.autoJoin = false;
            JSONArray ice = r.optJSONArray("iceServers");
            if (ice != null) {
                call.iceServers = ice;
                Object exp = r.opt("iceServersExpireAt");
                call.iceServersExpireAt = exp instanceof Number ? Long.valueOf(((Number) exp).longValue()) : null;
            }
            if (fresh) { // signals of an earlier call, or of our previous session, are of no use now
                call.signals = new ArrayList<GroupCallEvent>();
                call.droppedSignals = 0;
            }
        }
        notify(call, CallChange.call(userId, callId, reason, fresh,
                new ArrayList<Participant>(people.values()), event));
    }

    /** Out of the call but still trying to get in (a host is required, or waiting). */
    private void hold(CallState call, String status) {
        synchronized (calls) {
            call.status = status;
            call.callId = null;
            call.participants = new LinkedHashMap<String, Participant>();
            call.signals = new ArrayList<GroupCallEvent>();
            call.droppedSignals = 0;
        }
    }

    private void notify(final CallState call, final CallChange change) {
        final CallConsumer c = call.consumer;
        if (c == null) {
            return;
        }
        callbacks.execute(new Runnable() {
            @Override
            public void run() {
                try {
                    c.onCallChange(change);
                } catch (RuntimeException e) {
                    report(e);
                }
            }
        });
    }

    /** Keeps the roster right; runs before the app's listeners see the event. */
    private void track(GroupCallEvent ev) {
        String roomId = ev.getRoomId();
        final CallState call = roomId == null ? null : calls.get(roomId);
        if (call == null) {
            return;
        }
        String type = ev.getType();
        if ("GROUP_CALL_ADMITTED".equals(type)) {
            setCall(call, ev.json(), "admitted", ev);
            return;
        }
        if ("GROUP_CALL_HOST_PRESENT".equals(type)) {
            if ("HOST_REQUIRED".equals(call.status) && call.autoJoin) {
                call.rejoin = true;
                rejoin();
            }
            return;
        }
        if ("GROUP_CALL_DENIED".equals(type)) {
            if ("WAITING_ROOM_PENDING".equals(call.status)) {
                end(call, ev);
            }
            return;
        }
        if (!"JOINED".equals(call.status) || call.callId == null || !call.callId.equals(ev.getCallId())) {
            return;
        }
        String who = ev.getUserId();
        synchronized (calls) {
            Participant p = who == null ? null : call.participants.get(who);
            if ("GROUP_CALL_PARTICIPANT_JOINED".equals(type)) {
                if (who == null || who.equals(userId)) {
                    return;
                }
                purgeSignals(call, who);
                call.participants.put(who, new Participant(who, ev.json().optString("name", who),
                        ev.json().optString("role", "PARTICIPANT"), ev.json().optLong("joinedAt",
                        System.currentTimeMillis()), true, true, false, false));
                notify(call, CallChange.joined(call.callId, who));
            } else if ("GROUP_CALL_PARTICIPANT_LEFT".equals(type)) {
                if (who == null || who.equals(userId)) {
                    return;
                }
                call.participants.remove(who);
                purgeSignals(call, who);
                notify(call, CallChange.left(call.callId, who, ev.getReason()));
            } else if ("GROUP_CALL_PARTICIPANT_RECONNECTING".equals(type) && p != null) {
                call.participants.put(who, p.withReconnecting(true));
            } else if ("GROUP_CALL_PARTICIPANT_RECONNECTED".equals(type) && p != null) {
                call.participants.put(who, p.withReconnecting(false));
            } else if ("GROUP_CALL_MEDIA_STATE".equals(type) && p != null) {
                Object a = ev.json().opt("audio");
                Object v = ev.json().opt("video");
                call.participants.put(who, p.withMedia(a instanceof Boolean ? (Boolean) a : null,
                        v instanceof Boolean ? (Boolean) v : null));
            } else if ("GROUP_CALL_ROLE_CHANGED".equals(type)) {
                String role = ev.str("role");
                if (p != null && role != null) {
                    call.participants.put(who, p.withRole(role));
                }
                if (who != null && who.equals(userId) && role != null) {
                    call.role = role;
                }
            } else if ("GROUP_CALL_SCREEN_SHARE_STARTED".equals(type)) {
                for (Map.Entry<String, Participant> e : call.participants.entrySet()) {
                    e.setValue(e.getValue().withScreenSharing(e.getKey().equals(who)));
                }
            } else if ("GROUP_CALL_SCREEN_SHARE_STOPPED".equals(type) && p != null) {
                call.participants.put(who, p.withScreenSharing(false));
            } else if ("GROUP_CALL_ENDED".equals(type) || "GROUP_CALL_REMOVED".equals(type)) {
                end(call, ev);
            } else if (ev.isSignal()) {
                signal(call, ev);
            }
        }
    }

    private void end(CallState call, GroupCallEvent ev) {
        remove(call.roomId);
        notify(call, CallChange.ended(ev));
    }

    /** Hands a signal to the call's consumer, or keeps it (bounded) until one attaches. */
    private void signal(CallState call, GroupCallEvent ev) {
        if (call.consumer != null) {
            notify(call, CallChange.signal(ev));
            return;
        }
        Object p = ev.getPayload();
        // A new connection's first offer makes what the sender's older ones said useless.
        if (GroupCallEvent.SDP_OFFER.equals(ev.getType()) && p instanceof JSONObject
                && ((JSONObject) p).has("gen") && !((JSONObject) p).has("rgen")) {
            String gen = ((JSONObject) p).optString("gen");
            Iterator<GroupCallEvent> it = call.signals.iterator();
            while (it.hasNext()) {
                GroupCallEvent s = it.next();
                Object sp = s.getPayload();
                boolean same = sp instanceof JSONObject && gen.equals(((JSONObject) sp).optString("gen", null));
                if (s.getFrom().equals(ev.getFrom()) && !same) {
                    it.remove();
                }
            }
        }
        call.signals.add(ev);
        int over = call.signals.size() - SIGNAL_BUFFER_CAP;
        if (over > 0) { // the oldest go first
            call.signals.subList(0, over).clear();
            call.droppedSignals += over;
        }
    }

    private void purgeSignals(CallState call, String from) {
        Iterator<GroupCallEvent> it = call.signals.iterator();
        while (it.hasNext()) {
            if (from.equals(it.next().getFrom())) {
                it.remove();
            }
        }
    }

    /** A snapshot of the roster of a room's call, or null. Any thread. */
    CallRoster getCall(String roomId) {
        synchronized (calls) {
            CallState call = calls.get(roomId);
            return call == null ? null : snapshot(call);
        }
    }

    private CallRoster snapshot(CallState call) {
        if (call.status == null) {
            return null;
        }
        return new CallRoster(call.roomId, JoinStatus.valueOf(call.status), call.callId, call.role,
                new ArrayList<Participant>(call.participants.values()), call.iceServers, call.iceServersExpireAt,
                call.signals.size(), call.droppedSignals);
    }

    /** The room of a call this client is in, or null. Loop only. */
    String roomOfCall(String callId) {
        for (CallState call : calls.values()) {
            if (callId != null && callId.equals(call.callId)) {
                return call.roomId;
            }
        }
        return null;
    }

    /**
     * Makes consumer the one of a room's call (one per room): it gets
     * ATTACHED with the roster now, then the signals kept so far, then
     * every change. Loop only.
     */
    void attachCall(String roomId, final CallConsumer consumer) {
        final CallState call = entry(roomId);
        call.consumer = consumer;
        final CallRoster roster = snapshot(call);
        final List<GroupCallEvent> kept;
        synchronized (calls) {
            kept = call.signals;
            call.signals = new ArrayList<GroupCallEvent>();
        }
        notify(call, CallChange.attached(userId, roster));
        for (GroupCallEvent ev : kept) {
            notify(call, CallChange.signal(ev));
        }
    }

    /** Stops handing changes to consumer. Loop only. */
    void detachCall(String roomId, CallConsumer consumer) {
        CallState call = calls.get(roomId);
        if (call != null && call.consumer == consumer) {
            call.consumer = null;
            if (call.status == null) {
                remove(roomId);
            }
        }
    }

    void setIceServers(JSONArray servers, Long expiresAt) {
        synchronized (calls) {
            for (CallState call : calls.values()) {
                call.iceServers = servers;
                call.iceServersExpireAt = expiresAt;
            }
        }
    }

    // ---- leaving ----

    DropOnAirFuture<Void> leaveGroupCall(final String callId) {
        return call(obj("type", "GROUP_CALL_LEAVE", "callId", callId, "groupId", ""), null)
                .map(new DropOnAirFuture.Transform<JSONObject, Void>() {
                    @Override
                    public Void apply(JSONObject r) {
                        String roomId = roomOfCall(callId);
                        if (roomId != null) {
                            forget(roomId);
                        }
                        return null;
                    }
                });
    }

    DropOnAirFuture<Void> cancelWait(final String roomId) {
        return call(obj("type", "CANCEL_WAIT", "roomId", roomId), null)
                .map(new DropOnAirFuture.Transform<JSONObject, Void>() {
                    @Override
                    public Void apply(JSONObject r) {
                        CallState call = calls.get(roomId);
                        if (call != null && !"JOINED".equals(call.status)) {
                            forget(roomId);
                        }
                        return null;
                    }
                });
    }

    private void forget(String roomId) {
        CallState call = calls.get(roomId);
        remove(roomId);
        if (call != null) {
            call.consumer = null;
        }
    }

    /**
     * Leaves whatever call this client is in (or trying to get into) in a
     * room, as it is now; a connection that drops meanwhile is waited for and
     * the leave sent again (3 tries). Loop only.
     */
    DropOnAirFuture<Void> leaveCall(String roomId) {
        CallState call = calls.get(roomId);
        DropOnAirFuture<Void> out = future();
        if (call == null) {
            out.complete(null);
            return out;
        }
        forget(roomId);
        leaveAttempt(call, 0, out);
        return out;
    }

    private void leaveAttempt(final CallState call, final int attemptNo, final DropOnAirFuture<Void> out) {
        final JSONObject cmd;
        if ("JOINED".equals(call.status)) {
            cmd = obj("type", "GROUP_CALL_LEAVE", "callId", call.callId, "groupId", "");
        } else if ("WAITING_ROOM_PENDING".equals(call.status)) {
            cmd = obj("type", "CANCEL_WAIT", "roomId", call.roomId);
        } else {
            out.complete(null);
            return;
        }
        final String session = resumeToken;
        request(cmd, null).whenDoneDirect(new Callback<JSONObject>() {
            @Override
            public void onSuccess(JSONObject r) {
                DropOnAirException e = r.optBoolean("ok") ? null : toError(r);
                if (e == null || "NO_LIVE_CALL".equals(e.getCode()) || "NOT_WAITING".equals(e.getCode())) {
                    out.complete(null);
                } else {
                    out.fail(e);
                }
            }

            @Override
            public void onFailure(DropOnAirException e) {
                if (attemptNo >= 3 || closedByUser) {
                    out.fail(e);
                    return;
                }
                connect().whenDone(new Runnable() {
                    @Override
                    public void run() {
                        if (session != null && !session.equals(resumeToken)) {
                            out.complete(null); // a new session is in no call
                            return;
                        }
                        leaveAttempt(call, attemptNo + 1, out);
                    }
                });
            }
        });
    }

    // ---- signals ----

    DropOnAirFuture<SignalResult> sendSignal(final String type, final String callId, final String groupId,
                                             final String to, final Object payload) {
        final String session = resumeToken;
        final DropOnAirFuture<SignalResult> out = future();
        connect().whenDoneDirect(new Callback<Void>() {
            @Override
            public void onSuccess(Void v) {
                if (session != null && !session.equals(resumeToken)) {
                    out.complete(new SignalResult(new DropOnAirException("SESSION_EXPIRED",
                            "the session this signal was sent in has expired")));
                    return;
                }
                JSONObject cmd = obj("type", "GROUP_CALL_SIGNAL", "signal", type, "callId", callId,
                        "groupId", groupId == null ? "" : groupId, "to", to,
                        "payload", payload == null ? JSONObject.NULL : payload);
                send(cmd, null).whenDoneDirect(new Callback<JSONObject>() {
                    @Override
                    public void onSuccess(JSONObject r) {
                        out.complete(new SignalResult(r.optBoolean("ok") ? null : toError(r)));
                    }

                    @Override
                    public void onFailure(DropOnAirException e) {
                        out.complete(new SignalResult(e));
                    }
                });
            }

            @Override
            public void onFailure(DropOnAirException e) {
                out.complete(new SignalResult(e));
            }
        });
        return out;
    }

    // ---- helpers ----

    static DropOnAirException toError(JSONObject reply) {
        return DropOnAirException.fromBody(reply.optJSONObject("error"), 0);
    }

    /** A JSON object from name/value pairs. */
    static JSONObject obj(Object... kv) {
        JSONObject o = new JSONObject();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            put(o, (String) kv[i], kv[i + 1]);
        }
        return o;
    }

    static void put(JSONObject o, String name, Object value) {
        try {
            o.put(name, value);
        } catch (JSONException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    /** A listener threw: that is the app's bug; it must not stop the SDK. */
    static void report(RuntimeException e) {
        Thread t = Thread.currentThread();
        Thread.UncaughtExceptionHandler h = t.getUncaughtExceptionHandler();
        if (h != null) {
            h.uncaughtException(t, e);
        }
    }
}
