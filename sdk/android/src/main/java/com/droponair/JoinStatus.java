package com.droponair;

/**
 * What joining a room's call gave: a result, not an error (errors such as
 * {@code ROOM_FULL} or {@code ROOM_NOT_FOUND} fail the future instead).
 */
public enum JoinStatus {
    /** In the call: {@link JoinResult#getCallId()} is set. */
    JOINED,
    /**
     * The room requires a host and none is in the call. The SDK joins again
     * by itself when the server says a host arrived ({@code
     * GROUP_CALL_HOST_PRESENT}, then {@code SDK_REJOINED}).
     */
    HOST_REQUIRED,
    /** In the waiting room: {@code GROUP_CALL_ADMITTED} or {@code GROUP_CALL_DENIED} follows. */
    WAITING_ROOM_PENDING,
    /** The room is closed. */
    ROOM_CLOSED
}
