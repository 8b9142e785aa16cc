package com.droponair;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.json.JSONObject;
import org.junit.Test;

/** Hosts and co-hosts moderating over the SDK: mute, roles, remove (ban), end; media and screen share. */
public class ModerationTest extends ServerTest {
    @Test
    public void muteRolesRemoveAndEnd() throws Exception {
        DropOnAirClient alice = client("alice");
        DropOnAirClient bob = client("bob");
        DropOnAirClient carol = client("carol");
        Recorder bobs = new Recorder(bob);
        final Recorder carols = new Recorder(carol);
        Room room = room(alice, new RoomSpec().name("moderated"));
        String callId = await(alice.joinRoom(room.getRoomId())).getCallId();
        await(bob.joinRoom(room.getRoomId()));
        await(carol.joinRoom(room.getRoomId()));

        // A participant cannot moderate.
        assertEquals("FORBIDDEN", failure(carol.muteParticipant(callId, "bob", "audio")).getCode());

        await(alice.muteParticipant(callId, "bob", "audio"));
        GroupCallEvent mute = bobs.await("GROUP_CALL_MUTE_REQUESTED");
        assertEquals("audio", mute.str("kind"));
        assertEquals("alice", mute.str("by"));
        assertEquals(callId, mute.getCallId());

        await(alice.setRole(callId, "bob", "CO_HOST"));
        GroupCallEvent role = carols.await("GROUP_CALL_ROLE_CHANGED");
        assertEquals("bob", role.getUserId());
        assertEquals("CO_HOST", role.str("role"));
        bobs.await("GROUP_CALL_ROLE_CHANGED");
        assertEquals("CO_HOST", bob.getCall(room.getRoomId()).getRole());
        assertEquals("CO_HOST", carol.getCall(room.getRoomId()).getParticipant("bob").getRole());

        // A co-host mutes participants, but SET_ROLE and END_CALL are for hosts.
        await(bob.muteParticipant(callId, "carol", "video"));
        assertEquals("video", carols.await("GROUP_CALL_MUTE_REQUESTED").str("kind"));
        assertEquals("FORBIDDEN", failure(bob.setRole(callId, "carol", "CO_HOST")).getCode());
        assertEquals("FORBIDDEN", failure(bob.endCall(callId)).getCode());
        assertEquals("FORBIDDEN", failure(bob.muteParticipant(callId, "alice", "audio")).getCode());

        await(alice.removeParticipant(callId, "carol", true));
        GroupCallEvent removed = carols.await("GROUP_CALL_REMOVED");
        assertEquals("REMOVED_BY_HOST", removed.getReason());
        assertNull(carol.getCall(room.getRoomId()));
        assertEquals("REMOVED", bobs.await("GROUP_CALL_PARTICIPANT_LEFT", new Recorder.Match() {
            @Override
            public boolean test(GroupCallEvent e) {
                return "carol".equals(e.getUserId());
            }
        }).getReason());
        assertEquals("FORBIDDEN", failure(carol.joinRoom(room.getRoomId())).getCode());

        await(alice.endCall(callId));
        assertEquals("HOST_ENDED", bobs.await("GROUP_CALL_ENDED").getReason());
        assertNull(bob.getCall(room.getRoomId()));
        assertEquals("NO_LIVE_CALL", failure(alice.endCall(callId)).getCode());
    }

    @Test
    public void mediaStateAndScreenShare() throws Exception {
        DropOnAirClient alice = client("alice");
        DropOnAirClient bob = client("bob");
        Recorder alices = new Recorder(alice);
        Room room = room(alice, new RoomSpec());
        String callId = await(alice.joinRoom(room.getRoomId())).getCallId();
        await(bob.joinRoom(room.getRoomId()));

        await(bob.setMediaState(callId, false, null));
        GroupCallEvent media = alices.await("GROUP_CALL_MEDIA_STATE");
        assertEquals("bob", media.getUserId());
        assertFalse(media.json().getBoolean("audio"));
        assertFalse(alice.getCall(room.getRoomId()).getParticipant("bob").isAudio());

        await(bob.startScreenShare(callId));
        assertEquals("bob", alices.await("GROUP_CALL_SCREEN_SHARE_STARTED").getUserId());
        assertTrue(alice.getCall(room.getRoomId()).getParticipant("bob").isScreenSharing());
        await(bob.stopScreenShare(callId));
        alices.await("GROUP_CALL_SCREEN_SHARE_STOPPED");
        assertFalse(alice.getCall(room.getRoomId()).getParticipant("bob").isScreenSharing());

        await(bob.leaveGroupCall(callId));
        assertEquals("LEFT", alices.await("GROUP_CALL_PARTICIPANT_LEFT").getReason());
        assertNull(bob.getCall(room.getRoomId()));
        assertEquals(1, alice.getCall(room.getRoomId()).getParticipants().size());
    }

    @Test
    public void hostsWatchWithoutJoining() throws Exception {
        DropOnAirClient alice = client("alice");
        Recorder alices = new Recorder(alice);
        Room room = room(alice, new RoomSpec().waitingRoom(true));
        JSONObject w = await(alice.watchRoom(room.getRoomId()));
        assertEquals(room.getRoomId(), w.getString("roomId"));
        assertEquals(JSONObject.NULL, w.get("call"));
        await(client("bob").joinRoom(room.getRoomId()));
        assertEquals("bob", alices.await("GROUP_CALL_WAITING").getUserId());
        await(alice.unwatchRoom(room.getRoomId()));
        assertEquals("FORBIDDEN", failure(client("bob").watchRoom(room.getRoomId())).getCode());
    }
}
