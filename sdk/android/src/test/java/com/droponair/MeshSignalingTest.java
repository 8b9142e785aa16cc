package com.droponair;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * MeshSignaling between Java clients, with a fake WebRTC layer in place of
 * org.webrtc: who offers, offer/answer/candidates in order, signals kept
 * until the mesh starts, peers joining and leaving, a restart, the end.
 */
public class MeshSignalingTest extends ServerTest {
    /** A stand-in for a PeerConnection: remembers descriptions; "connected" once both are set. */
    static final class FakePc {
        final PeerLink link;
        SessionDescriptionData local;
        SessionDescriptionData remote;
        int candidates;
        boolean closed;
        boolean rebuilt;

        FakePc(PeerLink link) {
            this.link = link;
        }

        boolean connected() {
            return !closed && local != null && remote != null && candidates > 0;
        }
    }

    /** The app's WebRTC layer, faked. */
    static final class FakeEngine implements MeshHandler {
        final String self;
        final Map<String, FakePc> current = new HashMap<String, FakePc>();
        final List<FakePc> all = new ArrayList<FakePc>();
        final List<String> offersMade = new ArrayList<String>();
        final List<GroupCallEvent> ended = new ArrayList<GroupCallEvent>();

        FakeEngine(String self) {
            this.self = self;
        }

        @Override
        public synchronized void onPeerAdded(PeerLink link) {
            FakePc pc = new FakePc(link);
            current.put(link.getUserId(), pc);
            all.add(pc);
            if (link.shouldOffer()) {
                pc.local = new SessionDescriptionData("offer", "v=0\r\ns=offer from " + self + "\r\n");
                offersMade.add(link.getUserId());
                link.sendOffer(pc.local);
                link.sendIceCandidate(new IceCandidateData("0", 0, "candidate:1 1 udp 1 127.0.0.1 9 typ host"));
            }
            notifyAll();
        }

        @Override
        public synchronized void onRemoteDescription(final PeerLink link, SessionDescriptionData d, final Runnable done) {
            final FakePc pc = current.get(link.getUserId());
            pc.remote = d;
            if (d.isOffer()) {
                pc.local = new SessionDescriptionData("answer", "v=0\r\ns=answer from " + self + "\r\n");
                // As org.webrtc does: the result comes later, on another thread.
                new Thread(new Runnable() {
                    @Override
                    public void run() {
                        link.sendAnswer(pc.local);
                        link.sendIceCandidate(new IceCandidateData("0", 0, "candidate:2 1 udp 1 127.0.0.1 9 typ host"));
                        done.run();
                    }
                }).start();
            } else {
                done.run();
            }
            notifyAll();
        }

        @Override
        public synchronized void onRemoteIceCandidate(PeerLink link, IceCandidateData c, Runnable done) {
            FakePc pc = current.get(link.getUserId());
            assertTrue("a candidate after the remote description", pc.remote != null);
            assertTrue(c.getCandidate().startsWith("candidate:"));
            pc.candidates++;
            done.run();
            notifyAll();
        }

        @Override
        public synchronized void onPeerRemoved(PeerLink link, boolean rebuilt) {
            FakePc pc = current.get(link.getUserId());
            if (pc != null && pc.link == link) {
                current.remove(link.getUserId());
            }
            for (FakePc p : all) {
                if (p.link == link) {
                    p.closed = true;
                    p.rebuilt = rebuilt;
                }
            }
            notifyAll();
        }

        @Override
        public synchronized void onCallEnded(GroupCallEvent event) {
            ended.add(event);
            notifyAll();
        }

        /** Waits until connected to exactly these peers. */
        synchronized void awaitConnected(String... peers) throws InterruptedException {
            long end = System.currentTimeMillis() + 10000;
            for (;;) {
                boolean ok = current.size() == peers.length;
                for (String p : peers) {
                    FakePc pc = current.get(p);
                    ok &= pc != null && pc.connected();
                }
                if (ok) {
                    return;
                }
                long left = end - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError(self + " not connected to " + java.util.Arrays.toString(peers)
                            + "; has " + describe());
                }
                wait(left);
            }
        }

        synchronized void awaitEnded() throws InterruptedException {
            long end = System.currentTimeMillis() + 10000;
            while (ended.isEmpty()) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError(self + ": call never ended");
                }
                wait(left);
            }
        }

        synchronized String describe() {
            StringBuilder s = new StringBuilder();
            for (FakePc pc : current.values()) {
                s.append(pc.link).append(" local=").append(pc.local != null).append(" remote=")
                        .append(pc.remote != null).append(" cands=").append(pc.candidates).append("; ");
            }
            return s.toString();
        }

        synchronized FakePc pc(String peer) {
            return current.get(peer);
        }
    }

    @Test
    public void aMeshOfThreeWithSignalsKeptUntilStart() throws Exception {
        DropOnAirClient aaron = client("aaron");
        DropOnAirClient zoe = client("zoe");
        Room room = room(aaron, new RoomSpec().name("mesh"));
        String callId = await(aaron.joinRoom(room.getRoomId())).getCallId();
        FakeEngine a = new FakeEngine("aaron");
        MeshSignaling am = new MeshSignaling(aaron, room.getRoomId(), a);
        am.start();

        // zoe joins but starts her mesh later: aaron (the smaller id) offers at once.
        await(zoe.joinRoom(room.getRoomId()));
        long end = System.currentTimeMillis() + 5000;
        while (zoe.getCall(room.getRoomId()).getBufferedSignals() < 2 && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
        assertEquals("offer and candidate kept for zoe", 2, zoe.getCall(room.getRoomId()).getBufferedSignals());
        FakeEngine z = new FakeEngine("zoe");
        MeshSignaling zm = new MeshSignaling(zoe, room.getRoomId(), z);
        zm.start();
        a.awaitConnected("zoe");
        z.awaitConnected("aaron");
        assertEquals(1, a.offersMade.size());
        assertTrue(z.offersMade.isEmpty());
        assertEquals(callId, zm.getCallId());
        assertEquals(a.pc("zoe").link.getGeneration(), z.pc("aaron").link.remoteGen());
        assertEquals(z.pc("aaron").link.getGeneration(), a.pc("zoe").link.remoteGen());

        // A third: mike is between the two, so he answers aaron and offers to zoe.
        DropOnAirClient mike = client("mike");
        FakeEngine m = new FakeEngine("mike");
        MeshSignaling mm = new MeshSignaling(mike, room.getRoomId(), m);
        mm.start(); // before joining: it follows the call once the client is in
        await(mike.joinRoom(room.getRoomId()));
        m.awaitConnected("aaron", "zoe");
        a.awaitConnected("zoe", "mike");
        z.awaitConnected("aaron", "mike");
        assertEquals(java.util.Arrays.asList("zoe"), m.offersMade);

        // zoe's connection to aaron fails for good: she starts over, aaron follows.
        final PeerLink old = z.pc("aaron").link;
        old.restart();
        long until = System.currentTimeMillis() + 10000;
        while ((z.pc("aaron") == null || z.pc("aaron").link == old || !z.pc("aaron").connected()
                || a.pc("zoe") == null || !a.pc("zoe").connected()
                || !z.pc("aaron").link.getGeneration().equals(a.pc("zoe").link.remoteGen()))
                && System.currentTimeMillis() < until) {
            Thread.sleep(20);
        }
        assertTrue(old.isClosed());
        assertTrue(z.pc("aaron").connected());
        assertEquals(z.pc("aaron").link.getGeneration(), a.pc("zoe").link.remoteGen());
        assertEquals("aaron offered again", java.util.Arrays.asList("zoe", "mike", "zoe"), a.offersMade);
        assertFalse(old.sendOffer(new SessionDescriptionData("offer", "x")).await(5, java.util.concurrent.TimeUnit.SECONDS)
                .isOk());

        // mike leaves: the others drop his connection; then the host ends the call.
        await(mike.leaveCall(room.getRoomId()));
        a.awaitConnected("zoe");
        z.awaitConnected("aaron");
        await(aaron.endCall(callId));
        z.awaitEnded();
        assertEquals("HOST_ENDED", z.ended.get(0).getReason());
        assertTrue(z.current.isEmpty());
        am.stop();
        zm.stop();
        mm.stop();
    }
}
