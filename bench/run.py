#!/usr/bin/env python3
"""make bench: runs every scenario against a fresh droponaird on loopback and
prints a table; writes bench/results/<date>.json. The cluster rows run three
droponaird processes with a private redis-server on the PostgreSQL started
for the REST-on-PostgreSQL row (docs/performance.md, Cluster).

Server on core 1, load (wrk, loadgen) on core 0. Everything is bounded in
time and count and talks only to 127.0.0.1."""
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
BIN = os.path.join(BUILD, "droponaird")
LOADGEN = os.path.join(BUILD, "loadgen")
IDLE_N = int(os.environ.get("BENCH_IDLE", "10000"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
SERVER_CPU, LOAD_CPU = "1", "0"

SETTINGS = {
    "plan": "bench: maxRoomsPerApp 10000000, maxParticipantsPerCall 1000 (built-in plans: 10000 / 100)",
    "--ws-rate / --ws-burst": "10000000 / 10000000 (default 200 / 1000)",
    "--ws-conns-per-user": "100000 (default 5)",
    "--log-level": "warn (default info: one log line per request)",
    "pinning": f"server on core {SERVER_CPU}, wrk/loadgen/nginx client on core {LOAD_CPU}",
    "--event-loop": "uv (the default) for every row but the one marked poll",
    "cluster": f"3 droponaird (--redis, --node-id node1..3) and redis-server (no persistence) all on core "
               f"{SERVER_CPU}; the PostgreSQL of the REST run (pg-test.sh, fsync on, not pinned)",
}


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp, extra=(), db=None, app=None):
        tmp = tempfile.mkdtemp(dir=tmp)
        self.tmp = tmp
        self.db = db or f"sqlite:{tmp}/bench.db"
        plans = os.path.join(tmp, "plans.json")
        with open(plans, "w") as f:
            json.dump({"bench": {"maxRoomsPerApp": 10000000, "maxParticipantsPerCall": 1000,
                                 "features": ["scheduled_rooms", "waiting_room", "screen_share"]}}, f)
        # A cluster's nodes share one store, so one app (made by the first).
        self.app = app or json.loads(sh([BIN, "app", "create", "--db", self.db, "--name", "bench",
                                         "--plan", "bench", "--plans", plans]))
        self.log = open(os.path.join(tmp, "server.log"), "w+")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", self.db,
             "--plans", plans, "--log-level", "warn", "--ws-rate", "10000000", "--ws-burst", "10000000",
             "--ws-conns-per-user", "100000", *extra], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.proc.kill()
            self.proc.wait()
            raise SystemExit("droponaird did not start")
        self.token = sh([BIN, "token", "--db", self.db, "--app", self.app["appId"], "--user", "bench"]).strip()

    def metrics(self):
        text = urllib.request.urlopen(self.url + "/metrics").read().decode()
        get = lambda n: float(re.search(rf"^{n} ([0-9.e+]+)$", text, re.M).group(1))
        return {"cpu": get("process_cpu_seconds_total"), "rss": get("process_resident_memory_bytes")}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


class Cluster:
    """Redis and NODES droponaird processes sharing one store, each with
    --redis and --node-id (docs/cluster.md), all on the server core: the
    figures are what the whole cluster does on one core."""

    def __init__(self, tmp, db, nodes=3):
        d = tempfile.mkdtemp(dir=tmp)
        port = free_port()
        self.redis_log = open(os.path.join(d, "redis.log"), "w+")
        self.redis = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, "redis-server", "--port", str(port), "--bind", "127.0.0.1",
             "--dir", d, "--save", "", "--appendonly", "no"], stdout=self.redis_log, stderr=subprocess.STDOUT)
        self.nodes = []
        try:
            deadline = time.time() + 10
            while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                                 text=True).stdout.strip() != "PONG":
                if time.time() > deadline or self.redis.poll() is not None:
                    raise SystemExit("redis-server did not start")
                time.sleep(0.05)
            for i in range(1, nodes + 1):
                app = self.nodes[0].app if self.nodes else None
                self.nodes.append(Server(tmp, ("--redis", f"redis://127.0.0.1:{port}", "--node-id", f"node{i}"),
                                         db=db, app=app))
            # Subscribed to Redis, or a node's announcements would be lost.
            deadline = time.time() + 10
            for n in self.nodes:
                while json.loads(urllib.request.urlopen(n.url + "/healthz").read()).get("redis") != "up":
                    if time.time() > deadline:
                        raise SystemExit(f"{n.url} did not reach redis")
                    time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        self.url, self.app = self.nodes[0].url, self.nodes[0].app

    def metrics(self):
        m = [n.metrics() for n in self.nodes]
        with open(f"/proc/{self.redis.pid}/stat") as f:
            stat = f.read().rsplit(")", 1)[1].split()
        redis_cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        return {"cpu": sum(x["cpu"] for x in m), "rss": sum(x["rss"] for x in m), "redis_cpu": redis_cpu}

    def stop(self):
        for n in self.nodes:
            n.stop()
        self.nodes = []
        if self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=15)


def wrk(url, lua, connections=64):
    out = sh(["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{WRK_SECONDS}s",
              "--latency", "-s", lua, url])
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p99 = re.search(r"99%\s+([0-9.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": round(rps), "p99_ms": round(float(p99.group(1)) * scale, 3),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def nginx_baseline(tmp):
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1; worker_cpu_affinity {'10' if SERVER_CPU == '1' else '01'};
pid {tmp}/nginx.pid; error_log {tmp}/nginx.err; daemon on;
events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{ listen 127.0.0.1:18777; location / {{ default_type application/json;
    return 200 '{{"roomId":"rm_AAAAAAAAAAAAAAAAAAAAAA","name":"bench","status":"ACTIVE"}}'; }} }} }}
""")
    subprocess.run(["nginx", "-c", conf], check=True, capture_output=True)
    time.sleep(0.3)
    return conf


def rest(srv, tmp):
    get_lua = os.path.join(tmp, "get.lua")
    post_lua = os.path.join(tmp, "post.lua")
    with open(get_lua, "w") as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {srv.token}"\n')
    with open(post_lua, "w") as f:
        f.write(f'wrk.method = "POST"\nwrk.headers["Authorization"] = "Bearer {srv.token}"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                'wrk.body = \'{"name":"bench room","policy":{"waitingRoom":true}}\'\n')
    req = urllib.request.Request(srv.url + "/api/rooms", data=b'{"name":"r"}', method="POST",
                                 headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"})
    room = json.loads(urllib.request.urlopen(req).read())["roomId"]
    conf = nginx_baseline(tmp)
    try:
        out = {}
        before = srv.metrics()
        out["get"] = wrk(f"{srv.url}/api/rooms/{room}", get_lua)
        out["nginx_get"] = wrk("http://127.0.0.1:18777/x", get_lua)
        out["post"] = wrk(f"{srv.url}/api/rooms", post_lua)
        out["nginx_post"] = wrk("http://127.0.0.1:18777/x", post_lua)
        after = srv.metrics()
        out["get_vs_nginx"] = round(out["get"]["rps"] / out["nginx_get"]["rps"], 3)
        out["post_vs_nginx"] = round(out["post"]["rps"] / out["nginx_post"]["rps"], 3)
        out["server_cpu_s"] = round(after["cpu"] - before["cpu"], 2)
        return out
    finally:
        subprocess.run(["nginx", "-c", conf, "-s", "stop"], capture_output=True)


def loadgen(srv, scenario, *args, hold_probe=False):
    cmd = ["taskset", "-c", LOAD_CPU, LOADGEN, "--url", srv.url, "--app", srv.app["appId"],
           "--kid", srv.app["kid"], "--secret", srv.app["secret"], "--scenario", scenario, *map(str, args)]
    start = srv.metrics()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    # The loadgen says when its setup (rooms, connections) is done: server
    # CPU is counted from there to its result, so per-command figures
    # exclude the set-up.
    before = start
    line = p.stdout.readline()
    if line.strip() and json.loads(line).get("phase") == "ready":
        before = srv.metrics()
        line = p.stdout.readline()
    after = srv.metrics()
    during = after if hold_probe else None
    p.wait(timeout=120)
    if not line.strip():  # it died: a row that says so, not a run that stops here
        return {"error": f"loadgen --scenario {scenario} printed no result (exit {p.returncode})"}
    res = json.loads(line)
    res["server_cpu_s"] = round(after["cpu"] - before["cpu"], 3)
    if "redis_cpu" in after:
        res["redis_cpu_s"] = round(after["redis_cpu"] - before["redis_cpu"], 3)
    if during:
        res["server_rss_before"] = start["rss"]
        res["server_rss_during"] = during["rss"]
        n = max(res.get("connections", 1), 1)
        res["server_bytes_per_connection"] = round((during["rss"] - start["rss"]) / n)
    return res


# The cluster scenarios (issue 11). In every room an anchor client on node1
# joins first, so node1 opens the call and owns it; the measured clients are
# placed on node1 or on the others.
CLUSTER_JOIN = ("--rooms", 20, "--n", 200, "--rate", 500, "--seconds", 3)
CLUSTER_RELAY = ("--pairs", 50, "--size", 200, "--seconds", 4)
CLUSTER_RELAY_PACED = ("--pairs", 50, "--size", 200, "--seconds", 3, "--rate", 5000)


def cluster(tmp, db):
    t0 = time.time()
    cl = Cluster(tmp, db)
    try:
        n1, n2, n3 = (n.url for n in cl.nodes[:3])
        out = {"nodes": len(cl.nodes), "store": "postgres", "call_owner": "node1"}
        for name, url in (("join_on_owner", n1), ("join_on_other", n2)):
            out[name] = loadgen(cl, "cluster-join", *CLUSTER_JOIN, "--join-url", url)
        # Sender -> receiver: both on the owner; the owner's member to another
        # node; and neither on the owner (origin -> owner -> peer's node).
        for name, snd, rcv in (("relay_one_node", n1, n1), ("relay_owner_to_other", n1, n2),
                               ("relay_three_nodes", n2, n3)):
            r = loadgen(cl, "cluster-relay", *CLUSTER_RELAY, "--send-url", snd, "--recv-url", rcv)
            if r.get("peer_reached"):
                r["cpu_us_per_message"] = round((r["server_cpu_s"] + r["redis_cpu_s"]) * 1e6 /
                                                max(r["received"], 1), 2)
                # Latency at a rate well below saturation (the unpaced run's
                # is its in-flight window over its rate).
                r["paced"] = loadgen(cl, "cluster-relay", *CLUSTER_RELAY_PACED, "--send-url", snd,
                                     "--recv-url", rcv)
            out[name] = r
    finally:
        cl.stop()
    out["seconds"] = round(time.time() - t0, 1)
    return out


def main():
    if not shutil.which("wrk") or not shutil.which("nginx"):
        raise SystemExit("make bench installs wrk and nginx; run it through make")
    tmp = tempfile.mkdtemp(prefix="dpa-bench-")
    srv = Server(tmp)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": {"cpus": os.cpu_count(), "kernel": os.uname().release},
               "settings": SETTINGS, "scenarios": {}}
    s = results["scenarios"]
    try:
        print("rest ...", flush=True)
        s["rest"] = rest(srv, tmp)
        poll = Server(tmp, ("--event-loop", "poll"))
        try:
            s["rest_poll_loop"] = rest(poll, tmp)
        finally:
            poll.stop()
        if shutil.which("pg_ctl") or os.path.isdir("/usr/lib/postgresql"):
            # The same REST scenario on PostgreSQL (fsync on, loopback TCP).
            pgdir = os.path.join(tmp, "pg")
            os.makedirs(pgdir)
            url = sh([os.path.join(ROOT, "scripts", "pg-test.sh"), "start", pgdir],
                     env={**os.environ, "PG_TEST_FSYNC": "on"}).split()[0]
            try:
                pg = Server(tmp, db=url)
                try:
                    s["rest_postgres"] = rest(pg, tmp)
                finally:
                    pg.stop()
                if shutil.which("redis-server"):
                    print("cluster ...", flush=True)
                    s["cluster"] = cluster(tmp, url)
            finally:
                subprocess.run([os.path.join(ROOT, "scripts", "pg-test.sh"), "stop", pgdir],
                               capture_output=True)
        if "cluster" not in s:
            s["cluster"] = {"skipped": "needs PostgreSQL and redis-server (scripts/deps.sh --bench)"}
        print("join ...", flush=True)
        s["join"] = loadgen(srv, "join", "--rooms", 100, "--per-room", 10)
        s["cycle"] = loadgen(srv, "cycle", "--n", 2000, "--rate", 2000, "--seconds", 5)
        c = s["cycle"]
        c["server_cpu_us_per_command"] = round(c["server_cpu_s"] * 1e6 / max(c["joins"] + c["leaves"], 1), 2)
        c["server_cpu_s_per_1000_joins"] = round(c["server_cpu_s"] * 1000 / max(c["joins"], 1), 4)
        print("relay ...", flush=True)
        for name, size in (("ice", 200), ("sdp", 4096)):
            sat = loadgen(srv, "relay", "--pairs", 50, "--size", size, "--seconds", 4)
            sat["server_cpu_us_per_message"] = round(sat["server_cpu_s"] * 1e6 / max(sat["received"], 1), 2)
            s[f"relay_{name}_saturating"] = sat
            for frac in (0.25, 0.5, 1.0):
                rate = max(int(sat["messages_per_s"] * frac), 100)
                s[f"relay_{name}_{int(frac * 100)}pct"] = loadgen(
                    srv, "relay", "--pairs", 50, "--size", size, "--seconds", 3, "--rate", rate)
        print("fanout ...", flush=True)
        s["fanout"] = loadgen(srv, "fanout", "--n", 100)
        s["broadcast"] = loadgen(srv, "broadcast", "--n", 100, "--seconds", 3)
        # On a fresh server of its own: memory freed by the other scenarios
        # would hide the cost, and its lingering sessions would weigh on them.
        print("idle ...", flush=True)
        fresh = Server(tmp)
        try:
            s["idle"] = loadgen(fresh, "idle", "--n", IDLE_N, "--hold", 2, hold_probe=True)
        finally:
            fresh.stop()
    finally:
        srv.stop()
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    out = os.path.join(ROOT, "bench", "results", datetime.date.today().isoformat() + ".json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    table(results)
    print(f"\nresults: {os.path.relpath(out, ROOT)}")
    shutil.rmtree(tmp, ignore_errors=True)


def table(r):
    s = r["scenarios"]
    rows = []
    rs = s["rest"]
    rows.append(("REST GET /api/rooms/{id} (JWT)", f'{rs["get"]["rps"]:,} req/s, p99 {rs["get"]["p99_ms"]} ms',
                 f'{rs["get_vs_nginx"]}x nginx ({rs["nginx_get"]["rps"]:,}/s)', ">= 0.4x, p99 <= 2 ms"))
    rp = s["rest_poll_loop"]
    rows.append(("  same, --event-loop poll", f'{rp["get"]["rps"]:,} req/s, p99 {rp["get"]["p99_ms"]} ms',
                 f'{rp["get_vs_nginx"]}x nginx ({rp["nginx_get"]["rps"]:,}/s)', ""))
    rows.append(("REST POST /api/rooms (durable)", f'{rs["post"]["rps"]:,} req/s, p99 {rs["post"]["p99_ms"]} ms',
                 f'{rs["post_vs_nginx"]}x nginx', ">= 30k/s"))
    if "rest_postgres" in s:
        pg = s["rest_postgres"]
        rows.append(("  GET, --db postgres://", f'{pg["get"]["rps"]:,} req/s, p99 {pg["get"]["p99_ms"]} ms',
                     f'{round(pg["get"]["rps"] / max(rs["get"]["rps"], 1), 2)}x SQLite', ""))
        rows.append(("  POST, --db postgres://", f'{pg["post"]["rps"]:,} req/s, p99 {pg["post"]["p99_ms"]} ms',
                     f'{round(pg["post"]["rps"] / max(rs["post"]["rps"], 1), 2)}x SQLite', ""))
    notes = []
    cl = s.get("cluster", {})
    if "skipped" in cl:
        rows.append(("cluster", "skipped: " + cl["skipped"], "", ""))
    elif cl:
        rows.append((f'cluster: {cl["nodes"]} nodes, Redis, PostgreSQL', f'{cl["seconds"]} s for the rows below',
                     f'every call owned by {cl["call_owner"]} (its first joiner)', ""))

        def unreached(label, r):
            notes.append(f'{label.strip()}: {r.get("why") or r.get("error")}')
            return (label, "peer not reached" if "why" in r else "failed", f"see note {len(notes)}", "")

        for key, label in (("join_on_owner", "  join on node1 (the owner)"),
                           ("join_on_other", "  join on node2 (not the owner)")):
            j = cl[key]
            if j.get("peer_reached"):
                rows.append((label, f'join p50 {j["join_p50_ms"]} / p99 {j["join_p99_ms"]} ms',
                             f'{j["joins"]:,} joins at {j["target_rate"]:.0f}/s', ""))
            else:
                rows.append(unreached(label, j))
        for key, label in (("relay_one_node", "  relay 200 B, node1 -> node1 (both on the owner)"),
                           ("relay_owner_to_other", "  relay 200 B, node1 -> node2 (sender on the owner)"),
                           ("relay_three_nodes", "  relay 200 B, node2 -> node3 (neither on the owner)")):
            rl = cl[key]
            if rl.get("peer_reached"):
                pc = rl["paced"]
                lat = (f'at {pc["target_rate"]:,.0f}/s p50 {pc["relay_p50_ms"]} / p99 {pc["relay_p99_ms"]} ms'
                       if pc.get("peer_reached") else "paced run: " + (pc.get("why") or pc.get("error", "?")))
                lost = rl["lost"] + pc.get("lost", 0)
                rows.append((label, f'{rl["messages_per_s"]:,} msg/s ({rl["cpu_us_per_message"]} us CPU each, nodes + Redis)',
                             lat + (f', {lost:,} lost' if lost else ""), ""))
            else:
                rows.append(unreached(label, rl))
    i = s["idle"]
    rows.append((f'idle WebSockets ({i["connections"]:,})', f'{i["server_bytes_per_connection"]:,} B RSS each',
                 f'connect+auth {i["connects_per_s"]:,}/s', "<= 4 KiB; >= 5,000/s"))
    j = s["join"]
    rows.append(("join storm 100 rooms x 10", f'all joined in {j["connect_auth_join_s"] * 1000:.0f} ms (connect+auth+join)',
                 f'join p99 {j["join_p99_ms"]} ms', "<= 250 ms"))
    c = s["cycle"]
    rows.append((f'join->leave at {c["target_rate"]:.0f}/s', f'join p50 {c["join_p50_ms"]} / p99 {c["join_p99_ms"]} / p999 {c["join_p999_ms"]} ms',
                 f'{c["server_cpu_us_per_command"]} us CPU/command, {c["server_cpu_s_per_1000_joins"]} s/1000 joins', "p99 <= 1 ms; <= 15 us"))
    for name, target in (("ice", ">= 100k/s"), ("sdp", ">= 30k/s")):
        sat = s[f"relay_{name}_saturating"]
        half = s[f"relay_{name}_50pct"]
        rows.append((f'relay {name.upper()} {sat["size"]} B', f'{sat["messages_per_s"]:,} msg/s ({sat["server_cpu_us_per_message"]} us CPU each)',
                     f'p50/p99 at 25% {s[f"relay_{name}_25pct"]["relay_p50_ms"]}/{s[f"relay_{name}_25pct"]["relay_p99_ms"]}, '
                     f'50% {half["relay_p50_ms"]}/{half["relay_p99_ms"]}, 100% {s[f"relay_{name}_100pct"]["relay_p50_ms"]}/{s[f"relay_{name}_100pct"]["relay_p99_ms"]} ms',
                     f"{target}; p99 < 1 ms at 50%"))
    f = s["fanout"]
    rows.append(("fanout: 100 join one call", f'everyone saw everyone in {f["seconds"] * 1000:.1f} ms', "", ""))
    b = s["broadcast"]
    rows.append(("broadcast to 99", f'{b["deliveries_per_s"]:,} deliveries/s', "", ">= 200k/s"))
    w = [max(len(str(x[k])) for x in rows) for k in range(4)]
    print()
    print("  ".join(h.ljust(w[k]) for k, h in enumerate(("scenario", "result", "detail", "target"))))
    for row in rows:
        print("  ".join(str(x).ljust(w[k]) for k, x in enumerate(row)))
    for n, note in enumerate(notes, 1):
        print(f"  note {n}: {note}")
    print("\nsettings that differ from the defaults:")
    for k, v in r["settings"].items():
        print(f"  {k}: {v}")


if __name__ == "__main__":
    sys.exit(main())
