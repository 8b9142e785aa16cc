#!/usr/bin/env python3
"""REST latency while many WebSockets sit idle (issue 8: "19,000 idle
authenticated WebSockets with worst-case REST latency < 50 ms").

Starts droponaird (core 1), has loadgen (core 0) connect and authenticate
BENCH_IDLE_N clients and hold them for BENCH_IDLE_HOLD seconds — past the
20 s ping interval, so keep-alive traffic is part of what is measured — and
meanwhile times a cached GET /api/rooms/{id} every 10 ms over one keep-alive
connection. Prints one JSON object: connections, probes, p50/p99/max in ms.

Usage: BUILD=build python3 bench/idle_latency.py   (or: make bench-idle)
Bounded: loadgen holds for a fixed time; talks only to 127.0.0.1."""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the Server helper of make bench)

N = int(os.environ.get("BENCH_IDLE_N", "19000"))
HOLD = int(os.environ.get("BENCH_IDLE_HOLD", "45"))


def main():
    tmp = tempfile.mkdtemp(prefix="dpa-idle-")
    srv = run.Server(tmp)
    try:
        req = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        auth = {"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"}
        req.request("POST", "/api/rooms", body=b'{"name":"probe"}', headers=auth)
        room = json.loads(req.getresponse().read())["roomId"]
        cmd = ["taskset", "-c", run.LOAD_CPU, run.LOADGEN, "--url", srv.url, "--app", srv.app["appId"],
               "--kid", srv.app["kid"], "--secret", srv.app["secret"], "--scenario", "idle",
               "--n", str(N), "--hold", str(HOLD)]
        gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        connected = json.loads(gen.stdout.readline())
        lat = []
        end = time.time() + HOLD - 3
        while time.time() < end:
            t0 = time.perf_counter()
            req.request("GET", f"/api/rooms/{room}", headers=auth)
            resp = req.getresponse()
            resp.read()
            lat.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                raise SystemExit(f"probe got {resp.status}")
            time.sleep(0.01)
        gen.wait(timeout=HOLD + 60)
        lat.sort()
        out = {"scenario": "idle_latency", "connections": connected["connections"],
               "failed": connected["failed"], "connect_auth_s": connected["connect_auth_s"],
               "hold_s": HOLD, "probes": len(lat),
               "p50_ms": round(lat[len(lat) // 2], 3), "p99_ms": round(lat[int(len(lat) * 0.99)], 3),
               "max_ms": round(lat[-1], 3)}
        print(json.dumps(out))
        return 0
    finally:
        srv.stop()


if __name__ == "__main__":
    sys.exit(main())
