#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, in DIR and nowhere else: its data in
# DIR/data, its unix socket in DIR, listening on 127.0.0.1 only. (As root,
# when the postgres user cannot reach DIR, e.g. under /root, the cluster
# lives in a private directory under /tmp instead, named in DIR/home and
# removed by stop.)
#
#   scripts/pg-test.sh start DIR [PORT]   a fresh cluster (PORT 0 or none: a free one);
#                                         prints its URL, also written to DIR/url
#   scripts/pg-test.sh stop DIR           stops it (fine when it is not running)
#   scripts/pg-test.sh restart DIR        pg_ctl restart, same data and port
#   scripts/pg-test.sh down DIR | up DIR  stop / start again, keeping the data
#
# As root the cluster runs as the postgres user (DIR is handed to it);
# otherwise as the current user. Debian's PostgreSQL (apt-get install
# postgresql, scripts/deps.sh --tests) is used; no system service is touched.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,12p' "$0" >&2; exit 2; }

bin=""
for v in 15 16 17 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then bin=/usr/lib/postgresql/$v/bin; break; fi
done
if [ -z "$bin" ] && command -v pg_ctl >/dev/null; then bin=$(dirname "$(command -v pg_ctl)"); fi
[ -n "$bin" ] || { echo "pg-test.sh: PostgreSQL is not installed (scripts/deps.sh --tests)" >&2; exit 1; }

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Where the cluster lives: DIR, or the private directory named in DIR/home.
home() {
    if [ -f "$dir/home" ]; then cat "$dir/home"; else echo "$dir"; fi
}

pg_ctl() {
    as_pg "$bin/pg_ctl" -D "$(home)/data" "$@"
}

running() {
    [ -f "$(home)/data/postmaster.pid" ] && pg_ctl status >/dev/null 2>&1
}

# fsync off: the tests check what is committed, not power loss, and this
# shared machine's disk is slow. PG_TEST_FSYNC=on (make bench) keeps
# PostgreSQL's durable defaults, to compare with SQLite's synchronous=FULL.
start_server() {
    local port h durability="-c fsync=off -c full_page_writes=off"
    port=$(cat "$dir/port")
    h=$(home)
    [ "${PG_TEST_FSYNC:-off}" = on ] && durability=""
    pg_ctl -l "$h/pg.log" -w -t 30 \
        -o "-p $port -k $h -c listen_addresses=127.0.0.1 $durability -c max_connections=50" \
        start >/dev/null || { tail -20 "$h/pg.log" >&2; return 1; }
}

stop_server() {
    if [ -d "$(home)/data" ] && running; then pg_ctl -m fast -w stop >/dev/null; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    port=${3:-0}
    [ "$port" != 0 ] || port=$(free_port)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # What a run that was interrupted left behind goes first.
    if [ -d "$(home)/data" ] && running; then pg_ctl -m immediate stop >/dev/null || true; fi
    [ "$(home)" = "$dir" ] || rm -rf "$(home)"
    rm -rf "${dir:?}/data" "$dir/pg.log" "$dir/url" "$dir/port" "$dir/home"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            h=$(mktemp -d /tmp/dpa-pg.XXXXXX)
            chown postgres: "$h"
            echo "$h" >"$dir/home"
        fi
    fi
    h=$(home)
    as_pg "$bin/initdb" -D "$h/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    echo "$port" >"$dir/port"
    start_server
    url="postgres://postgres@127.0.0.1:$port/postgres"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
stop)
    [ -d "$dir" ] || exit 0
    stop_server
    if [ "$(home)" != "$dir" ]; then rm -rf "$(home)" "$dir/home"; fi
    ;;
restart)
    stop_server
    start_server
    ;;
down)
    stop_server
    ;;
up)
    start_server
    ;;
*)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
