package com.droponair;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.json.JSONObject;

/**
 * Signaling for a WebRTC mesh: one peer connection per other member of a
 * room's call, driven through the app's {@link MeshHandler} (which owns
 * {@code org.webrtc}). It speaks the payloads of the JS SDK's MeshCall
 * ({@code {type, sdp}}, {@code {candidate, sdpMid, sdpMLineIndex}}, tagged
 * with connection generations {@code gen}/{@code rgen}), so Android and
 * browser peers share one call.
 *
 * <p>It follows the client's roster of the room: it connects to whoever is
 * in the call when it starts and to everyone who joins after, takes the
 * signals the client kept before it started (so an offer sent while the
 * camera permission dialog was open is not lost), and follows the call when
 * the client rejoins it. Of two peers the one with the smaller userId makes
 * the first offer. Signals of one peer are applied one at a time.
 *
 * <p>Everything it calls on the handler runs on the client's callback
 * executor; {@link #start()} and {@link #stop()} may be called from any
 * thread.
 */
public final class MeshSignaling {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DropOnAirClient client;
    private final String roomId;
    private final MeshHandler handler;
    private final Executor executor;
    private final CallConsumer consumer;
    // Callback executor only:
    private final Map<String, PeerLink> links = new LinkedHashMap<String, PeerLink>();
    private final Map<String, ArrayDeque<GroupCallEvent>> queues = new HashMap<String, ArrayDeque<GroupCallEvent>>();
    private final Map<String, Boolean> busy = new HashMap<String, Boolean>();
    private String selfId;
    private volatile String callId;
    private boolean stopped;

    public MeshSignaling(DropOnAirClient client, String roomId, MeshHandler handler) {
        this.client = client;
        this.roomId = roomId;
        this.handler = handler;
        this.executor = client.callbacks();
        this.consumer = new CallConsumer() {
            @Override
            public void onCallChange(CallChange change) {
                if (!stopped) {
                    changed(change);
                }
            }
        };
    }

    /** Starts following the room's call (join it first, or after: both work). */
    public void start() {
        final LiveSession live = client.live();
        live.loop.execute(new Runnable() {
            @Override
            public void run() {
                live.attachCall(roomId, consumer);
            }
        });
    }

    /** Stops: every link is removed ({@code onPeerRemoved(link, false)}). Does not leave the call. */
    public void stop() {
        final LiveSession live = client.live();
        live.loop.execute(new Runnable() {
            @Override
            public void run() {
                live.detachCall(roomId, consumer);
            }
        });
        executor.execute(new Runnable() {
            @Override
            public void run() {
                stopped = true;
                removeAll();
            }
        });
    }

    public String getRoomId() {
        return roomId;
    }

    /** The call being followed (it changes when the client rejoins after a server restart), or null. */
    public String getCallId() {
        return callId;
    }

    /** The current links. Call it on the callback executor. */
    public List<PeerLink> getPeers() {
        return new ArrayList<PeerLink>(links.values());
    }

    // ---- the roster ----

    private void changed(CallChange c) {
        switch (c.kind) {
            case ATTACHED:
                selfId = c.selfId;
                if (c.roster != null && c.roster.getStatus() == JoinStatus.JOINED) {
                    follow(c.callId, c.participants, false);
                }
                break;
            case CALL:
                selfId = c.selfId;
                follow(c.callId, c.participants, c.fresh);
                break;
            case JOINED:
                if (callId != null && callId.equals(c.callId)) {
                    if (links.containsKey(c.userId)) {
                        remove(c.userId, true);
                    }
                    add(c.userId, false);
                }
                break;
            case LEFT:
                remove(c.userId, false);
                break;
            case SIGNAL:
                enqueue(c.event);
                break;
            case LOST:
                removeAll();
                callId = null;
                if (c.isFinal) {
                    handler.onCallEnded(c.event);
                }
                break;
            case ENDED:
                removeAll();
                callId = null;
                handler.onCallEnded(c.event);
                break;
            default:
                break;
        }
    }

    /** In the call callId with these people: connect to each (all anew when fresh or another call). */
    private void follow(String newCallId, List<Participant> people, boolean fresh) {
        if (fresh || newCallId == null || !newCallId.equals(callId)) {
            removeAll();
        }
        callId = newCallId;
        for (Participant p : people) {
            String id = p.getUserId();
            if (!id.equals(selfId) && !links.containsKey(id)) {
                add(id, false);
            }
        }
    }

    private PeerLink add(String userId, boolean answering) {
        boolean offerer = selfId != null && selfId.compareTo(userId) < 0;
        PeerLink link = new PeerLink(this, userId, offerer, answering, newGen());
        links.put(userId, link);
        handler.onPeerAdded(link);
        return link;
    }

    private void remove(String userId, boolean rebuilt) {
        PeerLink link = links.remove(userId);
        if (link != null) {
            link.close();
            handler.onPeerRemoved(link, rebuilt);
        }
        if (!rebuilt) {
            queues.remove(userId);
        }
    }

    private void removeAll() {
        for (String id : new ArrayList<String>(links.keySet())) {
            remove(id, false);
        }
        queues.clear();
    }

    /** A fresh connection toward the same peer, in place of link. */
    private PeerLink rebuild(PeerLink link, boolean answering) {
        remove(link.getUserId(), true);
        return add(link.getUserId(), answering);
    }

    void restart(final PeerLink link) {
        executor.execute(new Runnable() {
            @Override
            public void run() {
                if (stopped || links.get(link.getUserId()) != link) {
                    return;
                }
                PeerLink fresh = rebuild(link, false);
                if (!fresh.offerer()) {
                    // Ask the offering side to start over toward our new connection.
                    fresh.send(GroupCallEvent.ICE_CANDIDATE, LiveSession.obj("reoffer", true));
                }
            }
        });
    }

    // ---- signals, one at a time per peer ----

    private void enqueue(GroupCallEvent ev) {
        String from = ev.getFrom();
        if (from == null || from.equals(selfId)) {
            return;
        }
        ArrayDeque<GroupCallEvent> q = queues.get(from);
        if (q == null) {
            q = new ArrayDeque<GroupCallEvent>();
            queues.put(from, q);
        }
        q.add(ev);
        next(from);
    }

    private void next(final String from) {
        if (Boolean.TRUE.equals(busy.get(from))) {
            return;
        }
        ArrayDeque<GroupCallEvent> q = queues.get(from);
        while (q != null && !q.isEmpty() && !stopped) {
            GroupCallEvent ev = q.poll();
            final AtomicBoolean once = new AtomicBoolean();
            Runnable done = new Runnable() {
                @Override
                public void run() {
                    if (!once.compareAndSet(false, true)) {
                        return;
                    }
                    executor.execute(new Runnable() {
                        @Override
                        public void run() {
                            busy.remove(from);
                            next(from);
                        }
                    });
                }
            };
            busy.put(from, Boolean.TRUE);
            if (apply(ev, done)) {
                return; // the handler calls done
            }
            busy.remove(from);
            q = queues.get(from);
        }
    }

    /** Applies one signal; true when it went to the handler (which calls done). */
    private boolean apply(GroupCallEvent ev, Runnable done) {
        if (!(ev.getPayload() instanceof JSONObject) || callId == null || !callId.equals(ev.getCallId())) {
            return false;
        }
        JSONObject body = (JSONObject) ev.getPayload();
        String gen = body.has("gen") ? body.optString("gen") : null;
        String rgen = body.has("rgen") ? body.optString("rgen") : null;
        String type = ev.getType();
        String from = ev.getFrom();
        PeerLink link = links.get(from);
        if (rgen != null && (link == null || !rgen.equals(link.getGeneration()))) {
            return false; // meant for a connection we closed
        }
        if (GroupCallEvent.ICE_CANDIDATE.equals(type) && body.optBoolean("reoffer", false)) {
            // The answering side started over by itself: offer to its new connection.
            if (link != null && link.offerer() && gen != null && !gen.equals(link.remoteGen())) {
                rebuild(link, false);
            }
            return false;
        }
        if (GroupCallEvent.SDP_OFFER.equals(type)) {
            if (link != null && gen != null && link.remoteGen() != null && !gen.equals(link.remoteGen())) {
                link = rebuild(link, true); // the other side started over
            }
            if (link == null) {
                link = add(from, true);
            }
        } else if (link == null || (gen != null && !gen.equals(link.remoteGen())
                && !(GroupCallEvent.SDP_ANSWER.equals(type) && link.remoteGen() == null))) {
            return false; // from a connection other than the one ours talks to
        }
        if (GroupCallEvent.ICE_CANDIDATE.equals(type)) {
            handler.onRemoteIceCandidate(link, IceCandidateData.fromJson(body), done);
            return true;
        }
        if (gen != null && link.remoteGen() == null) {
            link.bindRemote(gen);
        }
        handler.onRemoteDescription(link, SessionDescriptionData.fromJson(body), done);
        return true;
    }

    DropOnAirFuture<SignalResult> send(String type, String to, JSONObject payload) {
        String c = callId;
        if (c == null) {
            return notSent("not in the call");
        }
        return client.sendGroupCallSignal(type, c, "", to, payload);
    }

    DropOnAirFuture<SignalResult> notSent(String why) {
        return DropOnAirFuture.succeeded(executor, new SignalResult(new DropOnAirException("NOT_SENT", why)));
    }

    private static String newGen() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return s.toString();
    }
}
