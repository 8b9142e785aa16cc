package com.droponair;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import org.junit.Test;

/** Every outcome of joinRoom: results (JOINED, HOST_REQUIRED, ...) and errors (ROOM_FULL, ...). */
public class JoinOutcomesTest extends ServerTest {
    @Test
    public void joinedGivesTheCallId() throws Exception {
        DropOnAirClient alice = client("alice");
        Room room = room(alice, new RoomSpec().name("joined"));
        JoinResult r = await(alice.joinRoom(room.getRoomId()));
        assertEquals(JoinStatus.JOINED, r.getStatus());
        assertTrue(r.getCallId(), r.getCallId().startsWith("call_"));
        assertEquals("HOST", r.getRole());
        assertEquals("alice", r.getParticipants().get(0).getUserId());
        assertEquals("alice", alice.getUserId());
        assertEquals(ConnectionState.OPEN, alice.getConnectionState());

        CallRoster roster = alice.getCall(room.getRoomId());
        assertEquals(JoinStatus.JOINED, roster.getStatus());
        assertEquals(r.getCallId(), roster.getCallId());
        assertEquals("HOST", roster.getRole());

        // Joining a call one is in gives the same JOINED; the REST room shows the live call.
        assertEquals(r.getCallId(), await(alice.joinRoom(room.getRoomId())).getCallId());
        assertEquals(r.getCallId(), await(alice.getRoom(room.getRoomId())).getCall().getString("callId"));

        await(alice.leaveCall(room.getRoomId()));
        assertNull(alice.getCall(room.getRoomId()));
    }

    @Test
    public void hostRequiredThenJoinAgainWhenAHostArrives() throws Exception {
        DropOnAirClient alice = client("alice");
        DropOnAirClient bob = client("bob");
        Recorder bobs = new Recorder(bob);
        Room room = room(alice, new RoomSpec().requireHost(true));

        JoinResult r = await(bob.joinRoom(room.getRoomId()));
        assertEquals(JoinStatus.HOST_REQUIRED, r.getStatus());
        assertNull(r.getCallId());
        assertEquals(JoinStatus.HOST_REQUIRED, bob.getCall(room.getRoomId()).getStatus());

        String callId = await(alice.joinRoom(room.getRoomId())).getCallId();
        GroupCallEvent present = bobs.await("GROUP_CALL_HOST_PRESENT");
        assertEquals("HOST_ARRIVED", present.getReason());
        assertEquals(room.getRoomId(), present.getRoomId());
        assertEquals(callId, await(bob.joinRoom(room.getRoomId())).getCallId());
        CallRoster roster = bob.getCall(room.getRoomId());
        assertEquals(JoinStatus.JOINED, roster.getStatus());
        assertEquals(callId, roster.getCallId());
        assertNotNull(roster.getParticipant("alice"));
    }

    @Test
    public void roomClosed() throws Exception {
        DropOnAirClient alice = client("alice");
        Room room = room(alice, new RoomSpec());
        await(alice.updateRoom(room.getRoomId(), new RoomSpec().status("CLOSED")));
        JoinResult r = await(client("bob").joinRoom(room.getRoomId()));
        assertEquals(JoinStatus.ROOM_CLOSED, r.getStatus());
        assertNull(r.getCallId());
    }

    @Test
    public void waitingRoomThenAdmitted() throws Exception {
        DropOnAirClient alice = client("alice");
        DropOnAirClient bob = client("bob");
        Recorder alices = new Recorder(alice);
        Recorder bobs = new Recorder(bob);
        Room room = room(alice, new RoomSpec().waitingRoom(true));
        String callId = await(alice.joinRoom(room.getRoomId())).getCallId();

        JoinResult r = await(bob.joinRoom(room.getRoomId()));
        assertEquals(JoinStatus.WAITING_ROOM_PENDING, r.getStatus());
        assertEquals(1, r.getPosition());
        assertEquals(JoinStatus.WAITING_ROOM_PENDING, bob.getCall(room.getRoomId()).getStatus());
        GroupCallEvent knock = alices.await("GROUP_CALL_WAITING");
        assertEquals("bob", knock.getUserId());
        assertEquals(room.getRoomId(), knock.getRoomId());
        assertEquals("bob", await(alice.listWaiting(room.getRoomId())).getJSONArray("waiting")
                .getJSONObject(0).getString("userId"));

        assertEquals(Arrays.asList("bob"), await(alice.admit(room.getRoomId(), "bob")));
        GroupCallEvent admitted = bobs.await("GROUP_CALL_ADMITTED");
        assertEquals(callId, admitted.getCallId());
        assertEquals(JoinStatus.JOINED, bob.getCall(room.getRoomId()).getStatus());
        assertEquals(callId, bob.getCall(room.getRoomId()).getCallId());
        assertEquals("bob", alices.await("GROUP_CALL_PARTICIPANT_JOINED").getUserId());
    }

    @Test
    public void waitingRoomThenDenied() throws Exception {
        DropOnAirClient alice = client("alice");
        DropOnAirClient carol = client("carol");
        Recorder carols = new Recorder(carol);
        Room room = room(alice, new RoomSpec().waitingRoom(true));
        await(alice.joinRoom(room.getRoomId()));
        assertEquals(JoinStatus.WAITING_ROOM_PENDING, await(carol.joinRoom(room.getRoomId())).getStatus());
        await(alice.deny(room.getRoomId(), "carol"));
        assertEquals("DENIED", carols.await("GROUP_CALL_DENIED").getReason());
        assertNull(carol.getCall(room.getRoomId()));
        assertEquals("NOT_WAITING", failure(alice.deny(room.getRoomId(), "carol")).getCode());
    }

    @Test
    public void waitingThenAdmitAllAndCancelWait() throws Exception {
        DropOnAirClient alice = client("alice");
        DropOnAirClient bob = client("bob");
        DropOnAirClient dave = client("dave");
        Room room = room(alice, new RoomSpec().waitingRoom(true));
        await(bob.joinRoom(room.getRoomId()));
        await(dave.joinRoom(room.getRoomId()));
        await(dave.cancelWait(room.getRoomId()));
        assertNull(dave.getCall(room.getRoomId()));
        await(alice.joinRoom(room.getRoomId()));
        assertEquals(Arrays.asList("bob"), await(alice.admitAll(room.getRoomId())));
    }

    @Test
    public void roomFullIsAnError() throws Exception {
        DropOnAirClient alice = client("alice");
        Room room = room(alice, new RoomSpec().maxParticipants(1));
        await(alice.joinRoom(room.getRoomId()));
        DropOnAirException e = failure(client("bob").joinRoom(room.getRoomId()));
        assertEquals("ROOM_FULL", e.getCode());
        assertEquals("room", e.getLimitSource());
    }

    @Test
    public void roomNotFoundIsAnError() throws Exception {
        DropOnAirException e = failure(client("alice").joinRoom("rm_doesnotexist000000000"));
        assertEquals("ROOM_NOT_FOUND", e.getCode());
    }
}
