package com.droponair;

/**
 * What joining a room's call gave: a result, not an error (errors such as
 * {@code ROOM_FULL} or {@code ROOM_NOT_FOUND} fail the future instead).
 */
public enum JoinStatus {
    /** In the call: {@link JoinResult#getCallId()} is set. */
    JOINED,
    /**
     * The room requires a host and none is in the call. The server sends
     * {@code GROUP_CALL_HOST_PRESENT} when one arrives: join again then, no
     * polling needed. (After a lost session the SDK does that itself and
     * says so with {@code SDK_REJOINED}.)
     */
    HOST_REQUIRED,
    /** In the waiting room: {@code GROUP_CALL_ADMITTED} or {@code GROUP_CALL_DENIED} follows. */
    WAITING_ROOM_PENDING,
    /** The room is closed. */
    ROOM_CLOSED
}
