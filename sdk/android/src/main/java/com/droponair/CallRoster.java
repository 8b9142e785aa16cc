package com.droponair;

import java.util.Collections;
import java.util.List;
import org.json.JSONArray;

/**
 * What the SDK knows of the call it joined (or is trying to get into) in a
 * room, as a snapshot: {@link DropOnAirClient#getCall(String)}. Kept up to
 * date from the join reply (or {@code GROUP_CALL_ADMITTED}) and every later
 * event, whether or not the app listens.
 */
public final class CallRoster {
    private final String roomId;
    private final JoinStatus status;
    private final String callId;
    private final String role;
    private final List<Participant> participants;
    private final JSONArray iceServers;
    private final Long iceServersExpireAt;
    private final int bufferedSignals;
    private final int droppedSignals;

    CallRoster(String roomId, JoinStatus status, String callId, String role, List<Participant> participants,
               JSONArray iceServers, Long iceServersExpireAt, int bufferedSignals, int droppedSignals) {
        this.roomId = roomId;
        this.status = status;
        this.callId = callId;
        this.role = role;
        this.participants = Collections.unmodifiableList(participants);
        this.iceServers = iceServers;
        this.iceServersExpireAt = iceServersExpireAt;
        this.bufferedSignals = bufferedSignals;
        this.droppedSignals = droppedSignals;
    }

    public String getRoomId() {
        return roomId;
    }

    /** JOINED, HOST_REQUIRED or WAITING_ROOM_PENDING. */
    public JoinStatus getStatus() {
        return status;
    }

    /** The call's id when JOINED, else null. */
    public String getCallId() {
        return callId;
    }

    /** This user's role in the call (HOST, CO_HOST, PARTICIPANT), or null. */
    public String getRole() {
        return role;
    }

    /** Who is in the call, this user included. */
    public List<Participant> getParticipants() {
        return participants;
    }

    /** A participant by id, or null. */
    public Participant getParticipant(String userId) {
        for (Participant p : participants) {
            if (p.getUserId().equals(userId)) {
                return p;
            }
        }
        return null;
    }

    /** The call's ICE servers ({@code [{urls, username?, credential?}]}); empty without any. */
    public JSONArray getIceServers() {
        return iceServers;
    }

    /** When the TURN credential in the ICE servers expires (epoch ms), or null. */
    public Long getIceServersExpireAt() {
        return iceServersExpireAt;
    }

    /** Signals kept for a {@link MeshSignaling} that has not started yet. */
    public int getBufferedSignals() {
        return bufferedSignals;
    }

    /** Signals dropped because more than the buffer's cap (512) waited. */
    public int getDroppedSignals() {
        return droppedSignals;
    }
}
