package com.droponair;

import org.json.JSONException;
import org.json.JSONObject;

/**
 * An SDP offer or answer as it travels in a signal: {@code {type, sdp}},
 * the shape of the browser's RTCSessionDescriptionInit. Converts one to one
 * with {@code org.webrtc.SessionDescription}: {@code type} is
 * {@code SessionDescription.Type#canonicalForm()} ("offer", "answer").
 */
public final class SessionDescriptionData {
    private final String type;
    private final String sdp;

    public SessionDescriptionData(String type, String sdp) {
        this.type = type;
        this.sdp = sdp;
    }

    /** "offer" or "answer" (also "pranswer", "rollback"). */
    public String getType() {
        return type;
    }

    public String getSdp() {
        return sdp;
    }

    public boolean isOffer() {
        return "offer".equals(type);
    }

    JSONObject toJson() {
        try {
            return new JSONObject().put("type", type).put("sdp", sdp);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
    }

    static SessionDescriptionData fromJson(JSONObject o) {
        return new SessionDescriptionData(o.optString("type"), o.optString("sdp"));
    }

    @Override
    public String toString() {
        return type + ": " + sdp.length() + " bytes of SDP";
    }
}
