#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into corpus/<target>/.

Seeds are named seed-*; inputs kept from fuzzing runs (minimized with
-merge=1) are named by their SHA-1, saved crashes regress-*. Re-running this
script rewrites the seed-* files only. The input formats are described at the
top of each fuzz_<target>.c.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET_FZ = b"fuzz-secret-fz-0123456789abcdef"
SECRET_FZ2 = b"fuzz-secret-fz2-0123456789abcdef"
FAR = 4102444800      # 2100-01-01, after the fuzz clock (fuzz_jwt NOW_S = 1764000000)
NOW = 1764000000


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clean(target):
    d = os.path.join(HERE, "corpus", target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if n.startswith("seed-"):
                os.remove(os.path.join(d, n))


# ---- HTTP ----

def req(method, path, headers=(), body=""):
    text = "%s %s\n" % (method, path)
    for k, v in headers:
        text += "%s: %s\n" % (k, v)
    return text + "\n" + body


def auth(i):
    return ("Authorization", "Bearer $T%d" % i)


JSON = ("Content-Type", "application/json")


def http_seeds():
    sep = "\n--next--\n"
    seeds = {
        "info-anon": req("GET", "/api/info"),
        "info-token": req("GET", "/api/info", [auth(0)]),
        "info-bad-token": req("GET", "/api/info", [("Authorization", "Bearer abc.def.ghi")]),
        "info-basic": req("GET", "/api/info", [("Authorization", "Basic YTpi")]),
        "create-min": req("POST", "/api/rooms", [auth(0), JSON], "{}"),
        "create-crud": sep.join([
            req("POST", "/api/rooms", [auth(0), JSON], json.dumps({
                "name": "Weekly sync", "scheduledStartAt": 1764072000000,
                "scheduledEndAt": None, "hosts": ["bob", "alice"],
                "policy": {"waitingRoom": True, "requireHost": False,
                           "maxParticipants": 10, "autoCloseWhenEmpty": False},
                "metadata": {"team": "core", "n": [1, 2, {"x": None}]}})),
            req("GET", "/api/rooms/$L", [auth(1)]),
            req("PATCH", "/api/rooms/$L", [auth(0), ("If-Match", '"1"'),
                                          ("Content-Type", "application/merge-patch+json")],
                '{"name":"x","policy":{"waitingRoom":false},"metadata":{"n":null,"m":{"a":1}}}'),
            req("PATCH", "/api/rooms/$L", [auth(0), JSON], '{"name":"x"}'),
            req("DELETE", "/api/rooms/$L", [auth(0), ("If-Match", '"2"')]),
            req("GET", "/api/rooms/$L", [auth(0)]),
        ]),
        "create-idem": sep.join([
            req("POST", "/api/rooms", [auth(0), JSON, ("Idempotency-Key", "k-1")], '{"name":"a"}'),
            req("POST", "/api/rooms", [auth(0), JSON, ("Idempotency-Key", "k-1")], '{"name":"a"}'),
            req("POST", "/api/rooms", [auth(0), JSON, ("Idempotency-Key", "k-1")], '{"name":"b"}'),
            req("POST", "/api/rooms", [auth(0), JSON, ("Idempotency-Key", "")], '{}'),
        ]),
        "create-starter": req("POST", "/api/rooms", [auth(4), JSON], "{}"),
        "create-pro-cap": req("POST", "/api/rooms", [auth(7), JSON],
                              '{"policy":{"maxParticipants":26}}'),
        "create-invalid": sep.join([
            req("POST", "/api/rooms", [auth(0), JSON], '{"waitingroom":true}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"name":5}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"policy":{"maxParticipants":0}}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"scheduledStartAt":5,"scheduledEndAt":4}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"hosts":["a",1]}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"hosts":["a\\u0001"]}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"metadata":{"k":"%s"}}' % ("v" * 4200)),
            req("POST", "/api/rooms", [auth(0), JSON], '{"policy":{"bogus":1}}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"scheduledStartAt":-1}'),
            req("POST", "/api/rooms", [auth(0), JSON], '{"scheduledStartAt":1.5}'),
        ]),
        # 50 hosts besides the creator (a 400 since h-input): regress-hosts-51.
        "create-hosts-49": req("POST", "/api/rooms", [auth(0), JSON],
                               json.dumps({"hosts": ["h%d" % i for i in range(49)]})),
        "body-bad": sep.join([
            req("POST", "/api/rooms", [auth(0), JSON], "{"),
            req("POST", "/api/rooms", [auth(0), JSON], "[1,2]"),
            req("POST", "/api/rooms", [auth(0), JSON], '{"name":"a"} x'),
            req("POST", "/api/rooms", [auth(0), JSON], "{'name':'a'}"),
            req("POST", "/api/rooms", [auth(0), JSON], '{"name":NaN}'),
            req("POST", "/api/rooms", [auth(0), ("Content-Type", "text/plain")], "{}"),
            req("POST", "/api/rooms", [auth(0), JSON], '{"name":"\xed\xa0\x80"}'),
        ]),
        "get-fixtures": sep.join([
            req("GET", "/api/rooms/rm_open", [auth(0)]),
            req("GET", "/api/rooms/rm_open", [auth(1)]),
            req("GET", "/api/rooms/rm_other", [auth(0)]),
            req("GET", "/api/rooms/rm_other", [auth(4)]),
            req("GET", "/api/rooms/rm_nope", [auth(0)]),
            req("GET", "/api/rooms/bad id!", [auth(0)]),
        ]),
        "patch-fixtures": sep.join([
            req("PATCH", "/api/rooms/rm_open", [auth(0), JSON], '{"hosts":["bob"]}'),
            req("PATCH", "/api/rooms/rm_open", [auth(0), JSON, ("If-Match", '"7"')], '{"name":"n"}'),
            req("PATCH", "/api/rooms/rm_open", [auth(0), JSON, ("If-Match", '"3", *')], '{"name":"n"}'),
            req("PATCH", "/api/rooms/rm_open", [auth(1), JSON], '{"name":"n"}'),
            req("PATCH", "/api/rooms/rm_open", [auth(0), JSON],
                '{"status":"CLOSED","hosts":["alice","bob","bob"],"policy":null}'),
            req("PATCH", "/api/rooms/rm_other", [auth(0), JSON], '{"name":"n"}'),
            req("PATCH", "/api/rooms/rm_wait", [auth(0), JSON], '{"policy":{"waitingRoom":false}}'),
        ]),
        "list-query": sep.join([
            req("GET", "/api/rooms?limit=2", [auth(0)]),
            req("GET", "/api/rooms?limit=2&status=ACTIVE&cursor=" + b64(b"1700000000005:rm_auto"), [auth(0)]),
            req("GET", "/api/rooms?status=CLOSED", [auth(0)]),
            req("GET", "/api/rooms?limit=0", [auth(0)]),
            req("GET", "/api/rooms?limit=201&status=x", [auth(0)]),
            req("GET", "/api/rooms?cursor=notbase64!", [auth(0)]),
            req("GET", "/api/rooms?cursor=" + b64(b"-5:rm_x"), [auth(0)]),
            req("GET", "/api/rooms?cursor=" + b64(b"5:bad id"), [auth(0)]),
            req("GET", "/api/dev/token?user=zoe"),
            req("GET", "/api/dev/token?user=a%20b&x=1"),
        ]),
        "list": sep.join([
            req("GET", "/api/rooms", [auth(0)]),
            req("GET", "/api/rooms", [auth(2)]),
            req("GET", "/api/rooms/", [auth(4)]),
        ]),
        "delete": sep.join([
            req("DELETE", "/api/rooms/rm_bob", [auth(1)]),
            req("DELETE", "/api/rooms/rm_open", [auth(1)]),
            req("DELETE", "/api/rooms/rm_other", [auth(0)]),
        ]),
        "moderation": sep.join([
            req("GET", "/api/rooms/rm_wait/waiting", [auth(0)]),
            req("POST", "/api/rooms/rm_wait/waiting/bob/admit", [auth(0)]),
            req("POST", "/api/rooms/rm_wait/waiting/admit-all", [auth(2)]),
            req("POST", "/api/rooms/rm_wait/waiting/bob/deny", [auth(0)]),
            req("POST", "/api/rooms/rm_open/participants/bob/remove", [auth(0), JSON], '{"ban":true}'),
            req("POST", "/api/rooms/rm_open/participants/bob/remove", [auth(0), JSON], '{"x":1}'),
            req("POST", "/api/rooms/rm_open/call/end", [auth(0)]),
            req("POST", "/api/rooms/rm_open/call/end", [auth(1)]),
            req("GET", "/api/rooms/rm_other/waiting", [auth(0)]),
            req("GET", "/api/rooms/rm_other/waiting", [auth(4)]),
        ]),
        "ops": sep.join([
            req("GET", "/healthz"),
            req("GET", "/metrics"),
            req("GET", "/api/openapi.json"),
            req("GET", "/api/dev/token"),
            req("GET", "/"),
            req("GET", "/app.js"),
            req("GET", "/nope"),
            req("OPTIONS", "/api/rooms", [("Origin", "https://app.example")]),
            req("PUT", "/api/rooms", [auth(0)]),
            req("HEAD", "/api/info"),
            req("BREW", "/api/info"),
            req("GET", "/api/info?x=1", [("Origin", "https://evil.example")]),
        ]),
        "auth-variants": sep.join([
            req("GET", "/api/rooms", []),
            req("GET", "/api/rooms", [auth(5)]),
            req("GET", "/api/rooms", [auth(6)]),
            req("GET", "/api/rooms", [("Authorization", "Bearer    $T0")]),
            req("GET", "/api/rooms", [("Authorization", "bearer $T3")]),
            req("GET", "/api/rooms", [("Authorization", "Bearer ")]),
            req("GET", "/api/info", [("Authorization", "Bearer " + "a" * 9000)]),
        ]),
        "paths": sep.join([
            req("GET", "/api/rooms//waiting", [auth(0)]),
            req("GET", "/api/rooms/rm_open/", [auth(0)]),
            req("GET", "/api/rooms/rm_open//", [auth(0)]),
            req("GET", "/api/rooms/" + "r" * 300, [auth(0)]),
            req("POST", "/api/rooms/rm_wait/waiting/" + "u" * 200 + "/admit", [auth(0)]),
            req("GET", "/" + "x" * 600, []),
        ]),
    }
    for name, text in seeds.items():
        write("http", name, text)


# ---- WebSocket ----

def M(conn, obj):
    text = obj if isinstance(obj, (str, bytes)) else json.dumps(obj)
    if isinstance(text, str):
        text = text.encode()
    return b"M" + struct.pack("<BH", conn, len(text)) + text


def F(conn, fin, text, binary=False):
    if isinstance(text, str):
        text = text.encode()
    return b"F" + struct.pack("<BBH", conn, (1 if fin else 0) | (2 if binary else 0),
                              len(text)) + text


def B(conn, fin, reps, text):
    if isinstance(text, str):
        text = text.encode()
    return b"B" + struct.pack("<BBBH", conn, 1 if fin else 0, reps, len(text)) + text


def H(conn, tok):
    return b"H" + bytes([conn, tok])


def X(conn):
    return b"X" + bytes([conn])


G = b"G"
T = b"T"


def O(conn):
    return b"O" + bytes([conn])


def S(conn):
    return b"S" + bytes([conn])


def R(text):
    if isinstance(text, str):
        text = text.encode()
    return b"R" + struct.pack("<H", len(text)) + text


D = b"D"


def cmd(i, t, **kw):
    o = {"id": i, "type": t}
    o.update(kw)
    return o


def ws_seeds():
    join = lambda i, room: cmd(i, "JOIN_ROOM", roomId=room)
    seeds = {
        "ping": M(0, cmd(1, "PING")),
        "unauth-join": M(0, join(1, "rm_open")),
        "auth-join-leave": M(0, cmd(1, "AUTH", token="$T0")) + M(0, join(2, "rm_open"))
        + M(0, cmd(3, "GROUP_CALL_LEAVE", callId="$C0")),
        "call-two": H(0, 0) + H(1, 1) + M(0, join(1, "rm_open")) + M(1, join(1, "rm_open"))
        + M(0, cmd(2, "GROUP_CALL_SIGNAL", signal="GROUP_CALL_SDP_OFFER", callId="$C0",
                   groupId="", to="bob", payload={"sdp": "v=0\r\n"}))
        + M(1, cmd(2, "GROUP_CALL_SIGNAL", signal="GROUP_CALL_ICE_CANDIDATE", callId="$C0",
                   to="alice", payload="candidate:1"))
        + M(1, cmd(3, "GROUP_CALL_MEDIA_STATE", callId="$C0", audio=False, video=True))
        + M(1, cmd(4, "GROUP_CALL_SCREEN_SHARE_START", callId="$C0"))
        + M(0, cmd(5, "GROUP_CALL_SCREEN_SHARE_START", callId="$C0"))
        + M(0, cmd(6, "GROUP_CALL_SCREEN_SHARE_STOP", callId="$C0"))
        + M(0, cmd(7, "MUTE_PARTICIPANT", callId="$C0", userId="bob", kind="audio"))
        + M(0, cmd(8, "SET_ROLE", callId="$C0", userId="bob", role="CO_HOST"))
        + M(1, cmd(9, "SET_ROLE", callId="$C0", userId="alice", role="PARTICIPANT"))
        + M(0, cmd(10, "REMOVE_PARTICIPANT", callId="$C0", userId="bob", ban=True))
        + M(1, join(11, "rm_open"))
        + M(0, cmd(12, "END_CALL", callId="$C0")),
        "waiting-room": H(0, 0) + H(1, 1) + H(2, 3) + M(1, join(1, "rm_wait"))
        + M(0, cmd(1, "WATCH_ROOM", roomId="rm_wait")) + M(2, join(1, "rm_wait"))
        + M(0, cmd(2, "ADMIT", roomId="rm_wait", userId="bob"))
        + M(0, cmd(3, "ADMIT", roomId="rm_wait", all=True))
        + M(1, join(2, "rm_wait")) + M(0, cmd(4, "DENY", roomId="rm_wait", userId="dave"))
        + M(2, cmd(3, "CANCEL_WAIT", roomId="rm_wait"))
        + M(0, cmd(5, "UNWATCH_ROOM", roomId="rm_wait")),
        "waiting-admit-both": H(0, 0) + H(1, 1) + M(1, join(1, "rm_wait"))
        + M(0, cmd(2, "ADMIT", roomId="rm_wait", userId="bob", all=True))
        + M(0, cmd(3, "ADMIT", roomId="rm_wait")),
        "require-host": H(1, 1) + M(1, join(1, "rm_host")) + H(0, 0) + M(0, join(1, "rm_host"))
        + M(1, join(2, "rm_host")),
        "full": H(0, 0) + H(1, 1) + H(2, 2) + M(0, join(1, "rm_full")) + M(1, join(1, "rm_full"))
        + M(2, join(1, "rm_full")),
        "closed": H(0, 0) + M(0, join(1, "rm_closed")),
        "auto-close": H(0, 0) + H(1, 1) + M(1, join(1, "rm_auto")) + M(0, join(1, "rm_auto"))
        + M(0, cmd(2, "GROUP_CALL_LEAVE", callId="$C5")) + M(0, join(3, "rm_auto")),
        "other-app": H(0, 4) + M(0, join(1, "rm_open")) + M(0, join(2, "rm_other"))
        + M(0, cmd(3, "WATCH_ROOM", roomId="rm_open")),
        "fragments": F(0, False, '{"id":1,"ty') + F(0, False, 'pe":"AUTH","tok')
        + F(0, True, 'en":"$T0"}') + F(0, False, '{"id":2,"type":"JOIN_ROOM",')
        + F(0, True, '"roomId":"rm_open"}') + F(0, True, b"\x00\x01", binary=True)
        + F(0, False, b"\x00", binary=True) + F(0, True, b"\x01")
        + M(0, cmd(3, "PING")),
        "fragments-interleaved": F(0, False, '{"id":1,"type":"AUTH",') + F(1, False, '{"id":1,')
        + F(0, True, '"token":"$T0"}') + F(1, True, '"type":"PING"}') + X(1)
        + F(1, True, '{"id":2,"type":"PING"}'),
        "big-frames": H(0, 0) + F(0, False, '{"id":1,"type":"PING","x":"') + B(0, False, 200, "a" * 300)
        + F(0, True, '"}') + F(0, False, '{"id":2,"type":"PING","x":"') + B(0, False, 255, "b" * 320)
        + F(0, True, '"}') + M(1, cmd(3, "PING")),
        "too-long": F(0, False, '{"id":1,"type":"PING","x":"' + "a" * 40000)
        + F(0, False, "a" * 30000) + F(0, True, '"}') + M(0, cmd(2, "PING")),
        "resume": M(0, cmd(1, "RESUME", resumeToken="rt_nope", lastSeq=0))
        + M(1, cmd(1, "AUTH", token="$T1")) + M(1, cmd(2, "RESUME", resumeToken="x", lastSeq=3))
        + M(2, cmd(1, "RESUME", resumeToken="rt_x", lastSeq=-1)),
        "grace": H(0, 0) + H(1, 1) + M(0, join(1, "rm_open")) + M(1, join(1, "rm_open")) + X(0)
        + M(1, cmd(2, "GROUP_CALL_SIGNAL", signal="GROUP_CALL_SDP_OFFER", callId="$C0",
                   to="alice", payload=None)) + G + M(1, cmd(3, "GROUP_CALL_LEAVE", callId="$C0")),
        "replace": H(0, 0) + M(0, join(1, "rm_open")) + H(1, 0) + M(1, join(1, "rm_open"))
        + M(0, cmd(2, "PING")),
        "bad-frames": M(0, "not json") + M(0, "[1,2]") + M(0, '{"id":1}')
        + M(0, cmd(2, "NOPE")) + M(0, '{"id":{"a":1},"type":"PING"}')
        + M(0, '{"id":1,"type":"PING","extra":1}') + M(0, '{"id":1,"type":5}')
        + M(0, '{"id":' + "9" * 30 + ',"type":"PING"}') + M(0, "") + M(0, b"\xff\xfe")
        + M(0, '{"id":1,"type":"PING"} {}') + M(0, "[" * 40 + "]" * 40),
        "bad-fields": H(0, 0) + M(0, cmd(1, "JOIN_ROOM")) + M(0, cmd(2, "JOIN_ROOM", roomId=5))
        + M(0, cmd(3, "JOIN_ROOM", roomId="x" * 65))
        + M(0, cmd(4, "GROUP_CALL_SIGNAL", signal="BAD", callId="c", to="bob", payload=1))
        + M(0, cmd(5, "GROUP_CALL_SIGNAL", signal="GROUP_CALL_SDP_OFFER", callId="c",
                   to="b\u0001b", payload=1))
        + M(0, cmd(6, "MUTE_PARTICIPANT", callId="c", userId="bob", kind="smell"))
        + M(0, cmd(7, "GROUP_CALL_MEDIA_STATE", callId="c", audio="yes"))
        + M(0, cmd(8, "JOIN_ROOM", roomId="rm_\u00e9")),
        "conn-cap": H(0, 0) + H(1, 0) + H(2, 0) + H(3, 0) + M(3, join(1, "rm_open")),
        "reload-kid": M(0, cmd(1, "AUTH", token="$T6")) + H(1, 6) + M(0, cmd(2, "PING")),
        "expired": M(0, cmd(1, "AUTH", token="$T5")) + H(1, 5),
        "auth-twice": M(0, cmd(1, "AUTH", token="$T0")) + M(0, cmd(2, "AUTH", token="$T0"))
        + M(0, cmd(3, "AUTH", token="$T1")) + M(0, cmd(4, "AUTH", token="garbage")),
        "resume-after-close": H(0, 0) + M(0, join(1, "rm_open")) + H(1, 1) + M(1, join(1, "rm_open"))
        + X(0) + M(1, cmd(2, "GROUP_CALL_SIGNAL", signal="GROUP_CALL_SDP_OFFER", callId="$C0",
                          to="alice", payload={"sdp": "x"}))
        + M(2, '{"id":1,"type":"RESUME","resumeToken":"$K0","lastSeq":$Q0}')
        + M(2, cmd(2, "GROUP_CALL_LEAVE", callId="$C0")),
        "resume-fragmented-live": H(0, 0) + M(0, join(1, "rm_open"))
        + F(1, False, '{"id":1,"type":"RES') + F(1, False, 'UME","resumeToken":"$K0",')
        + F(1, True, '"lastSeq":$Q0}') + M(0, cmd(2, "PING"))
        + F(1, False, '{"id":2,') + F(1, True, '"type":"PING"}'),
        "resume-seq-ahead": H(0, 0) + X(0) + M(1, '{"id":1,"type":"RESUME","resumeToken":"$K0","lastSeq":99}')
        + M(2, '{"id":1,"type":"RESUME","resumeToken":"$K0","lastSeq":0}'),
        "resume-twice": H(0, 1) + M(0, join(1, "rm_open")) + X(0)
        + M(1, '{"id":1,"type":"RESUME","resumeToken":"$K0","lastSeq":0}')
        + M(2, '{"id":1,"type":"RESUME","resumeToken":"$K1","lastSeq":0}') + G
        + M(3, '{"id":1,"type":"RESUME","resumeToken":"$K1","lastSeq":0}'),
        "slow-reader": H(0, 0) + H(1, 1) + M(0, join(1, "rm_open")) + M(1, join(1, "rm_open")) + S(0)
        + b"".join(M(1, cmd(10 + i, "GROUP_CALL_SIGNAL", signal="GROUP_CALL_SDP_OFFER",
                                callId="$C0", to="alice", payload="p" * 12000)) for i in range(7))
        + S(0) + M(0, cmd(2, "PING")) + T,
        "auth-deadline": O(0) + M(1, cmd(1, "PING")) + T + M(0, cmd(2, "PING")),
        "query-token": H(0, 0x80 | 1) + M(0, join(1, "rm_bob")),
        "rest-moderation": H(0, 0) + H(1, 1) + H(2, 3) + M(1, join(1, "rm_wait")) + M(2, join(1, "rm_wait"))
        + R(req("GET", "/api/rooms/rm_wait/waiting", [auth(2)]))
        + R(req("POST", "/api/rooms/rm_wait/waiting/bob/admit", [auth(0)]))
        + R(req("POST", "/api/rooms/rm_wait/waiting/dave/deny", [auth(2)]))
        + M(2, join(2, "rm_wait"))
        + R(req("POST", "/api/rooms/rm_wait/waiting/admit-all", [auth(0)]))
        + R(req("POST", "/api/rooms/rm_wait/participants/bob/remove", [auth(0), JSON], '{"ban":true}'))
        + M(1, join(3, "rm_wait"))
        + R(req("POST", "/api/rooms/rm_wait/call/end", [auth(0)])),
        "rest-patch-live": H(0, 0) + H(1, 1) + H(2, 2) + M(0, join(1, "rm_open")) + M(1, join(1, "rm_open"))
        + R(req("PATCH", "/api/rooms/rm_open", [auth(0), JSON],
                '{"hosts":["alice","bob"],"policy":{"maxParticipants":1,"waitingRoom":true}}'))
        + M(2, join(1, "rm_open"))
        + R(req("PATCH", "/api/rooms/rm_open", [auth(0), JSON], '{"policy":{"waitingRoom":false}}'))
        + R(req("PATCH", "/api/rooms/rm_open", [auth(0), JSON], '{"status":"CLOSED"}'))
        + M(1, join(2, "rm_open")),
        "rest-delete-live": H(0, 0) + H(1, 1) + M(0, join(1, "rm_wait")) + M(1, join(1, "rm_wait"))
        + R(req("DELETE", "/api/rooms/rm_wait", [auth(0)])) + M(0, join(2, "rm_wait"))
        + R(req("GET", "/api/rooms/rm_wait", [auth(1)])),
        "rest-get-live": H(0, 0) + H(1, 1) + M(0, join(1, "rm_auto")) + M(1, join(1, "rm_auto"))
        + R(req("GET", "/api/rooms/rm_auto", [auth(0)])) + R(req("GET", "/api/rooms/rm_auto", [auth(1)]))
        + R(req("GET", "/metrics")) + M(0, cmd(2, "GROUP_CALL_LEAVE", callId="$C5"))
        + R(req("GET", "/api/rooms/rm_auto", [auth(1)])),
        "drain": H(0, 0) + H(1, 1) + M(0, join(1, "rm_open")) + X(1) + D + M(0, cmd(2, "PING"))
        + H(2, 2) + R(req("GET", "/healthz")) + S(0) + T,
        "watch-then-join": H(0, 0) + H(1, 1) + M(0, cmd(1, "WATCH_ROOM", roomId="rm_wait"))
        + M(1, join(1, "rm_wait")) + X(1) + G + M(0, cmd(2, "ADMIT", roomId="rm_wait", all=True)),
    }
    for name, data in seeds.items():
        write("ws", name, data)


# ---- JWT ----

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(header, claims, secret=SECRET_FZ, digest=hashlib.sha256):
    h = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    c = claims if isinstance(claims, bytes) else json.dumps(claims, separators=(",", ":")).encode()
    si = b64(h) + "." + b64(c)
    sig = b64(hmac.new(secret, si.encode(), digest).digest()) if secret else ""
    return si + "." + sig


def raw(tok):
    return b"\x00" + tok.encode()


def structured(key, header, claims):
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    c = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return b"\x01" + bytes([key]) + h + b"\x00" + c


def jwt_seeds():
    hk = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    ok = {"iss": "fz", "sub": "alice", "exp": FAR, "iat": NOW - 10, "name": "Alice"}
    seeds = {
        "valid-kid": raw(token(hk, ok)),
        "valid-iss": raw(token({"alg": "HS256"}, ok)),
        "valid-second-key": raw(token({"alg": "HS256", "kid": "k1b"}, ok,
                                      b"fuzz-secret-fz-second-key-0123456")),
        "valid-fz2": raw(token({"alg": "HS256", "kid": "k2"}, dict(ok, iss="fz2"), SECRET_FZ2)),
        "alg-none": raw(token({"alg": "none", "kid": "k1"}, ok, None)),
        "alg-none-upper": raw(token({"alg": "NONE"}, ok, None)),
        "alg-hs384": raw(token({"alg": "HS384", "kid": "k1"}, ok, SECRET_FZ, hashlib.sha384)),
        "alg-rs256": raw(token({"alg": "RS256", "kid": "k1"}, ok)),
        "bad-sig": raw(token(hk, ok)[:-2] + "AA"),
        "short-key": raw(token({"alg": "HS256", "kid": "kshort"}, ok, b"short")),
        "kid-other-app": raw(token({"alg": "HS256", "kid": "k2"}, ok, SECRET_FZ2)),
        "unknown-kid": raw(token({"alg": "HS256", "kid": "k9"}, ok)),
        "unknown-iss": raw(token({"alg": "HS256"}, dict(ok, iss="nope"))),
        "no-iss-no-kid": raw(token({"alg": "HS256"}, {"sub": "a", "exp": FAR})),
        "app-without-keys": raw(token({"alg": "HS256"}, dict(ok, iss="fznokey"))),
        "two-segments": raw(token(hk, ok).rsplit(".", 1)[0]),
        "empty": b"\x00",
        "garbage": raw("a.b.c"),
        "header-not-json": raw(b64(b"{alg") + "." + b64(b"{}") + ".x"),
        "header-array": raw(b64(b"[1]") + "." + b64(b"{}") + ".x"),
        "padded": raw(token(hk, ok) + "=="),
        "s-expired": structured(0, hk, dict(ok, exp=NOW - 61)),
        "s-skew": structured(0, hk, dict(ok, exp=NOW - 59)),
        "s-nbf-future": structured(0, hk, dict(ok, nbf=NOW + 61)),
        "s-iat-future": structured(0, hk, dict(ok, iat=NOW + 3600)),
        "s-no-sub": structured(0, hk, {"iss": "fz", "exp": FAR}),
        "s-sub-long": structured(0, hk, dict(ok, sub="u" * 129)),
        "s-sub-ctrl": structured(0, hk, dict(ok, sub="a\nb")),
        "s-sub-number": structured(0, hk, dict(ok, sub=5)),
        "s-exp-string": structured(0, hk, dict(ok, exp=str(FAR))),
        "s-exp-float": structured(0, hk, dict(ok, exp=4102444800.5)),
        "s-exp-missing": structured(0, hk, {"iss": "fz", "sub": "alice"}),
        "s-nbf-string": structured(0, hk, dict(ok, nbf="later")),
        "s-name-long": structured(0, hk, dict(ok, name="n" * 201)),
        "s-iss-mismatch": structured(0, hk, dict(ok, iss="fz2")),
        "s-wrong-secret": structured(4, hk, ok),
        "s-no-signature": structured(5, hk, ok),
        "s-hs384": structured(6, dict(hk, alg="HS384"), ok),
        "s-fz2": structured(1, {"alg": "HS256", "kid": "k2"}, dict(ok, iss="fz2")),
        "s-pro": structured(2, {"alg": "HS256", "kid": "k3"}, dict(ok, iss="fzpro")),
        "s-kshort": structured(3, {"alg": "HS256", "kid": "kshort"}, ok),
        "s-dup-alg": structured(0, b'{"alg":"none","alg":"HS256","kid":"k1"}', ok),
        "s-claims-array": structured(0, hk, b"[1]"),
        "s-exp-big": structured(0, hk, b'{"iss":"fz","sub":"a","exp":99999999999999999999}'),
        "s-exp-neg": structured(0, hk, dict(ok, exp=-1)),
        # Token grants (auth/grants.c): accepted shapes and malformed ones.
        "s-grants-all": structured(0, hk, dict(ok, grants={
            "admin": True, "createRooms": False, "publish": ["audio", "screen"]})),
        "s-grants-rooms": structured(0, hk, dict(ok, grants={
            "rooms": ["rm_AAAAAAAAAAAAAAAAAAAAAA", "rm_AQEBAQEBAQEBAQEBAQEBBw"], "publish": []})),
        "s-grants-not-object": structured(0, hk, dict(ok, grants=[1])),
        "s-grants-unknown": structured(0, hk, dict(ok, grants={"canPublish": False})),
        "s-grants-room-bad": structured(0, hk, dict(ok, grants={"rooms": ["rm_AAAAAAAAAAAAAAAAAAAAAB"]})),
        "s-grants-scope-create": structured(0, hk, dict(ok, grants={
            "rooms": ["rm_AAAAAAAAAAAAAAAAAAAAAA"], "createRooms": True})),
    }
    for name, data in seeds.items():
        write("jwt", name, data)


# ---- store mapping ----

def room_seed(plan, create, patch=None):
    b = bytes([plan << 1]) + create.encode()
    if patch is not None:
        b += b"\x00" + patch.encode()
    return b


def row_seed(fields, ints=()):
    b = b"\x01" + b"\x00".join(f if isinstance(f, bytes) else f.encode() for f in fields)
    if len(fields) < 6:
        b += b"\x00"
    for i in ints:
        b += struct.pack(">q", i)
    return b


def store_seeds():
    full = json.dumps({"name": "Weekly sync", "scheduledStartAt": 1764072000000,
                       "scheduledEndAt": 1764075600000, "hosts": ["bob", "alice", "bob"],
                       "policy": {"waitingRoom": True, "requireHost": True,
                                  "maxParticipants": 20, "autoCloseWhenEmpty": True},
                       "metadata": {"a": {"b": [1, 2.5, "x", None, True]}, "u": "\u00e9\u4e2d"}})
    seeds = {
        "empty": room_seed(2, "{}"),
        "full": room_seed(2, full),
        "full-patch": room_seed(2, full, '{"name":"n","hosts":["alice","carol"],'
                                '"metadata":{"a":{"b":null,"c":{}},"u":null},"status":"CLOSED"}'),
        "noop-patch": room_seed(2, '{"name":"same"}', '{"name":"same","hosts":null}'),
        "patch-invalid": room_seed(2, '{}', '{"hosts":["bob"]}'),
        "patch-unknown": room_seed(2, '{}', '{"nam":"x"}'),
        "patch-metadata-size": room_seed(2, '{"metadata":{"a":"%s"}}' % ("x" * 2000),
                                         '{"metadata":{"b":"%s"}}' % ("y" * 2100)),
        "patch-policy-null": room_seed(1, '{"policy":{"maxParticipants":5}}', '{"policy":null}'),
        "patch-schedule": room_seed(1, '{"scheduledStartAt":10}', '{"scheduledEndAt":5}'),
        "starter-waiting": room_seed(0, '{"policy":{"waitingRoom":true}}'),
        "pro-cap": room_seed(1, '{"policy":{"maxParticipants":26}}'),
        "escapes": room_seed(2, '{"name":"a\\"b\\\\c\\/d\\n\\t\\u0001\\u00e9","metadata":{"\\u20ac":"\\ud83d\\ude00"}}'),
        "nul-in-name": room_seed(2, '{"name":"a\\u0000b","metadata":{"k\\u0000":1}}'),
        "hosts-50": room_seed(2, json.dumps({"hosts": ["h%d" % i for i in range(50)]})),
        "big-ints": room_seed(2, '{"scheduledStartAt":9223372036854775807}',
                              '{"scheduledEndAt":9223372036854775807}'),
        "row-plain": row_seed(["rm_a", "name", "alice", '["alice","bob"]', '{"k":1}'],
                              [1, 2, 0, 1, 0, 5, 1, 100, 200, 3]),
        "row-null-columns": row_seed(["rm_b", "", "", "", ""]),
        "row-hosts-not-array": row_seed(["rm_c", "n", "alice", '{"a":1}', "[]"]),
        "row-hosts-numbers": row_seed(["rm_d", "n", "alice", "[1,true,1.5]", "not json"]),
        "row-hosts-null": row_seed(["rm_h", "n", "alice", '["alice",null]', "{}"]),
        "row-hosts-many": row_seed(["rm_e", "n", "alice", json.dumps(["h%d" % i for i in range(60)]), "{}"]),
        "row-bad-utf8": row_seed(["rm_f", b"\xff\xfe", b"\xc0\xaf", '["\\u0000"]', b'{"\xed\xa0\x80":1}']),
        "row-ints": row_seed(["rm_g", "n", "alice", '["alice"]', "{}"],
                             [-5, -9223372036854775808, 1, 3, 3, 1 << 40, 3, -1, -1, -1]),
    }
    for name, data in seeds.items():
        write("store", name, data)


if __name__ == "__main__":
    targets = sys.argv[1:] or ["http", "ws", "jwt", "store"]
    for t in targets:
        clean(t)
        globals()[t + "_seeds"]()
