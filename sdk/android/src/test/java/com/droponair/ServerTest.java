package com.droponair;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;

/** A test class with its own droponaird and a pro app; clients made by {@link #client} close after each test. */
abstract class ServerTest {
    static TestServer server;
    static TestServer.App app;
    private final List<DropOnAirClient> clients = new ArrayList<DropOnAirClient>();

    @BeforeClass
    public static void startServer() throws Exception {
        server = TestServer.start();
        app = server.createApp("pro");
    }

    @AfterClass
    public static void stopServer() throws Exception {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    @After
    public void closeClients() {
        for (DropOnAirClient c : clients) {
            c.close();
        }
        clients.clear();
    }

    DropOnAirClient client(String user) {
        return track(new DropOnAirClient(server.url, app.provider(user)));
    }

    DropOnAirClient track(DropOnAirClient c) {
        clients.add(c);
        return c;
    }

    static <T> T await(DropOnAirFuture<T> f) throws DropOnAirException {
        return f.await(10, TimeUnit.SECONDS);
    }

    /** The error the future failed with; an AssertionError when it succeeded. */
    static DropOnAirException failure(DropOnAirFuture<?> f) {
        try {
            Object v = f.await(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + v);
        } catch (DropOnAirException e) {
            return e;
        }
    }

    /** A room created by owner with the given spec. */
    Room room(DropOnAirClient owner, RoomSpec spec) throws DropOnAirException {
        return await(owner.createRoom(spec));
    }
}
