package com.droponair;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.json.JSONObject;
import org.junit.Test;

/** The rooms API over REST, and the futures' threading. */
public class RestTest extends ServerTest {
    @Test
    public void createGetListUpdateDelete() throws Exception {
        DropOnAirClient alice = client("alice");
        Room r = await(alice.createRoom(new RoomSpec().name("Weekly sync").scheduledStartAt(1764072000000L)
                .waitingRoom(true).maxParticipants(4).hosts(Arrays.asList("bob"))
                .metadata(new JSONObject().put("team", "android"))));
        assertTrue(r.getRoomId().startsWith("rm_"));
        assertEquals("Weekly sync", r.getName());
        assertEquals("alice", r.getCreatedBy());
        assertEquals(Arrays.asList("alice", "bob"), r.getHosts());
        assertEquals(Long.valueOf(1764072000000L), r.getScheduledStartAt());
        assertNull(r.getScheduledEndAt());
        assertTrue(r.isWaitingRoom());
        assertEquals(Integer.valueOf(4), r.getMaxParticipants());
        assertEquals("android", r.getMetadata().getString("team"));
        assertEquals(1, r.getVersion());

        Room got = await(alice.getRoom(r.getRoomId()));
        assertEquals(r.getRoomId(), got.getRoomId());
        assertNull(got.getCall());

        Room patched = await(alice.updateRoom(r.getRoomId(), new RoomSpec().name("Renamed").maxParticipants(null),
                1L));
        assertEquals("Renamed", patched.getName());
        assertNull(patched.getMaxParticipants());
        assertEquals(2, patched.getVersion());

        DropOnAirException stale = failure(alice.updateRoom(r.getRoomId(), new RoomSpec().name("x"), 1L));
        assertEquals("PRECONDITION_FAILED", stale.getCode());
        assertEquals(412, stale.getStatus());

        RoomPage page = await(alice.listRooms("ACTIVE", 10, null));
        assertEquals(r.getRoomId(), page.getRooms().get(0).getRoomId());

        await(alice.deleteRoom(r.getRoomId()));
        DropOnAirException gone = failure(alice.getRoom(r.getRoomId()));
        assertEquals("ROOM_NOT_FOUND", gone.getCode());
        assertEquals(404, gone.getStatus());
    }

    @Test
    public void validationErrorsNameTheField() throws Exception {
        DropOnAirException e = failure(client("alice").createRoom(new RoomSpec().maxParticipants(0)));
        assertEquals("VALIDATION_FAILED", e.getCode());
        assertEquals(400, e.getStatus());
        assertEquals("policy.maxParticipants", e.getField());
    }

    @Test
    public void idempotencyKeyReturnsTheFirstRoom() throws Exception {
        DropOnAirClient alice = client("alice");
        Room a = await(alice.createRoom(new RoomSpec().name("once"), "key-1"));
        Room b = await(alice.createRoom(new RoomSpec().name("once"), "key-1"));
        assertEquals(a.getRoomId(), b.getRoomId());
    }

    @Test
    public void infoWithTheAppsPlan() throws Exception {
        JSONObject info = await(client("alice").getInfo());
        assertEquals("pro", info.getString("plan"));
        assertEquals("alice", info.getString("userId"));
        assertTrue(info.getJSONArray("features").toString().contains("waiting_room"));
    }

    @Test
    public void callbacksRunOnTheChosenExecutor() throws Exception {
        final java.util.concurrent.ExecutorService main = java.util.concurrent.Executors.newSingleThreadExecutor(
                new java.util.concurrent.ThreadFactory() {
                    @Override
                    public Thread newThread(Runnable r) {
                        return new Thread(r, "app-main");
                    }
                });
        try {
            DropOnAirClient alice = track(DropOnAirClient.builder(server.url, app.provider("alice"))
                    .callbackExecutor(main).build());
            final CountDownLatch done = new CountDownLatch(2);
            final AtomicReference<String> restThread = new AtomicReference<String>();
            final AtomicReference<String> joinThread = new AtomicReference<String>();
            alice.createRoom(new RoomSpec().name("threads")).addCallback(new Callback<Room>() {
                @Override
                public void onSuccess(Room room) {
                    restThread.set(Thread.currentThread().getName());
                    done.countDown();
                }

                @Override
                public void onFailure(DropOnAirException error) {
                    done.countDown();
                }
            });
            Room room = await(alice.createRoom(new RoomSpec()));
            alice.joinRoom(room.getRoomId()).addCallback(new Callback<JoinResult>() {
                @Override
                public void onSuccess(JoinResult r) {
                    joinThread.set(Thread.currentThread().getName());
                    done.countDown();
                }

                @Override
                public void onFailure(DropOnAirException error) {
                    done.countDown();
                }
            });
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals("app-main", restThread.get());
            assertEquals("app-main", joinThread.get());
        } finally {
            main.shutdown();
        }
    }

    @Test
    public void aServerThatIsNotThereFailsWithNetwork() throws Exception {
        DropOnAirClient c = track(new DropOnAirClient("http://127.0.0.1:1", app.provider("alice")));
        DropOnAirException e = failure(c.getRoom("rm_x"));
        assertEquals("NETWORK", e.getCode());
        DropOnAirException ws = failure(c.joinRoom("rm_x"));
        assertEquals("DISCONNECTED", ws.getCode());
        assertFalse(c.getConnectionState() == ConnectionState.OPEN);
    }
}
