package com.droponair;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONObject;

/** The answer to {@link DropOnAirClient#joinRoom(String)}. */
public final class JoinResult {
    private final JSONObject reply;
    private final JoinStatus status;

    JoinResult(JSONObject reply) throws DropOnAirException {
        this.reply = reply;
        try {
            this.status = JoinStatus.valueOf(reply.optString("status", ""));
        } catch (IllegalArgumentException e) {
            throw new DropOnAirException("INTERNAL", "unknown join status " + reply.optString("status"));
        }
    }

    public JoinStatus getStatus() {
        return status;
    }

    public String getRoomId() {
        return reply.optString("roomId", null);
    }

    /** The call's id when {@link JoinStatus#JOINED}, else null. */
    public String getCallId() {
        return status == JoinStatus.JOINED ? reply.optString("callId", null) : null;
    }

    /** HOST, CO_HOST or PARTICIPANT when joined, else null. */
    public String getRole() {
        return reply.optString("role", null);
    }

    /** The place in the waiting queue (1 = next) when {@link JoinStatus#WAITING_ROOM_PENDING}, else 0. */
    public int getPosition() {
        return reply.optInt("position", 0);
    }

    /** Who is in the call (this user included) when joined. */
    public List<Participant> getParticipants() {
        JSONArray a = reply.optJSONArray("participants");
        if (a == null) {
            return Collections.emptyList();
        }
        List<Participant> out = new ArrayList<Participant>(a.length());
        for (int i = 0; i < a.length(); i++) {
            JSONObject p = a.optJSONObject(i);
            if (p != null) {
                out.add(new Participant(p));
            }
        }
        return out;
    }

    /** ICE servers for the peer connections ({@code [{urls, username?, credential?}]}); empty when none. */
    public JSONArray getIceServers() {
        JSONArray a = reply.optJSONArray("iceServers");
        return a == null ? new JSONArray() : a;
    }

    /** The whole reply. Read it, do not change it. */
    public JSONObject json() {
        return reply;
    }

    @Override
    public String toString() {
        return reply.toString();
    }
}
