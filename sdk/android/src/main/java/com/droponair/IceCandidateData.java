package com.droponair;

import org.json.JSONException;
import org.json.JSONObject;

/**
 * An ICE candidate as it travels in a signal: {@code {candidate, sdpMid,
 * sdpMLineIndex}}, the browser's RTCIceCandidateInit. Converts one to one
 * with {@code org.webrtc.IceCandidate(sdpMid, sdpMLineIndex, sdp)}.
 */
public final class IceCandidateData {
    private final String sdpMid;
    private final int sdpMLineIndex;
    private final String candidate;

    public IceCandidateData(String sdpMid, int sdpMLineIndex, String candidate) {
        this.sdpMid = sdpMid;
        this.sdpMLineIndex = sdpMLineIndex;
        this.candidate = candidate;
    }

    public String getSdpMid() {
        return sdpMid;
    }

    public int getSdpMLineIndex() {
        return sdpMLineIndex;
    }

    /** The candidate line ({@code candidate:...}); org.webrtc calls it {@code sdp}. */
    public String getCandidate() {
        return candidate;
    }

    JSONObject toJson() {
        try {
            return new JSONObject().put("candidate", candidate).put("sdpMid", sdpMid == null ? JSONObject.NULL : sdpMid)
                    .put("sdpMLineIndex", sdpMLineIndex);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
    }

    static IceCandidateData fromJson(JSONObject o) {
        Object mid = o.opt("sdpMid");
        return new IceCandidateData(mid instanceof String ? (String) mid : null, o.optInt("sdpMLineIndex", 0),
                o.optString("candidate", ""));
    }

    @Override
    public String toString() {
        return candidate;
    }
}
