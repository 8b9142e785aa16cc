package com.droponair;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;
import org.json.JSONObject;
import org.junit.After;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The network lost under a client (a TCP proxy resets its connection): within
 * the server's grace the SDK reconnects and RESUMEs (same session, missed
 * events replayed once); after it, it authenticates and joins again
 * (SDK_REJOINED).
 */
public class ReconnectTest extends ServerTest {
    private static final int GRACE_MS = 8000; // wide enough for a slow machine to come back within it
    private TcpProxy proxy;

    /** Shadows ServerTest's: this server keeps dropped sessions for GRACE_MS. */
    @BeforeClass
    public static void startServer() throws Exception {
        server = TestServer.start("--ws-grace-ms", String.valueOf(GRACE_MS));
        app = server.createApp("pro");
    }

    @After
    public void closeProxy() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
    }

    private DropOnAirClient viaProxy(String user) throws Exception {
        proxy = new TcpProxy(server.port);
        return track(new DropOnAirClient(proxy.url(), app.provider(user)));
    }

    @Test
    public void resumeWithinTheGrace() throws Exception {
        DropOnAirClient alice = viaProxy("alice");
        DropOnAirClient bob = client("bob");
        Recorder alices = new Recorder(alice);
        Recorder bobs = new Recorder(bob);
        Room room = room(bob, new RoomSpec().name("flaky"));
        String callId = await(bob.joinRoom(room.getRoomId())).getCallId();
        assertEquals(callId, await(alice.joinRoom(room.getRoomId())).getCallId());
        bobs.await("GROUP_CALL_PARTICIPANT_JOINED");

        proxy.setRefusing(true);
        proxy.cut();
        alices.awaitState(ConnectionState.RECONNECTING, 5000);
        bobs.await("GROUP_CALL_PARTICIPANT_RECONNECTING");
        // While alice is away: a signal for her, and a command she sends (it waits for the connection).
        assertTrue(await(bob.sendGroupCallSignal(GroupCallEvent.SDP_OFFER, callId, "", "alice", "v=0\r\n")).isOk());
        await(bob.setMediaState(callId, false, false));
        DropOnAirFuture<Void> pending = alice.setMediaState(callId, true, false);
        Thread.sleep(1000);
        assertFalse(pending.isDone());
        proxy.setRefusing(false);

        await(pending);
        assertEquals(ConnectionState.OPEN, alice.getConnectionState());
        bobs.await("GROUP_CALL_PARTICIPANT_RECONNECTED");
        GroupCallEvent offer = alices.await(GroupCallEvent.SDP_OFFER);
        assertEquals("bob", offer.getFrom());
        assertEquals("v=0\r\n", offer.getPayload());
        alices.await("GROUP_CALL_MEDIA_STATE");
        Thread.sleep(300);
        assertEquals("each missed event once", 1, alices.all(GroupCallEvent.SDP_OFFER).size());
        assertEquals(1, alices.all("GROUP_CALL_MEDIA_STATE").size());
        assertTrue(alices.all(GroupCallEvent.SDK_REJOINED).isEmpty());
        assertTrue(proxy.accepted() >= 2);

        // The same session: still in the call, signals flow both ways.
        CallRoster roster = alice.getCall(room.getRoomId());
        assertEquals(callId, roster.getCallId());
        assertFalse(roster.getParticipant("bob").isVideo());
        assertTrue(await(alice.sendGroupCallSignal(GroupCallEvent.SDP_ANSWER, callId, "", "bob", "v=0\r\n")).isOk());
        assertEquals("alice", bobs.await(GroupCallEvent.SDP_ANSWER).getFrom());
        assertTrue(bobs.all("GROUP_CALL_PARTICIPANT_LEFT").isEmpty());
        assertEquals(ConnectionState.OPEN, alices.states().get(alices.states().size() - 1));
    }

    @Test
    public void afterTheGraceTheSdkJoinsAgain() throws Exception {
        DropOnAirClient alice = viaProxy("alice");
        DropOnAirClient bob = client("bob");
        Recorder alices = new Recorder(alice);
        final Recorder bobs = new Recorder(bob);
        Room room = room(bob, new RoomSpec().name("long outage"));
        String callId = await(bob.joinRoom(room.getRoomId())).getCallId();
        await(alice.joinRoom(room.getRoomId()));

        proxy.setRefusing(true);
        proxy.cut();
        GroupCallEvent left = bobs.await("GROUP_CALL_PARTICIPANT_LEFT", null, GRACE_MS + 5000);
        assertEquals("DISCONNECTED", left.getReason());
        proxy.setRefusing(false);

        GroupCallEvent rejoined = alices.await(GroupCallEvent.SDK_REJOINED, null, 15000);
        assertEquals("JOINED", rejoined.str("status"));
        assertEquals(room.getRoomId(), rejoined.getRoomId());
        assertEquals(callId, rejoined.getCallId()); // bob kept the call going
        assertEquals(callId, rejoined.str("previousCallId"));
        assertEquals(callId, alice.getCall(room.getRoomId()).getCallId());
        bobs.await("GROUP_CALL_PARTICIPANT_JOINED", new Recorder.Match() {
            @Override
            public boolean test(GroupCallEvent e) {
                return "alice".equals(e.getUserId()) && bobs.all("GROUP_CALL_PARTICIPANT_LEFT").size() > 0;
            }
        });
        assertTrue(await(alice.sendGroupCallSignal(GroupCallEvent.SDP_OFFER, callId, "", "bob", "v=0\r\n")).isOk());
    }

    @Test
    public void closeStopsReconnecting() throws Exception {
        DropOnAirClient alice = viaProxy("alice");
        Recorder alices = new Recorder(alice);
        Room room = room(alice, new RoomSpec());
        await(alice.joinRoom(room.getRoomId()));
        proxy.setRefusing(true);
        proxy.cut();
        alices.awaitState(ConnectionState.RECONNECTING, 5000);
        alice.close();
        alices.awaitState(ConnectionState.CLOSED, 5000);
        int before = proxy.accepted();
        proxy.setRefusing(false);
        Thread.sleep(1500);
        assertEquals(before, proxy.accepted());
        assertEquals(null, alice.getCall(room.getRoomId()));
        // A later call connects again, as a new session.
        JSONObject info = await(alice.getInfo());
        assertEquals("alice", info.getString("userId"));
        assertEquals(JoinStatus.JOINED, alice.joinRoom(room.getRoomId()).await(10, TimeUnit.SECONDS).getStatus());
    }
}
