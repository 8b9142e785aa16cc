#!/usr/bin/env bash
# make cluster: Redis and three droponaird processes on loopback sharing one
# store, each with --redis, until Ctrl-C. The store is PostgreSQL when
# scripts/pg-test.sh is in the tree (it starts a private server and prints
# its URL), otherwise one SQLite file (WAL lets several processes share it).
#
#   BIN=build/droponaird  BASE_PORT=8081  REDIS_PORT=6390  scripts/cluster.sh
#
# Everything lives in a temporary directory, removed at exit; nothing is
# installed or left running (scripts/deps.sh --tests installs redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/droponaird}
BASE_PORT=${BASE_PORT:-8081}
REDIS_PORT=${REDIS_PORT:-6390}
NODES=${NODES:-3}
[ -x "$BIN" ] || { echo "cluster.sh: $BIN is missing: run make build" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "cluster.sh: redis-server is missing: run scripts/deps.sh --tests" >&2; exit 1; }

dir=$(mktemp -d /tmp/droponair-cluster.XXXXXX)
pids=()
pg_started=

stop() {
    trap - INT TERM EXIT
    echo
    echo "stopping the cluster"
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -f "$dir/redis.pid" ]; then
        rp=$(cat "$dir/redis.pid")
        kill "$rp" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
    fi
    if [ -n "$pg_started" ]; then scripts/pg-test.sh stop "$dir/pg" >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' --appendonly no
for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
done

if [ -x scripts/pg-test.sh ]; then
    # A private PostgreSQL in $dir/pg, on loopback: pg-test.sh prints its URL.
    mkdir -p "$dir/pg"
    pg_started=1
    if ! scripts/pg-test.sh start "$dir/pg" >"$dir/pg.out" 2>"$dir/pg.log"; then
        echo "cluster.sh: PostgreSQL did not start" >&2; cat "$dir/pg.log" >&2; exit 1
    fi
    DB=$(grep -m1 -o 'postgres[a-z]*://[^ ]*' "$dir/pg.out" || true)
    [ -n "$DB" ] || { echo "cluster.sh: scripts/pg-test.sh printed no postgres:// URL" >&2; cat "$dir/pg.log" >&2; exit 1; }
else
    DB="sqlite:$dir/shared.db"
fi

# One app for every node (the store is shared), made before they start.
app=$("$BIN" app create --db "$DB" --name cluster --plan business)
for i in $(seq 1 "$NODES"); do
    port=$((BASE_PORT + i - 1))
    "$BIN" serve --listen "127.0.0.1:$port" --db "$DB" --redis "redis://127.0.0.1:$REDIS_PORT" \
        --node-id "node$i" --cors-origin '*' >"$dir/node$i.out" 2>"$dir/node$i.log" &
    pids+=($!)
done
for i in $(seq 1 "$NODES"); do
    for _ in $(seq 100); do
        grep -q 'msg="redis up"' "$dir/node$i.log" 2>/dev/null && break
        sleep 0.1
    done
done

echo "droponair cluster: $NODES nodes, store $DB, redis 127.0.0.1:$REDIS_PORT"
for i in $(seq 1 "$NODES"); do
    echo "  node$i  http://127.0.0.1:$((BASE_PORT + i - 1))   (log $dir/node$i.log)"
done
echo "  app     $app"
echo "  mint a token:  $BIN token --db $DB --app <appId> --user alice"
echo "  check:         curl -s http://127.0.0.1:$BASE_PORT/healthz"
echo "Ctrl-C stops everything."
wait -n "${pids[@]}" || true
echo "a node exited:" >&2
tail -n 20 "$dir"/node*.log >&2 || true
