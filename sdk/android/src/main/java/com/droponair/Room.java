package com.droponair;

import java.util.ArrayList;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONObject;

/** A room as the REST API returns it (docs/api.md, The room). A snapshot. */
public final class Room {
    private final JSONObject json;

    Room(JSONObject json) {
        this.json = json;
    }

    public String getRoomId() {
        return json.optString("roomId");
    }

    public String getName() {
        return json.optString("name", "");
    }

    public String getCreatedBy() {
        return json.optString("createdBy");
    }

    /** The room's hosts, the creator first. */
    public List<String> getHosts() {
        JSONArray a = json.optJSONArray("hosts");
        List<String> out = new ArrayList<String>();
        for (int i = 0; a != null && i < a.length(); i++) {
            out.add(a.optString(i));
        }
        return out;
    }

    /** ACTIVE or CLOSED. */
    public String getStatus() {
        return json.optString("status");
    }

    /** Epoch ms, or null. */
    public Long getScheduledStartAt() {
        return optLong(json, "scheduledStartAt");
    }

    /** Epoch ms, or null. */
    public Long getScheduledEndAt() {
        return optLong(json, "scheduledEndAt");
    }

    public boolean isWaitingRoom() {
        return policy().optBoolean("waitingRoom", false);
    }

    public boolean isRequireHost() {
        return policy().optBoolean("requireHost", false);
    }

    /** The room's cap, or null when only the plan's applies. */
    public Integer getMaxParticipants() {
        Long v = optLong(policy(), "maxParticipants");
        return v == null ? null : Integer.valueOf(v.intValue());
    }

    public boolean isAutoCloseWhenEmpty() {
        return policy().optBoolean("autoCloseWhenEmpty", false);
    }

    /** The app's own data (never null). */
    public JSONObject getMetadata() {
        JSONObject m = json.optJSONObject("metadata");
        return m == null ? new JSONObject() : m;
    }

    /** +1 on every change; the ETag (pass it as {@code ifMatch}). */
    public long getVersion() {
        return json.optLong("version");
    }

    public long getCreatedAt() {
        return json.optLong("createdAt");
    }

    public long getUpdatedAt() {
        return json.optLong("updatedAt");
    }

    /** The live call ({@code callId, participants, ...}) or null. */
    public JSONObject getCall() {
        return json.optJSONObject("call");
    }

    /** The whole room. Read it, do not change it. */
    public JSONObject json() {
        return json;
    }

    private JSONObject policy() {
        JSONObject p = json.optJSONObject("policy");
        return p == null ? new JSONObject() : p;
    }

    private static Long optLong(JSONObject o, String name) {
        Object v = o.opt(name);
        return v instanceof Number ? Long.valueOf(((Number) v).longValue()) : null;
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
