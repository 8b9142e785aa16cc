package com.droponair;

/** The WebSocket session's state, as reported to {@link ConnectionStateListener}s. */
public enum ConnectionState {
    /** Not connected yet: the socket opens on the first call that needs it. */
    IDLE,
    /** Opening the socket and authenticating. */
    CONNECTING,
    /** Authenticated (or resumed); commands flow. */
    OPEN,
    /** The connection dropped; reconnecting with backoff and RESUME. */
    RECONNECTING,
    /** Closed by {@link DropOnAirClient#close()}, or after a refused authentication. */
    CLOSED
}
