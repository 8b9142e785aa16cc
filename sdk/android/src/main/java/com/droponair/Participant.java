package com.droponair;

import org.json.JSONException;
import org.json.JSONObject;

/** A member of a live call: a snapshot; the call's roster holds the current one. */
public final class Participant {
    private final String userId;
    private final String name;
    private final String role;
    private final long joinedAt;
    private final boolean audio;
    private final boolean video;
    private final boolean screenSharing;
    private final boolean reconnecting;

    Participant(JSONObject p) {
        this(p.optString("userId"), p.optString("name", p.optString("userId")), p.optString("role", "PARTICIPANT"),
                p.optLong("joinedAt", 0), p.optBoolean("audio", true), p.optBoolean("video", true),
                p.optBoolean("screenSharing", false), false);
    }

    Participant(String userId, String name, String role, long joinedAt, boolean audio, boolean video,
                boolean screenSharing, boolean reconnecting) {
        this.userId = userId;
        this.name = name;
        this.role = role;
        this.joinedAt = joinedAt;
        this.audio = audio;
        this.video = video;
        this.screenSharing = screenSharing;
        this.reconnecting = reconnecting;
    }

    Participant withRole(String r) {
        return new Participant(userId, name, r, joinedAt, audio, video, screenSharing, reconnecting);
    }

    Participant withMedia(Boolean a, Boolean v) {
        return new Participant(userId, name, role, joinedAt, a == null ? audio : a, v == null ? video : v,
                screenSharing, reconnecting);
    }

    Participant withScreenSharing(boolean s) {
        return new Participant(userId, name, role, joinedAt, audio, video, s, reconnecting);
    }

    Participant withReconnecting(boolean r) {
        return new Participant(userId, name, role, joinedAt, audio, video, screenSharing, r);
    }

    public String getUserId() {
        return userId;
    }

    public String getName() {
        return name;
    }

    /** HOST, CO_HOST or PARTICIPANT. */
    public String getRole() {
        return role;
    }

    /** Epoch milliseconds. */
    public long getJoinedAt() {
        return joinedAt;
    }

    public boolean isAudio() {
        return audio;
    }

    public boolean isVideo() {
        return video;
    }

    public boolean isScreenSharing() {
        return screenSharing;
    }

    /** The member's connection dropped and the server's grace is running. */
    public boolean isReconnecting() {
        return reconnecting;
    }

    /** As JSON, in the shape of the server's Participant. */
    public JSONObject toJson() {
        JSONObject o = new JSONObject();
        try {
            o.put("userId", userId).put("name", name).put("role", role).put("joinedAt", joinedAt)
                    .put("audio", audio).put("video", video).put("screenSharing", screenSharing);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
        return o;
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
