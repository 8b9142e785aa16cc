#!/usr/bin/env bash
# Installs the Debian packages droponair needs to build and test, and the
# npm packages its test suite uses. Only what is missing is installed.
# Root installs directly; otherwise `sudo -n`; where neither works it stops
# and prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libjson-c-dev
      libjwt-dev libsqlite3-dev libpq-dev libhiredis-dev libssl-dev libcurl4-openssl-dev
      libcmocka-dev libcap-dev sqlite3 libinih-dev)

# The test suite also drives Debian's Chromium (end-to-end WebRTC test),
# relays calls through Debian's coturn, runs the store against Debian's
# PostgreSQL (psql checks what it holds) and links nodes through Debian's
# redis-server; the tests (and make cluster) start them themselves, on
# loopback, in temporary directories (scripts/pg-test.sh). Debian's
# prometheus package brings promtool, which checks /metrics of a live server.
[ "${1:-}" = "--tests" ] && pkgs+=(chromium coturn postgresql postgresql-client redis-server
                                   prometheus)
# The package check (scripts/deb-check.sh): dpkg-shlibdeps, lintian, curl.
[ "${1:-}" = "--tests" ] && pkgs+=(dpkg-dev lintian curl)
# The Android SDK (sdk/android) builds with the JDK against Debian's OkHttp 3,
# Okio and Android's own org.json; its JUnit suite (make check) adds JUnit 4.
android=(default-jdk-headless libokhttp-java libokio-java libandroid-json-java)
[ "${1:-}" = "--android" ] && pkgs+=("${android[@]}")
[ "${1:-}" = "--tests" ] && pkgs+=("${android[@]}" junit4)
# Benchmarks compare against nginx with wrk, and measure REST on PostgreSQL and
# a three-process cluster (PostgreSQL, redis-server), started like the tests'.
[ "${1:-}" = "--bench" ] && pkgs+=(wrk nginx-light postgresql redis-server)
# Fuzzing builds with clang and links its libFuzzer and sanitizer runtimes.
[ "${1:-}" = "--fuzz" ] && pkgs+=(clang libclang-rt-14-dev)

missing=()
for p in "${pkgs[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
        sh -c "$line"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n sh -c "$line"
    else
        echo "droponair needs these Debian packages: ${missing[*]}" >&2
        echo "Run as root:  $line" >&2
        exit 1
    fi
    # The packages enable and start a system-wide coturn (port 3478),
    # redis-server (port 6379), PostgreSQL cluster (port 5432) and
    # Prometheus (port 9090) under systemd; the tests run their own on loopback, so leave the machine as
    # it was (PostgreSQL's data stays: `systemctl enable --now postgresql`
    # brings it back).
    for svc in coturn redis-server postgresql prometheus; do
        if [[ " ${missing[*]} " == *" $svc "* ]] && [ -d /run/systemd/system ]; then
            as_root="sh -c"
            [ "$(id -u)" = 0 ] || as_root="sudo -n sh -c"
            $as_root "systemctl disable --now $svc.service" >/dev/null 2>&1 || true
        fi
    done
fi

# Test tooling (only when asked: make check).
if [ "${1:-}" = "--tests" ]; then
    if [ ! -d tests/node_modules ] || [ tests/package.json -nt tests/node_modules ]; then
        (cd tests && npm install --no-audit --no-fund --loglevel=error)
        touch tests/node_modules
    fi
fi
