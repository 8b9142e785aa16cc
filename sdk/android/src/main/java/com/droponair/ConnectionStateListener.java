package com.droponair;

/** Told of every change of the connection's state, on the callback executor. */
public interface ConnectionStateListener {
    void onConnectionState(ConnectionState state);
}
