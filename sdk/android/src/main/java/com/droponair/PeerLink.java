package com.droponair;

import org.json.JSONObject;

/**
 * One connection toward one peer of the call, as {@link MeshSignaling}
 * tracks it: the app keeps its {@code PeerConnection} beside it (e.g. in a
 * map keyed by the link). Every signal sent through it is tagged with this
 * connection's generation, so both sides ignore what was meant for a
 * connection that has been replaced; a closed link sends nothing.
 *
 * <p>The send methods may be called from any thread (org.webrtc calls its
 * observers on its own signaling thread).
 */
public final class PeerLink {
    private final MeshSignaling mesh;
    private final String userId;
    private final boolean offerer;
    private final boolean answering;
    private final String gen;
    private volatile String remoteGen;
    private volatile boolean closed;

    PeerLink(MeshSignaling mesh, String userId, boolean offerer, boolean answering, String gen) {
        this.mesh = mesh;
        this.userId = userId;
        this.offerer = offerer;
        this.answering = answering;
        this.gen = gen;
    }

    /** The peer this connection is with. */
    public String getUserId() {
        return userId;
    }

    /**
     * True when this side makes the first offer: of two peers the one with
     * the smaller userId offers (as the JS SDK's MeshCall does), unless this
     * link was made to answer an offer that already arrived.
     */
    public boolean shouldOffer() {
        return offerer && !answering;
    }

    /**
     * The polite side of perfect negotiation (the larger userId): on an
     * offer collision during renegotiation it rolls back and takes the
     * peer's offer; the impolite side ignores the peer's.
     */
    public boolean isPolite() {
        return !offerer;
    }

    /** This connection's generation id (random), carried in its signals as {@code gen}. */
    public String getGeneration() {
        return gen;
    }

    /** Removed: the peer left, the call ended, or the link was rebuilt. */
    public boolean isClosed() {
        return closed;
    }

    /** Sends the local offer to the peer. */
    public DropOnAirFuture<SignalResult> sendOffer(SessionDescriptionData offer) {
        return send(GroupCallEvent.SDP_OFFER, offer.toJson());
    }

    /** Sends the local answer to the peer. */
    public DropOnAirFuture<SignalResult> sendAnswer(SessionDescriptionData answer) {
        return send(GroupCallEvent.SDP_ANSWER, answer.toJson());
    }

    /** Sends a local ICE candidate to the peer. */
    public DropOnAirFuture<SignalResult> sendIceCandidate(IceCandidateData candidate) {
        return send(GroupCallEvent.ICE_CANDIDATE, candidate.toJson());
    }

    /**
     * The connection failed for good (e.g. {@code FAILED} and an ICE restart
     * did not help): start over with a fresh one. The link is removed
     * ({@code onPeerRemoved(link, true)}) and a new one added; the other
     * side follows.
     */
    public void restart() {
        mesh.restart(this);
    }

    DropOnAirFuture<SignalResult> send(String type, JSONObject body) {
        if (closed) {
            return mesh.notSent("the connection to " + userId + " was replaced or closed");
        }
        LiveSession.put(body, "gen", gen);
        String r = remoteGen;
        if (r != null) {
            LiveSession.put(body, "rgen", r);
        }
        return mesh.send(type, userId, body);
    }

    String remoteGen() {
        return remoteGen;
    }

    void bindRemote(String g) {
        remoteGen = g;
    }

    boolean offerer() {
        return offerer;
    }

    void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "PeerLink{" + userId + " gen " + gen + (closed ? " closed" : "") + "}";
    }
}
