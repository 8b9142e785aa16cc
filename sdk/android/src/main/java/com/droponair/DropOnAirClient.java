package com.droponair;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The droponair client: rooms over REST, live calls over one WebSocket
 * (subprotocol {@code droponair.v1}). The same API as the JavaScript SDK
 * ({@code @droponair/sdk} 0.14.0), with futures instead of promises.
 *
 * <p><b>Threading.</b> Every method may be called from any thread and
 * returns at once. Results ({@link DropOnAirFuture} callbacks), events
 * ({@link GroupCallListener}) and connection states arrive on the callback
 * executor chosen with {@link Builder#callbackExecutor(Executor)} (on
 * Android pass the main thread's, e.g. {@code
 * ContextCompat.getMainExecutor(context)}), in the order they happened: a
 * command's result before the events it caused. That executor must run tasks
 * one at a time, in order. The {@link TokenProvider} is called on one of
 * the SDK's background threads.
 *
 * <p><b>Connection.</b> The socket opens on the first call that needs it. A
 * dropped connection reconnects with backoff (250 ms … 4 s) and {@code
 * RESUME}s: calls, roles and waiting places are kept and the events missed
 * are delivered once, in order. When the session could not be resumed
 * (down longer than the server's grace, or a server restart) the client
 * authenticates again, joins again every room it was in and emits
 * {@code SDK_REJOINED} for each.
 */
public final class DropOnAirClient {
    /** The SDK's version, that of the protocol's other SDKs. */
    public static final String VERSION = "0.14.0";

    private static final MediaType JSON_TYPE = MediaType.parse("application/json; charset=utf-8");

    private final HttpUrl base;
    private final OkHttpClient http;
    private final Executor callbacks;
    private final ExecutorService io;
    private final ScheduledThreadPoolExecutor loop;
    private final Tokens tokens;
    private final LiveSession live;

    /** A client with the defaults: see {@link Builder}. */
    public DropOnAirClient(String baseUrl, TokenProvider tokenProvider) {
        this(new Builder(baseUrl, tokenProvider));
    }

    private DropOnAirClient(Builder b) {
        HttpUrl url = HttpUrl.parse(b.baseUrl);
        if (url == null) {
            throw new IllegalArgumentException("not an http(s) URL: " + b.baseUrl);
        }
        this.base = url;
        OkHttpClient h = b.okHttpClient;
        if (h == null) {
            h = new OkHttpClient.Builder().connectTimeout(10, TimeUnit.SECONDS).readTimeout(20, TimeUnit.SECONDS)
                    .writeTimeout(20, TimeUnit.SECONDS).pingInterval(15, TimeUnit.SECONDS).build();
        }
        this.http = h;
        this.loop = new ScheduledThreadPoolExecutor(1, daemon("droponair-loop"));
        this.loop.setRemoveOnCancelPolicy(true);
        this.loop.setKeepAliveTime(30, TimeUnit.SECONDS);
        this.loop.allowCoreThreadTimeOut(true); // an idle client holds no thread
        this.io = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
                new SynchronousQueue<Runnable>(), daemon("droponair-io"));
        this.callbacks = b.callbackExecutor != null ? b.callbackExecutor : defaultCallbacks();
        this.tokens = new Tokens(b.tokenProvider, b.tokenRefreshMarginMs);
        HttpUrl ws = url.newBuilder().addPathSegments("api/ws").build();
        this.live = new LiveSession(loop, callbacks, io, http, ws, tokens, b.reconnect, b.requestTimeoutMs);
    }

    /** Starts a builder: every option has a default. */
    public static Builder builder(String baseUrl, TokenProvider tokenProvider) {
        return new Builder(baseUrl, tokenProvider);
    }

    /** The client's options. */
    public static final class Builder {
        private final String baseUrl;
        private final TokenProvider tokenProvider;
        private Executor callbackExecutor;
        private OkHttpClient okHttpClient;
        private boolean reconnect = true;
        private long requestTimeoutMs = 10000;
        private long tokenRefreshMarginMs = 30000;

        Builder(String baseUrl, TokenProvider tokenProvider) {
            if (baseUrl == null || tokenProvider == null) {
                throw new IllegalArgumentException("baseUrl and tokenProvider are required");
            }
            this.baseUrl = baseUrl;
            this.tokenProvider = tokenProvider;
        }

        /**
         * Where results, events and states are delivered; it must run tasks
         * one at a time in order (Android: the main thread's executor).
         * Default: one SDK-owned background thread.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = executor;
            return this;
        }

        /** The app's OkHttp client (shares its pool, proxy, TLS setup). Default: the SDK's own. */
        public Builder okHttpClient(OkHttpClient client) {
            this.okHttpClient = client;
            return this;
        }

        /** Reconnect and RESUME after a dropped connection (default true). */
        public Builder reconnect(boolean on) {
            this.reconnect = on;
            return this;
        }

        /** How long a command waits for its reply before failing with TIMEOUT (default 10 s). */
        public Builder requestTimeout(long time, TimeUnit unit) {
            this.requestTimeoutMs = unit.toMillis(time);
            return this;
        }

        /** A token that expires within this margin is replaced before use (default 30 s). */
        public Builder tokenRefreshMargin(long time, TimeUnit unit) {
            this.tokenRefreshMarginMs = unit.toMillis(time);
            return this;
        }

        public DropOnAirClient build() {
            return new DropOnAirClient(this);
        }
    }

    /** One daemon thread, in order, that ends when idle. */
    private static Executor defaultCallbacks() {
        ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<Runnable>(),
                daemon("droponair-callbacks"));
        e.allowCoreThreadTimeOut(true);
        return e;
    }

    private static ThreadFactory daemon(final String name) {
        final AtomicInteger n = new AtomicInteger();
        return new ThreadFactory() {
            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, name + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        };
    }

    // ---- REST ----

    private interface Parse<T> {
        T parse(JSONObject body) throws JSONException, DropOnAirException;
    }

    /**
     * Runs an HTTP request on the io threads: token from the provider,
     * Bearer header, JSON body; a 401 asks the provider for a fresh token and
     * tries once more. Non-2xx fails with the server's error.
     */
    private <T> DropOnAirFuture<T> rest(final String method, final HttpUrl url, final JSONObject body,
                                        final String[] headers, final boolean auth, final Parse<T> parse) {
        final DropOnAirFuture<T> out = new DropOnAirFuture<T>(callbacks);
        io.execute(new Runnable() {
            @Override
            public void run() {
                try {
                    out.complete(restNow(method, url, body, headers, auth, parse));
                } catch (DropOnAirException e) {
                    out.fail(e);
                } catch (RuntimeException e) {
                    out.fail(new DropOnAirException("INTERNAL", String.valueOf(e), e));
                }
            }
        });
        return out;
    }

    private <T> T restNow(String method, HttpUrl url, JSONObject body, String[] headers, boolean auth,
                          Parse<T> parse) throws DropOnAirException {
        for (int tries = 0; ; tries++) {
            Request.Builder rb = new Request.Builder().url(url);
            String token = null;
            if (auth) {
                token = tokens.get();
                rb.header("Authorization", "Bearer " + token);
            }
            for (int i = 0; headers != null && i + 1 < headers.length; i += 2) {
                rb.header(headers[i], headers[i + 1]);
            }
            rb.method(method, body == null ? null : RequestBody.create(JSON_TYPE, body.toString()));
            int status;
            String text;
            try (Response res = http.newCall(rb.build()).execute()) {
                status = res.code();
                ResponseBody rbody = res.body();
                text = rbody == null ? "" : rbody.string();
            } catch (IOException e) {
                throw new DropOnAirException("NETWORK", method + " " + url.encodedPath() + ": " + e, e);
            }
            JSONObject data = null;
            if (!text.isEmpty()) {
                try {
                    data = new JSONObject(text);
                } catch (JSONException e) {
                    throw new DropOnAirException("INTERNAL", "HTTP " + status + ": not JSON");
                }
            }
            if (status == 401 && auth && tries == 0) {
                tokens.refused(token); // expired or revoked: one more try with a fresh token
                continue;
            }
            if (status < 200 || status > 299) {
                throw DropOnAirException.fromBody(data == null ? null : data.optJSONObject("error"), status);
            }
            try {
                return parse.parse(data == null ? new JSONObject() : data);
            } catch (JSONException e) {
                throw new DropOnAirException("INTERNAL", "unexpected response: " + e.getMessage(), e);
            }
        }
    }

    private HttpUrl.Builder url(String p) {
        return base.newBuilder().addPathSegments(p);
    }

    private HttpUrl roomUrl(String roomId, String... more) {
        HttpUrl.Builder b = url("api/rooms").addPathSegment(roomId);
        for (String m : more) {
            b.addPathSegments(m);
        }
        return b.build();
    }

    private static final Parse<JSONObject> AS_JSON = new Parse<JSONObject>() {
        @Override
        public JSONObject parse(JSONObject body) {
            return body;
        }
    };

    private static final Parse<Room> AS_ROOM = new Parse<Room>() {
        @Override
        public Room parse(JSONObject body) {
            return new Room(body);
        }
    };

    private static final Parse<Void> AS_VOID = new Parse<Void>() {
        @Override
        public Void parse(JSONObject body) {
            return null;
        }
    };

    private static String[] ifMatch(Long version) {
        return version == null ? null : new String[] {"If-Match", "\"" + version + "\""};
    }

    /** GET /api/info: features (and the app's plan and limits, as this token's app). */
    public DropOnAirFuture<JSONObject> getInfo() {
        return rest("GET", url("api/info").build(), null, null, true, AS_JSON);
    }

    /** POST /api/rooms. */
    public DropOnAirFuture<Room> createRoom(RoomSpec room) {
        return createRoom(room, null);
    }

    /** POST /api/rooms; the same idempotencyKey makes a retry return the first result. */
    public DropOnAirFuture<Room> createRoom(RoomSpec room, String idempotencyKey) {
        String[] h = idempotencyKey == null ? null : new String[] {"Idempotency-Key", idempotencyKey};
        return rest("POST", url("api/rooms").build(), room == null ? new JSONObject() : room.toJson(), h, true,
                AS_ROOM);
    }

    /** GET /api/rooms: the rooms this user created or hosts, newest first. */
    public DropOnAirFuture<RoomPage> listRooms() {
        return listRooms(null, null, null);
    }

    /** GET /api/rooms; each argument may be null (status ACTIVE|CLOSED, limit 1..200). */
    public DropOnAirFuture<RoomPage> listRooms(String status, Integer limit, String cursor) {
        HttpUrl.Builder b = url("api/rooms");
        if (status != null) {
            b.addQueryParameter("status", status);
        }
        if (limit != null) {
            b.addQueryParameter("limit", String.valueOf(limit));
        }
        if (cursor != null) {
            b.addQueryParameter("cursor", cursor);
        }
        return rest("GET", b.build(), null, null, true, new Parse<RoomPage>() {
            @Override
            public RoomPage parse(JSONObject body) {
                List<Room> rooms = new ArrayList<Room>();
                JSONArray a = body.optJSONArray("rooms");
                for (int i = 0; a != null && i < a.length(); i++) {
                    JSONObject r = a.optJSONObject(i);
                    if (r != null) {
                        rooms.add(new Room(r));
                    }
                }
                Object next = body.opt("nextCursor");
                return new RoomPage(rooms, next instanceof String ? (String) next : null);
            }
        });
    }

    /** GET /api/rooms/{roomId}, with the live call. */
    public DropOnAirFuture<Room> getRoom(String roomId) {
        return rest("GET", roomUrl(roomId), null, null, true, AS_ROOM);
    }

    /** PATCH /api/rooms/{roomId} (merge patch; creator only). */
    public DropOnAirFuture<Room> updateRoom(String roomId, RoomSpec patch) {
        return updateRoom(roomId, patch, null);
    }

    /** PATCH with If-Match: fails with PRECONDITION_FAILED unless the room still has that version. */
    public DropOnAirFuture<Room> updateRoom(String roomId, RoomSpec patch, Long ifMatchVersion) {
        return rest("PATCH", roomUrl(roomId), patch.toJson(), ifMatch(ifMatchVersion), true, AS_ROOM);
    }

    /** DELETE /api/rooms/{roomId} (creator only); a live call ends (ROOM_DELETED). */
    public DropOnAirFuture<Void> deleteRoom(String roomId) {
        return deleteRoom(roomId, null);
    }

    public DropOnAirFuture<Void> deleteRoom(String roomId, Long ifMatchVersion) {
        return rest("DELETE", roomUrl(roomId), null, ifMatch(ifMatchVersion), true, AS_VOID);
    }

    /** GET /api/rooms/{roomId}/waiting (hosts): {@code {waiting: [{userId, name, since}]}}. */
    public DropOnAirFuture<JSONObject> listWaiting(String roomId) {
        return rest("GET", roomUrl(roomId, "waiting"), null, null, true, AS_JSON);
    }

    /** GET /api/ice-servers: {@code {iceServers, expiresAt}}; the calls' rosters take them too. */
    public DropOnAirFuture<JSONObject> getIceServers() {
        final DropOnAirFuture<JSONObject> out = new DropOnAirFuture<JSONObject>(callbacks);
        rest("GET", url("api/ice-servers").build(), null, null, true, AS_JSON)
                .whenDoneDirect(new Callback<JSONObject>() {
                    @Override
                    public void onSuccess(final JSONObject data) {
                        final JSONArray servers = data.optJSONArray("iceServers");
                        final Object exp = data.opt("expiresAt");
                        loop.execute(new Runnable() {
                            @Override
                            public void run() {
                                if (servers != null) {
                                    live.setIceServers(servers, exp instanceof Number
                                            ? Long.valueOf(((Number) exp).longValue()) : null);
                                }
                                out.complete(data);
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

    // ---- the live connection ----

    /** Connects and authenticates (done for you by the call methods). */
    public DropOnAirFuture<Void> connect() {
        return live.onLoop(new LiveSession.Job<Void>() {
            @Override
            public DropOnAirFuture<Void> run() {
                return live.connect();
            }
        });
    }

    /** The user id of the session (from the server), or null before the first authentication. */
    public String getUserId() {
        return live.userId();
    }

    public ConnectionState getConnectionState() {
        return live.state();
    }

    /**
     * Joins the room's live call: {@link JoinResult#getStatus()} is JOINED
     * (with the callId), HOST_REQUIRED, WAITING_ROOM_PENDING or ROOM_CLOSED.
     * ROOM_NOT_FOUND, ROOM_FULL ({@link DropOnAirException#getLimitSource()}),
     * FORBIDDEN fail the future.
     */
    public DropOnAirFuture<JoinResult> joinRoom(final String roomId) {
        return live.onLoop(new LiveSession.Job<JoinResult>() {
            @Override
            public DropOnAirFuture<JoinResult> run() {
                return live.joinRoom(roomId);
            }
        });
    }

    /** The roster of the call this client joined (or is trying to join) in a room, or null. */
    public CallRoster getCall(String roomId) {
        return live.getCall(roomId);
    }

    /**
     * Relays SDP or ICE to one peer of the call. Never fails its future:
     * the {@link SignalResult} says whether the server relayed it. A signal
     * sent while the connection is down goes out when it is back, unless the
     * session had to be started again ({@code SESSION_EXPIRED}).
     *
     * @param type {@link GroupCallEvent#SDP_OFFER}, {@link GroupCallEvent#SDP_ANSWER} or
     *     {@link GroupCallEvent#ICE_CANDIDATE}
     * @param groupId {@code ""} for rooms
     * @param payload any JSON value: a String, JSONObject, JSONArray, Number or Boolean
     */
    public DropOnAirFuture<SignalResult> sendGroupCallSignal(final String type, final String callId,
                                                             final String groupId, final String peerUserId,
                                                             final Object payload) {
        return live.onLoop(new LiveSession.Job<SignalResult>() {
            @Override
            public DropOnAirFuture<SignalResult> run() {
                return live.sendSignal(type, callId, groupId, peerUserId, payload);
            }
        });
    }

    /** Adds a listener for every group-call event (they carry roomId and callId). */
    public void addGroupCallListener(GroupCallListener listener) {
        live.eventListeners.add(listener);
    }

    public void removeGroupCallListener(GroupCallListener listener) {
        live.eventListeners.remove(listener);
    }

    /** Adds a listener for the connection's state: CONNECTING, OPEN, RECONNECTING, CLOSED. */
    public void addConnectionStateListener(ConnectionStateListener listener) {
        live.stateListeners.add(listener);
    }

    public void removeConnectionStateListener(ConnectionStateListener listener) {
        live.stateListeners.remove(listener);
    }

    /** Leaves the call with this id. */
    public DropOnAirFuture<Void> leaveGroupCall(final String callId) {
        return live.onLoop(new LiveSession.Job<Void>() {
            @Override
            public DropOnAirFuture<Void> run() {
                return live.leaveGroupCall(callId);
            }
        });
    }

    /**
     * Leaves whatever call this client is in (or waiting for) in a room: the
     * current call, even after a rejoin changed its callId. After it the SDK
     * no longer rejoins that room.
     */
    public DropOnAirFuture<Void> leaveCall(final String roomId) {
        return live.onLoop(new LiveSession.Job<Void>() {
            @Override
            public DropOnAirFuture<Void> run() {
                return live.leaveCall(roomId);
            }
        });
    }

    /** Leaves the room's waiting queue. */
    public DropOnAirFuture<Void> cancelWait(final String roomId) {
        return live.onLoop(new LiveSession.Job<Void>() {
            @Override
            public DropOnAirFuture<Void> run() {
                return live.cancelWait(roomId);
            }
        });
    }

    /** Tells the others this user's audio/video state; null leaves one as it is. */
    public DropOnAirFuture<Void> setMediaState(String callId, Boolean audio, Boolean video) {
        JSONObject cmd = LiveSession.obj("type", "GROUP_CALL_MEDIA_STATE", "callId", callId, "groupId", "");
        if (audio != null) {
            LiveSession.put(cmd, "audio", audio);
        }
        if (video != null) {
            LiveSession.put(cmd, "video", video);
        }
        return command(cmd);
    }

    public DropOnAirFuture<Void> startScreenShare(String callId) {
        return command(LiveSession.obj("type", "GROUP_CALL_SCREEN_SHARE_START", "callId", callId, "groupId", ""));
    }

    public DropOnAirFuture<Void> stopScreenShare(String callId) {
        return command(LiveSession.obj("type", "GROUP_CALL_SCREEN_SHARE_STOP", "callId", callId, "groupId", ""));
    }

    // ---- moderation (hosts and co-hosts; SET_ROLE and END_CALL hosts only) ----

    /** Admits one waiter; resolves to who was admitted. */
    public DropOnAirFuture<List<String>> admit(String roomId, String userId) {
        return admitted(LiveSession.obj("type", "ADMIT", "roomId", roomId, "userId", userId));
    }

    /** Admits everyone waiting now, in queue order up to the cap (ROOM_FULL beyond). */
    public DropOnAirFuture<List<String>> admitAll(String roomId) {
        return admitted(LiveSession.obj("type", "ADMIT", "roomId", roomId, "all", true));
    }

    public DropOnAirFuture<Void> deny(String roomId, String userId) {
        return command(LiveSession.obj("type", "DENY", "roomId", roomId, "userId", userId));
    }

    /** Asks a member to mute; kind is "audio" or "video". */
    public DropOnAirFuture<Void> muteParticipant(String callId, String userId, String kind) {
        return command(LiveSession.obj("type", "MUTE_PARTICIPANT", "callId", callId, "groupId", "",
                "userId", userId, "kind", kind));
    }

    /** Removes a member; ban keeps it out for the rest of this call. */
    public DropOnAirFuture<Void> removeParticipant(String callId, String userId, boolean ban) {
        return command(LiveSession.obj("type", "REMOVE_PARTICIPANT", "callId", callId, "groupId", "",
                "userId", userId, "ban", ban));
    }

    /** Makes a member CO_HOST or PARTICIPANT (hosts only). */
    public DropOnAirFuture<Void> setRole(String callId, String userId, String role) {
        return command(LiveSession.obj("type", "SET_ROLE", "callId", callId, "groupId", "",
                "userId", userId, "role", role));
    }

    /** Ends the call for everyone (hosts only). */
    public DropOnAirFuture<Void> endCall(String callId) {
        return command(LiveSession.obj("type", "END_CALL", "callId", callId, "groupId", ""));
    }

    /** Receives a room's call events without joining (hosts): {@code {roomId, call, waiting}}. */
    public DropOnAirFuture<JSONObject> watchRoom(String roomId) {
        final JSONObject cmd = LiveSession.obj("type", "WATCH_ROOM", "roomId", roomId);
        return live.onLoop(new LiveSession.Job<JSONObject>() {
            @Override
            public DropOnAirFuture<JSONObject> run() {
                return live.call(cmd, null).map(new DropOnAirFuture.Transform<JSONObject, JSONObject>() {
                    @Override
                    public JSONObject apply(JSONObject r) {
                        return LiveSession.obj("roomId", r.opt("roomId"), "call", r.opt("call"),
                                "waiting", r.opt("waiting"));
                    }
                });
            }
        });
    }

    public DropOnAirFuture<Void> unwatchRoom(String roomId) {
        return command(LiveSession.obj("type", "UNWATCH_ROOM", "roomId", roomId));
    }

    /**
     * Asks the token provider for a fresh token (forceRefresh) and refreshes
     * the open session with it ({@code AUTH} again: same user, same session).
     */
    public DropOnAirFuture<Void> refreshToken() {
        return live.onLoop(new LiveSession.Job<Void>() {
            @Override
            public DropOnAirFuture<Void> run() {
                return live.refreshToken();
            }
        });
    }

    /** Closes the connection (no reconnect); a later call connects again, as a new session. */
    public void close() {
        loop.execute(new Runnable() {
            @Override
            public void run() {
                live.close();
            }
        });
    }

    /** Drops the TCP connection without a close frame, as a lost network would. For tests. */
    void dropConnectionForTest() {
        loop.execute(new Runnable() {
            @Override
            public void run() {
                live.dropConnection();
            }
        });
    }

    LiveSession live() {
        return live;
    }

    Executor callbacks() {
        return callbacks;
    }

    private DropOnAirFuture<Void> command(final JSONObject cmd) {
        return live.onLoop(new LiveSession.Job<Void>() {
            @Override
            public DropOnAirFuture<Void> run() {
                return live.call(cmd, null).map(new DropOnAirFuture.Transform<JSONObject, Void>() {
                    @Override
                    public Void apply(JSONObject r) {
                        return null;
                    }
                });
            }
        });
    }

    private DropOnAirFuture<List<String>> admitted(final JSONObject cmd) {
        return live.onLoop(new LiveSession.Job<List<String>>() {
            @Override
            public DropOnAirFuture<List<String>> run() {
                return live.call(cmd, null).map(new DropOnAirFuture.Transform<JSONObject, List<String>>() {
                    @Override
                    public List<String> apply(JSONObject r) {
                        List<String> out = new ArrayList<String>();
                        JSONArray a = r.optJSONArray("admitted");
                        for (int i = 0; a != null && i < a.length(); i++) {
                            out.add(a.optString(i));
                        }
                        return out;
                    }
                });
            }
        });
    }
}
