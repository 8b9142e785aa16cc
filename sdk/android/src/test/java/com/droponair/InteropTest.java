package com.droponair;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.json.JSONException;
import org.json.JSONObject;
import org.junit.Test;

/**
 * A Java client and a JavaScript SDK client in one call: joins seen both
 * ways, SDP offers/answers and ICE candidates relayed in both directions
 * with their payloads unchanged (strings with CRLFs, objects).
 */
public class InteropTest extends ServerTest {
    private static final String SDP = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

    @Test
    public void javaAndJsExchangeSignals() throws Exception {
        DropOnAirClient jay = client("jay");
        Recorder jays = new Recorder(jay);
        Room room = room(jay, new RoomSpec().name("interop"));
        final String callId = await(jay.joinRoom(room.getRoomId())).getCallId();

        try (JsPeer jess = new JsPeer(server.url, app.token("jess"))) {
            jess.send(new JSONObject().put("cmd", "join").put("roomId", room.getRoomId()));
            JSONObject joined = jess.await(new JsPeer.Match() {
                @Override
                public boolean test(JSONObject l) {
                    return "join".equals(l.optString("reply"));
                }
            });
            assertEquals("JOINED", joined.getString("status"));
            assertEquals(callId, joined.getString("callId"));
            GroupCallEvent arrived = jays.await("GROUP_CALL_PARTICIPANT_JOINED");
            assertEquals("jess", arrived.getUserId());
            assertEquals(room.getRoomId(), arrived.getRoomId());
            assertTrue(jay.getCall(room.getRoomId()).getParticipant("jess") != null);

            // Java offers (an object payload, as org.webrtc's SessionDescription maps to), JS answers.
            JSONObject offer = new JSONObject().put("type", "offer").put("sdp", SDP);
            SignalResult sent = await(jay.sendGroupCallSignal(GroupCallEvent.SDP_OFFER, callId, "", "jess", offer));
            assertTrue(String.valueOf(sent.getError()), sent.isOk());
            JSONObject got = jess.awaitEvent(GroupCallEvent.SDP_OFFER, "jay");
            assertEquals(callId, got.getString("callId"));
            assertEquals(room.getRoomId(), got.getString("roomId"));
            assertEquals("", got.getString("groupId"));
            assertEquals(SDP, got.getJSONObject("payload").getString("sdp"));

            jess.send(signal("GROUP_CALL_SDP_ANSWER", callId, "jay",
                    new JSONObject().put("type", "answer").put("sdp", "v=0\r\nanswer from js\r\n")));
            GroupCallEvent answer = jays.await(GroupCallEvent.SDP_ANSWER);
            assertEquals("jess", answer.getFrom());
            assertEquals(callId, answer.getCallId());
            assertEquals("v=0\r\nanswer from js\r\n", ((JSONObject) answer.getPayload()).getString("sdp"));

            // ICE candidates both ways.
            JSONObject cand = new JSONObject().put("candidate", "candidate:1 1 udp 2122260223 10.0.0.2 54321 typ host")
                    .put("sdpMid", "0").put("sdpMLineIndex", 0);
            assertTrue(await(jay.sendGroupCallSignal(GroupCallEvent.ICE_CANDIDATE, callId, "", "jess", cand)).isOk());
            JSONObject gotCand = jess.awaitEvent(GroupCallEvent.ICE_CANDIDATE, "jay").getJSONObject("payload");
            assertEquals(cand.toString(), gotCand.toString());
            jess.send(signal("GROUP_CALL_ICE_CANDIDATE", callId, "jay", cand));
            assertEquals(cand.toString(), jays.await(GroupCallEvent.ICE_CANDIDATE).getPayload().toString());

            // JS offers with a plain string payload; Java answers.
            jess.send(signal("GROUP_CALL_SDP_OFFER", callId, "jay", SDP));
            GroupCallEvent jsOffer = jays.await(GroupCallEvent.SDP_OFFER);
            assertEquals(SDP, jsOffer.getPayload());
            assertTrue(await(jay.sendGroupCallSignal(GroupCallEvent.SDP_ANSWER, callId, "", "jess", "v=0\r\n"))
                    .isOk());
            assertEquals("v=0\r\n", jess.awaitEvent(GroupCallEvent.SDP_ANSWER, "jay").getString("payload"));

            // A peer that is not in the call: the signal is not relayed, and the future says why.
            SignalResult nobody = await(jay.sendGroupCallSignal(GroupCallEvent.SDP_OFFER, callId, "", "nobody", SDP));
            assertEquals("NOT_FOUND", nobody.getError().getCode());

            // JS leaves; Java sees it.
            jess.send(new JSONObject().put("cmd", "leave").put("roomId", room.getRoomId()));
            assertEquals("LEFT", jays.await("GROUP_CALL_PARTICIPANT_LEFT").getReason());
        }
    }

    private static JSONObject signal(String type, String callId, String to, Object payload) throws JSONException {
        return new JSONObject().put("cmd", "signal").put("type", type).put("callId", callId).put("to", to)
                .put("payload", payload);
    }
}
