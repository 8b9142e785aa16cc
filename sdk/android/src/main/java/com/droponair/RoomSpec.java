package com.droponair;

import java.util.Collection;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * A room body for {@link DropOnAirClient#createRoom(RoomSpec)} or a merge
 * patch for {@link DropOnAirClient#updateRoom(String, RoomSpec, Long)}: only
 * what is set is sent. Passing null to a nullable field sends JSON
 * {@code null} (in a patch: clears it).
 *
 * <pre>{@code
 * RoomSpec spec = new RoomSpec().name("Weekly sync").waitingRoom(true).requireHost(true);
 * }</pre>
 */
public final class RoomSpec {
    private final JSONObject body = new JSONObject();

    public RoomSpec name(String name) {
        return set(body, "name", name);
    }

    /** Epoch ms (metadata only: joining is never limited by it), or null. */
    public RoomSpec scheduledStartAt(Long at) {
        return set(body, "scheduledStartAt", at);
    }

    /** Epoch ms, or null. */
    public RoomSpec scheduledEndAt(Long at) {
        return set(body, "scheduledEndAt", at);
    }

    /** The room's hosts (the creator is always one). */
    public RoomSpec hosts(Collection<String> hosts) {
        return set(body, "hosts", new JSONArray(hosts));
    }

    public RoomSpec waitingRoom(boolean on) {
        return set(policy(), "waitingRoom", on);
    }

    public RoomSpec requireHost(boolean on) {
        return set(policy(), "requireHost", on);
    }

    /** 1 .. the plan's cap, or null for the plan's cap only. */
    public RoomSpec maxParticipants(Integer max) {
        return set(policy(), "maxParticipants", max);
    }

    public RoomSpec autoCloseWhenEmpty(boolean on) {
        return set(policy(), "autoCloseWhenEmpty", on);
    }

    /** Any JSON object up to 4 KiB. */
    public RoomSpec metadata(JSONObject metadata) {
        return set(body, "metadata", metadata);
    }

    /** ACTIVE or CLOSED (PATCH only). */
    public RoomSpec status(String status) {
        return set(body, "status", status);
    }

    /** A copy of the JSON body this spec sends. */
    public JSONObject toJson() {
        try {
            return new JSONObject(body.toString());
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
    }

    private JSONObject policy() {
        JSONObject p = body.optJSONObject("policy");
        if (p == null) {
            p = new JSONObject();
            set(body, "policy", p);
        }
        return p;
    }

    private RoomSpec set(JSONObject o, String name, Object value) {
        try {
            o.put(name, value == null ? JSONObject.NULL : value);
        } catch (JSONException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
        return this;
    }

    @Override
    public String toString() {
        return body.toString();
    }
}
