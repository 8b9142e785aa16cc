#!/bin/sh
# Installs libdroponair into a scratch prefix and builds a program against
# it using only pkg-config, as a user of the SDK would.
set -eu
build=$1 prefix=$2 src=$3
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/ | head -n1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
test "$(pkg-config --modversion droponair)" = 0.14.0
cc -Wall -Wextra -Werror $(pkg-config --cflags droponair) "$src" -o "$prefix/dpa-join-check" \
   $(pkg-config --libs droponair)
LD_LIBRARY_PATH="$libdir" "$prefix/dpa-join-check" --help | grep -q usage
# The header serves C++ too: it compiles there and links (extern "C").
if command -v c++ >/dev/null 2>&1; then
    printf '#include <droponair/droponair.h>\nint main() { dpa_context_free(dpa_context_new()); }\n' \
        > "$prefix/cxx-check.cc"
    c++ -Wall -Wextra -Werror -pedantic $(pkg-config --cflags droponair) "$prefix/cxx-check.cc" \
        -o "$prefix/cxx-check" $(pkg-config --libs droponair)
fi
echo "installed libdroponair $(pkg-config --modversion droponair) builds and runs"
