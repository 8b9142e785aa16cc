#!/usr/bin/env bash
# Builds the Debian package of the server, droponair_<version>_<arch>.deb:
# /usr/bin/droponaird, its systemd unit, /etc/droponair/droponaird.conf (a
# conffile), the manual page and the copyright; maintainer scripts create
# the droponair user and /var/lib/droponair and enable and start the unit.
# Staged with `cmake --install --component server` (the C SDK is not in it),
# dependencies from dpkg-shlibdeps, built with dpkg-deb.
#
#   scripts/deb.sh            BUILD=build-deb (its own optimised build, installed
#                             under /usr), OUT=build/deb
# Prints the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build-deb}
OUT=${OUT:-build/deb}
JOBS=${JOBS:-2}
version=$(sed -n 's/^project(droponair VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_INSTALL_SYSCONFDIR=/etc -DDPA_SYSTEMD_UNIT_DIR=/lib/systemd/system >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target droponaird >/dev/null
DESTDIR="$root" cmake --install "$BUILD" --component server --strip >/dev/null

doc="$root/usr/share/doc/droponair"
install -d -m 0755 "$doc"
install -m 0644 packaging/deb/copyright "$doc/copyright"
gzip -9n -c packaging/deb/changelog > "$doc/changelog.gz"
gzip -9n "$root/usr/share/man/man8/droponaird.8"

# What the binary links against, as Debian package dependencies.
mkdir -p "$work/shlibs/debian"
printf 'Source: droponair\n\nPackage: droponair\nArchitecture: any\n' > "$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/droponaird" 2>/dev/null |
          sed -n 's/^shlibs:Depends=//p')

install -d -m 0755 "$root/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "packaging/deb/$s" "$root/DEBIAN/$s"; done
echo /etc/droponair/droponaird.conf > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: droponair
Version: $version
Architecture: $arch
Maintainer: droponair team <team@droponair.invalid>
Installed-Size: $size
Depends: $depends, adduser
Section: net
Priority: optional
Homepage: https://github.com/droponair/droponair
Description: room service for real-time group calls
 droponaird serves scheduled and persistent rooms for WebRTC group calls: a
 REST API for rooms and moderation, and a WebSocket protocol for joining,
 admission (waiting room, required host, participant caps) and the relay of
 signaling between the members of a call. Media flows peer to peer.
 .
 Rooms are kept in SQLite or PostgreSQL; with Redis, several processes serve
 every call together.
CONTROL

mkdir -p "$OUT"
deb="$OUT/droponair_${version}_${arch}.deb"
find "$root" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
