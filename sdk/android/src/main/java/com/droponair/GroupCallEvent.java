package com.droponair;

import org.json.JSONObject;

/**
 * One event of a live call, as the server sent it (docs/protocol.md,
 * Events), or the SDK's own {@code SDK_REJOINED}.
 *
 * <p>Every server event carries {@code type}, {@code seq}, {@code roomId},
 * {@code callId} and {@code groupId} ({@code ""}); the rest depends on the
 * type: {@code userId}, {@code name}, {@code role}, {@code reason},
 * {@code by}, {@code kind}, and for relayed signals ({@code
 * GROUP_CALL_SDP_OFFER}, {@code GROUP_CALL_SDP_ANSWER}, {@code
 * GROUP_CALL_ICE_CANDIDATE}) {@code from} and {@code payload}.
 *
 * <p>{@code SDK_REJOINED} (the session could not be resumed and the SDK
 * joined the room again) carries {@code roomId}, {@code callId} (null unless
 * JOINED), {@code previousCallId}, {@code status} (JOINED, HOST_REQUIRED,
 * WAITING_ROOM_PENDING, ROOM_CLOSED or ERROR), {@code reply} and, for
 * ERROR, {@code error} ({@code {code, message}}).
 */
public final class GroupCallEvent {
    /** The relayed SDP offer type. */
    public static final String SDP_OFFER = "GROUP_CALL_SDP_OFFER";
    /** The relayed SDP answer type. */
    public static final String SDP_ANSWER = "GROUP_CALL_SDP_ANSWER";
    /** The relayed ICE candidate type. */
    public static final String ICE_CANDIDATE = "GROUP_CALL_ICE_CANDIDATE";
    /** The SDK's event after a session that could not be resumed. */
    public static final String SDK_REJOINED = "SDK_REJOINED";

    private final JSONObject json;

    GroupCallEvent(JSONObject json) {
        this.json = json;
    }

    public String getType() {
        return json.optString("type", "");
    }

    /** The per-session sequence number; 0 for the SDK's own events. */
    public long getSeq() {
        return json.optLong("seq", 0);
    }

    public String getRoomId() {
        return str("roomId");
    }

    /** The call the event is about; {@code ""} for a room with no live call. */
    public String getCallId() {
        return str("callId");
    }

    /** Always {@code ""} for rooms. */
    public String getGroupId() {
        return json.optString("groupId", "");
    }

    /** The sender of a relayed signal. */
    public String getFrom() {
        return str("from");
    }

    /** The person the event is about (joined, left, waiting, role changed...). */
    public String getUserId() {
        return str("userId");
    }

    public String getReason() {
        return str("reason");
    }

    /**
     * The payload of a relayed signal exactly as the sender sent it: a
     * {@link String}, {@link JSONObject}, {@link org.json.JSONArray},
     * {@link Number}, {@link Boolean} or {@link JSONObject#NULL}; null when
     * the event has none.
     */
    public Object getPayload() {
        return json.opt("payload");
    }

    /** True for the three relayed signal types. */
    public boolean isSignal() {
        String t = getType();
        return SDP_OFFER.equals(t) || SDP_ANSWER.equals(t) || ICE_CANDIDATE.equals(t);
    }

    /** A string member, or null when absent or not a string. */
    public String str(String name) {
        Object v = json.opt(name);
        return v instanceof String ? (String) v : null;
    }

    /** The whole event. Shared with other listeners: read it, do not change it. */
    public JSONObject json() {
        return json;
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
