package com.droponair;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/** Token expiry and refresh through the TokenProvider, over REST and the WebSocket. */
public class TokenTest extends ServerTest {
    /** Hands out scripted tokens and records how it was asked. */
    static final class ScriptedProvider implements TokenProvider {
        final List<Boolean> calls = new ArrayList<Boolean>();
        final List<String> threads = new ArrayList<String>();
        final List<String> next = new ArrayList<String>();
        String fallback;

        ScriptedProvider(String fallback) {
            this.fallback = fallback;
        }

        @Override
        public synchronized String getToken(boolean forceRefresh) {
            calls.add(forceRefresh);
            threads.add(Thread.currentThread().getName());
            return next.isEmpty() ? fallback : next.remove(0);
        }

        synchronized int count() {
            return calls.size();
        }
    }

    @Test
    public void anExpiredTokenIsRefreshedForRest() throws Exception {
        ScriptedProvider p = new ScriptedProvider(app.token("alice"));
        p.next.add(app.token("alice", -300)); // expired beyond the server's 60 s skew
        DropOnAirClient alice = track(DropOnAirClient.builder(server.url, p).build());
        Room room = await(alice.createRoom(new RoomSpec().name("refreshed")));
        assertEquals("alice", room.getCreatedBy());
        // The expired one was noticed locally (exp) or refused by the server (401): a fresh one was asked for.
        assertEquals(2, p.count());
        assertEquals(Boolean.FALSE, p.calls.get(0));
        assertEquals(Boolean.TRUE, p.calls.get(1));
        await(alice.getRoom(room.getRoomId()));
        assertEquals("a valid token is reused", 2, p.count());
        assertTrue(p.threads.get(0).startsWith("droponair-io"));
    }

    @Test
    public void aTokenTheServerRefusesIsReplacedOnce() throws Exception {
        // Valid by its exp, but signed with a key the server does not know: only the server can tell.
        ScriptedProvider p = new ScriptedProvider(app.token("alice"));
        p.next.add(app.token("alice").replaceAll("\\.[^.]+$", ".AAAA"));
        DropOnAirClient alice = track(DropOnAirClient.builder(server.url, p).build());
        await(alice.listRooms());
        assertEquals(2, p.count());
        assertEquals(Boolean.TRUE, p.calls.get(1));

        // A provider that keeps giving bad tokens: UNAUTHORIZED, after one retry.
        ScriptedProvider bad = new ScriptedProvider(app.token("alice").replaceAll("\\.[^.]+$", ".AAAA"));
        DropOnAirClient eve = track(DropOnAirClient.builder(server.url, bad).build());
        DropOnAirException e = failure(eve.listRooms());
        assertEquals("UNAUTHORIZED", e.getCode());
        assertEquals(401, e.getStatus());
        assertEquals(2, bad.count());
    }

    @Test
    public void tokensNearExpiryAreReplacedBeforeUse() throws Exception {
        ScriptedProvider p = new ScriptedProvider(app.token("alice")); // valid for an hour
        DropOnAirClient cached = track(DropOnAirClient.builder(server.url, p)
                .tokenRefreshMargin(1, TimeUnit.MINUTES).build());
        for (int i = 0; i < 3; i++) {
            await(cached.listRooms());
        }
        assertEquals(1, p.count());

        ScriptedProvider q = new ScriptedProvider(app.token("alice"));
        DropOnAirClient eager = track(DropOnAirClient.builder(server.url, q)
                .tokenRefreshMargin(2, TimeUnit.HOURS).build());
        for (int i = 0; i < 3; i++) {
            await(eager.listRooms());
        }
        assertEquals(3, q.count());
        assertEquals(Boolean.TRUE, q.calls.get(2));
    }

    @Test
    public void theWebSocketAuthRetriesWithAFreshToken() throws Exception {
        ScriptedProvider p = new ScriptedProvider(app.token("alice"));
        p.next.add(app.token("alice").replaceAll("\\.[^.]+$", ".AAAA"));
        DropOnAirClient alice = track(DropOnAirClient.builder(server.url, p).build());
        await(alice.connect());
        assertEquals("alice", alice.getUserId());
        assertEquals(2, p.count());

        ScriptedProvider bad = new ScriptedProvider(app.token("alice", -300));
        DropOnAirClient eve = track(DropOnAirClient.builder(server.url, bad).build());
        Recorder eves = new Recorder(eve);
        assertEquals("UNAUTHORIZED", failure(eve.connect()).getCode());
        eves.awaitState(ConnectionState.CLOSED, 5000);
    }

    @Test
    public void refreshTokenKeepsTheSession() throws Exception {
        ScriptedProvider p = new ScriptedProvider(app.token("alice"));
        DropOnAirClient alice = track(DropOnAirClient.builder(server.url, p).build());
        DropOnAirClient bob = client("bob");
        Recorder bobs = new Recorder(bob);
        Room room = room(alice, new RoomSpec());
        String callId = await(alice.joinRoom(room.getRoomId())).getCallId();
        await(bob.joinRoom(room.getRoomId()));
        int before = p.count();

        p.fallback = app.token("alice", 7200);
        await(alice.refreshToken());
        assertEquals(before + 1, p.count());
        assertEquals(Boolean.TRUE, p.calls.get(p.count() - 1));
        // Same session: still in the call, nobody saw alice leave.
        assertEquals(callId, alice.getCall(room.getRoomId()).getCallId());
        assertTrue(await(alice.sendGroupCallSignal(GroupCallEvent.SDP_OFFER, callId, "", "bob", "v=0")).isOk());
        bobs.await(GroupCallEvent.SDP_OFFER);
        assertTrue(bobs.all("GROUP_CALL_PARTICIPANT_LEFT").isEmpty());

        // A token for somebody else cannot take the session over.
        p.fallback = app.token("mallory");
        assertEquals("FORBIDDEN", failure(alice.refreshToken()).getCode());
        assertEquals(callId, alice.getCall(room.getRoomId()).getCallId());
        assertFalse(alice.getConnectionState() == ConnectionState.CLOSED);
    }

    @Test
    public void aProviderThatThrowsFailsTheCall() throws Exception {
        DropOnAirClient c = track(DropOnAirClient.builder(server.url, new TokenProvider() {
            @Override
            public String getToken(boolean forceRefresh) throws Exception {
                throw new java.io.IOException("backend down");
            }
        }).build());
        DropOnAirException e = failure(c.createRoom(new RoomSpec()));
        assertEquals("UNAUTHORIZED", e.getCode());
        assertTrue(e.getMessage().contains("backend down"));
    }
}
