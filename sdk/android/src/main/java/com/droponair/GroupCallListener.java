package com.droponair;

/**
 * Receives every server event (participants, waiting room, moderation,
 * relayed SDP/ICE) and the SDK's own {@code SDK_REJOINED}, in order, on the
 * callback executor.
 */
public interface GroupCallListener {
    void onGroupCallEvent(GroupCallEvent event);
}
