package com.droponair;

import java.util.ArrayList;
import java.util.List;

/** Collects a client's events and connection states; tests wait for the ones they expect. */
final class Recorder implements GroupCallListener, ConnectionStateListener {
    /** Picks events. */
    interface Match {
        boolean test(GroupCallEvent e);
    }

    private final List<GroupCallEvent> events = new ArrayList<GroupCallEvent>();
    private final List<ConnectionState> states = new ArrayList<ConnectionState>();
    private final List<String> threads = new ArrayList<String>();

    Recorder(DropOnAirClient client) {
        client.addGroupCallListener(this);
        client.addConnectionStateListener(this);
    }

    @Override
    public synchronized void onGroupCallEvent(GroupCallEvent event) {
        events.add(event);
        threads.add(Thread.currentThread().getName());
        notifyAll();
    }

    @Override
    public synchronized void onConnectionState(ConnectionState state) {
        states.add(state);
        notifyAll();
    }

    /** The first event (seen or future) of type that matches; fails after 5 s. */
    GroupCallEvent await(String type) throws InterruptedException {
        return await(type, null, 5000);
    }

    GroupCallEvent await(String type, Match m) throws InterruptedException {
        return await(type, m, 5000);
    }

    synchronized GroupCallEvent await(String type, Match m, long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        for (;;) {
            for (GroupCallEvent e : events) {
                if (e.getType().equals(type) && (m == null || m.test(e))) {
                    return e;
                }
            }
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("no " + type + " event; got " + types());
            }
            wait(left);
        }
    }

    /** Waits until the connection has been in state (now or before); fails after timeoutMs. */
    synchronized void awaitState(ConnectionState s, long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (!states.contains(s)) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("never " + s + "; states " + states);
            }
            wait(left);
        }
    }

    synchronized List<GroupCallEvent> all(String type) {
        List<GroupCallEvent> out = new ArrayList<GroupCallEvent>();
        for (GroupCallEvent e : events) {
            if (e.getType().equals(type)) {
                out.add(e);
            }
        }
        return out;
    }

    synchronized List<ConnectionState> states() {
        return new ArrayList<ConnectionState>(states);
    }

    synchronized List<String> threads() {
        return new ArrayList<String>(threads);
    }

    synchronized void clearStates() {
        states.clear();
    }

    synchronized List<String> types() {
        List<String> t = new ArrayList<String>();
        for (GroupCallEvent e : events) {
            t.add(e.getType());
        }
        return t;
    }
}
