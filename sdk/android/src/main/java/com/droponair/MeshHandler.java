package com.droponair;

/**
 * The app's WebRTC layer, as {@link MeshSignaling} drives it: one peer
 * connection per other member of the call. The app implements it with
 * {@code org.webrtc.PeerConnectionFactory} (see the SDK's README for a
 * complete example); the SDK never touches media.
 *
 * <p>Every method runs on the client's callback executor. The remote
 * description and candidate methods take a {@code done} callback: call it
 * (from any thread) once the WebRTC operation finished, successfully or
 * not, so the next signal of that peer is applied after it, in order, as
 * WebRTC requires.
 */
public interface MeshHandler {
    /**
     * A connection toward {@code link.getUserId()} is needed: create the
     * peer connection (ICE servers from {@link DropOnAirClient#getCall}) and
     * add the local tracks. If {@link PeerLink#shouldOffer()}, create an
     * offer, set it as local description and {@link
     * PeerLink#sendOffer}; otherwise wait for the peer's offer. Send every
     * local ICE candidate with {@link PeerLink#sendIceCandidate}.
     */
    void onPeerAdded(PeerLink link);

    /**
     * The peer's offer or answer: set it as remote description; for an
     * offer, create an answer, set it as local description and {@link
     * PeerLink#sendAnswer}. Then call {@code done}.
     */
    void onRemoteDescription(PeerLink link, SessionDescriptionData description, Runnable done);

    /** A candidate of the peer: add it to the connection, then call {@code done}. */
    void onRemoteIceCandidate(PeerLink link, IceCandidateData candidate, Runnable done);

    /**
     * Close this link's peer connection: the peer left, or {@code rebuilt}
     * is true and a fresh connection toward the same peer follows at once
     * ({@link #onPeerAdded} with a new link): one side started over.
     */
    void onPeerRemoved(PeerLink link, boolean rebuilt);

    /**
     * The call is over for this user: it ended ({@code GROUP_CALL_ENDED}),
     * the user was removed or denied, the session was lost for good, or the
     * client was closed. Every link was removed before.
     */
    void onCallEnded(GroupCallEvent event);
}
