package com.droponair;

/**
 * What a {@link DropOnAirFuture} calls when it completes: exactly one of the
 * two methods, once, on the executor the listener was added with (by
 * default the client's callback executor).
 */
public interface Callback<T> {
    /** The operation succeeded; {@code value} may be null for operations without a result. */
    void onSuccess(T value);

    /** The operation failed; {@link DropOnAirException#getCode()} says why. */
    void onFailure(DropOnAirException error);
}
