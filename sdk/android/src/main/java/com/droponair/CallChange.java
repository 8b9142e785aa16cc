package com.droponair;

import java.util.List;

/**
 * A change of a call the SDK follows, handed to the call's consumer
 * ({@link MeshSignaling}) on the callback executor, in order with events.
 */
final class CallChange {
    enum Kind {
        /** The consumer attached: {@link #roster} is the call now (null when in none). */
        ATTACHED,
        /** In the call (joined, admitted, rejoined): connect to {@link #participants}. */
        CALL,
        /** Someone joined: {@link #userId}. */
        JOINED,
        /** Someone left: {@link #userId}. */
        LEFT,
        /** A relayed signal: {@link #event}. */
        SIGNAL,
        /** A rejoin did not get back in ({@link #status}; {@link #isFinal}). */
        LOST,
        /** The call is over for this user (ended, removed, denied, client closed). */
        ENDED
    }

    final Kind kind;
    final String selfId;
    final String callId;
    final String userId;
    final String reason;
    final boolean fresh;
    final String status;
    final boolean isFinal;
    final GroupCallEvent event;
    final List<Participant> participants;
    final CallRoster roster;

    private CallChange(Kind kind, String selfId, String callId, String userId, String reason, boolean fresh,
                       String status, boolean isFinal, GroupCallEvent event, List<Participant> participants,
                       CallRoster roster) {
        this.kind = kind;
        this.selfId = selfId;
        this.callId = callId;
        this.userId = userId;
        this.reason = reason;
        this.fresh = fresh;
        this.status = status;
        this.isFinal = isFinal;
        this.event = event;
        this.participants = participants;
        this.roster = roster;
    }

    static CallChange attached(String selfId, CallRoster roster) {
        return new CallChange(Kind.ATTACHED, selfId, roster == null ? null : roster.getCallId(), null, null, false,
                null, false, null, roster == null ? null : roster.getParticipants(), roster);
    }

    static CallChange call(String selfId, String callId, String reason, boolean fresh, List<Participant> people,
                           GroupCallEvent event) {
        return new CallChange(Kind.CALL, selfId, callId, null, reason, fresh, null, false, event, people, null);
    }

    static CallChange joined(String callId, String userId) {
        return new CallChange(Kind.JOINED, null, callId, userId, null, false, null, false, null, null, null);
    }

    static CallChange left(String callId, String userId, String reason) {
        return new CallChange(Kind.LEFT, null, callId, userId, reason, false, null, false, null, null, null);
    }

    static CallChange signal(GroupCallEvent event) {
        return new CallChange(Kind.SIGNAL, null, event.getCallId(), event.getFrom(), null, false, null, false, event,
                null, null);
    }

    static CallChange lost(String status, boolean isFinal, GroupCallEvent event) {
        return new CallChange(Kind.LOST, null, null, null, null, false, status, isFinal, event, null, null);
    }

    static CallChange ended(GroupCallEvent event) {
        return new CallChange(Kind.ENDED, null, null, null, null, false, null, true, event, null, null);
    }
}
