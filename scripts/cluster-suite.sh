#!/usr/bin/env bash
# The WebSocket suites again, on a cluster: with DPA_CLUSTER=3 each file's
# startServer() starts three droponaird processes sharing a private
# PostgreSQL and one Redis (tests/integration/cluster.mjs), and the file's
# clients and REST calls go round-robin over them. The same assertions as on
# one process must hold: that is what call routing promises.
#
#   scripts/cluster-suite.sh [FILE...]      default: the list below
#   DROPONAIRD=build/droponaird  NODES=3
#
# Left out, because they test one process as such:
#   ws-resume, ws-fragments   RESUME of a session held by another process
#                             (resume tokens are per process: RESUME_EXPIRED)
#   ws-session-caps           per-process session caps, RESUME, /metrics deltas
#   ws-limits                 connections per user and the slow-reader queue are
#                             per process; starts a server of its own
#   ws-durable-acks, ws-restart   kill -9 and restart of the server, its logs
#   ws-caps' plan file, ws-rights' --apps-poll-ms and the like are fine: every
#   process gets the same flags and plans.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DROPONAIRD:=$PWD/build/droponaird}"
export DROPONAIRD
export DPA_CLUSTER=${NODES:-3}
[ -x "$DROPONAIRD" ] || { echo "cluster-suite.sh: $DROPONAIRD is missing: run make build" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "cluster-suite.sh: redis-server is missing: scripts/deps.sh --tests" >&2; exit 1; }

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    for f in ws-basics ws-open-room ws-waiting-room ws-moderation ws-require-host ws-rights \
        ws-caps ws-lifecycle ws-keepalive ws-input; do
        files+=("tests/integration/$f.test.mjs")
    done
fi

echo "cluster-suite: ${#files[@]} files, $DPA_CLUSTER processes each, $DROPONAIRD"
exec node --test --test-concurrency=1 --test-timeout=120000 --test-reporter=spec "${files[@]}"
