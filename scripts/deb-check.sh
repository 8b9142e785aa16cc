#!/usr/bin/env bash
# make check's package test: builds the Debian package (scripts/deb.sh),
# checks it with lintian (no errors allowed), unpacks it into a temporary
# root and runs the binary from there with the packaged configuration file
# (only the listen address and the database moved into the temporary
# directory, by flags, which win over the file), until /healthz answers.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=$(scripts/deb.sh)
echo "deb-check: $deb"
# Errors fail the check; warnings are shown (lintian also warns that CI runs it as root).
if ! out=$(lintian --fail-on error "$deb" 2>&1); then
    echo "$out" >&2
    echo "deb-check: lintian reports errors" >&2
    exit 1
fi
echo "${out:-deb-check: lintian: nothing to report}" | grep -v 'running with root privileges' || true

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
dpkg-deb -x "$deb" "$tmp/root"
for f in usr/bin/droponaird lib/systemd/system/droponaird.service etc/droponair/droponaird.conf \
         usr/share/man/man8/droponaird.8.gz usr/share/doc/droponair/copyright; do
    [ -e "$tmp/root/$f" ] || { echo "deb-check: /$f is not in the package" >&2; exit 1; }
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$tmp/root/usr/bin/droponaird" serve --config "$tmp/root/etc/droponair/droponaird.conf" \
    --listen "127.0.0.1:$port" --db "sqlite:$tmp/droponair.db" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    if body=$(curl -fsS "http://127.0.0.1:$port/healthz" 2>/dev/null); then
        echo "deb-check: the packaged droponaird serves /healthz with the packaged config: $body"
        kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
        [ "$rc" = 0 ] || { echo "deb-check: exit $rc after SIGTERM" >&2; cat "$tmp/log" >&2; exit 1; }
        exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
echo "deb-check: /healthz did not answer" >&2
cat "$tmp/log" >&2
exit 1
