package com.droponair;

/**
 * What {@link DropOnAirClient#sendGroupCallSignal} gives: it never fails
 * its future (apps fire signals without waiting), the outcome is here.
 */
public final class SignalResult {
    private final DropOnAirException error;

    SignalResult(DropOnAirException error) {
        this.error = error;
    }

    /** The server relayed the signal. */
    public boolean isOk() {
        return error == null;
    }

    /** Why not ({@code NOT_FOUND}: the peer is not in the call; {@code SESSION_EXPIRED}, ...), or null. */
    public DropOnAirException getError() {
        return error;
    }

    @Override
    public String toString() {
        return error == null ? "SignalResult{ok}" : "SignalResult{" + error.getCode() + "}";
    }
}
