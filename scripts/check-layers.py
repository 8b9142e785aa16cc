#!/usr/bin/env python3
"""Asserts the layers of src/ depend one way only.

    check-layers.py [--strict] [SRC_DIR]

Layers, lowest first (issue 10):

    core < auth < store < server (the loop) < http, ws, cluster, hooks < cli < main.c

A file may include its own layer and any lower one. http, ws, cluster and
hooks are siblings: none includes another (the cluster link reaches live
calls through the loop's interfaces, as the protocols do; the webhook
sender reads the outbox through its own store handle). Every #include "..." under src/ is
resolved (beside the including file, then from src/) and checked; a
quoted include that resolves to nothing under src/ is an error too, since
its layer cannot be known.

The loop layer also names no transport: no header under src/server/
declares a function called ws_* or http_*. And the one metrics renderer
(src/server/metrics.c) includes nothing but its own header and core/util.h:
each layer registers a collector for its own metrics.

ALLOWED_* below could list exceptions; the layering change emptied them and
an entry that matches nothing is an error. --strict ignores them. Exit
status 0 when the tree obeys the rules, 1 otherwise.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdecls  # noqa: E402

# Lowest first; names on one rank are siblings.
LAYERS = [("core",), ("auth",), ("store",), ("server",), ("http", "ws", "cluster", "hooks"),
          ("cli",), ("main.c",)]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
ORDER = " < ".join(", ".join(names) for names in LAYERS)

# Prefixes of functions the loop layer may not declare: they belong to the
# transports (ws/, http/), the cluster link (cluster/) and the webhook
# sender (hooks/), which the loop knows only as server_protocol tables (and
# the room bus, the committed hook).
TRANSPORT_PREFIXES = ("ws_", "http_", "cluster_", "hooks_")

# The metrics renderer reads no layer's structs: collectors registered by
# each layer write their own families. It may include only these.
METRICS_RENDERER = "server/metrics.c"
METRICS_RENDERER_INCLUDES = {"server/metrics.h", "core/util.h"}

# Headers private to their folder: a live call is read through call.h's
# functions everywhere but core/ (its tests may look inside too).
PRIVATE_HEADERS = {"core/call_private.h": "core/"}

# Exceptions to the rules, as (file, include) and (header, function). The
# layering change (issue 10) emptied both; keep them empty.
ALLOWED_INCLUDES = set()
ALLOWED_SERVER_DECLS = set()

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


def layer_of(rel):
    """The layer of a path relative to src/ ("ws/transport.c" -> "ws")."""
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else rel


def sources(src):
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                path = os.path.join(root, f)
                yield os.path.relpath(path, src).replace(os.sep, "/")


def resolve(src, rel, target):
    """target (as written in rel) relative to src/, or None when not under src/."""
    for base in (os.path.dirname(rel), ""):
        cand = os.path.normpath(os.path.join(base, target)).replace(os.sep, "/")
        if not cand.startswith("../") and os.path.isfile(os.path.join(src, cand)):
            return cand
    return None


def check_includes(src, allowed, errors, used):
    for rel in sources(src):
        name = "src/" + rel
        here = layer_of(rel)
        if here not in RANK:
            errors.append(f"{name}: '{here}' is not a layer; add it to LAYERS in "
                          f"scripts/check-layers.py ({ORDER})")
            continue
        with open(os.path.join(src, rel), errors="replace") as f:
            text = cdecls.blank(f.read(), directives=True)
        for m in INCLUDE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            target = m.group(1)
            where = f'{name}:{line}: #include "{target}"'
            found = resolve(src, rel, target)
            if found is None:
                errors.append(f"{where}: not found under src/, so its layer is unknown "
                              "(system and library headers use <...>)")
                continue
            there = layer_of(found)
            if there not in RANK:
                errors.append(f"{where}: '{there}' is not a layer; add it to LAYERS")
                continue
            if there == here or RANK[there] < RANK[here]:
                continue
            if (name, target) in allowed:
                used.add((name, target))
                continue
            if RANK[there] == RANK[here]:
                errors.append(f"{where}: {here} may not include {there}: they are siblings, "
                              "none includes another")
            else:
                errors.append(f"{where}: {here} may not include {there}, a higher layer "
                              f"({ORDER})")


def check_server_headers(src, allowed, errors, used):
    for rel in sources(src):
        if not (rel.startswith("server/") and rel.endswith(".h")):
            continue
        name = "src/" + rel
        with open(os.path.join(src, rel), errors="replace") as f:
            decls = cdecls.functions(f.read())
        for fn, line, _ in decls:
            if not fn.startswith(TRANSPORT_PREFIXES):
                continue
            if (name, fn) in allowed:
                used.add((name, fn))
                continue
            errors.append(f"{name}:{line}: declares {fn}(): the loop layer (server/) names "
                          "no transport and no metrics module; declare "
                          f"{', '.join(p + '*' for p in TRANSPORT_PREFIXES)} in their own layer")


def check_private_headers(src, errors):
    for rel in sources(src):
        with open(os.path.join(src, rel), errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            owner = PRIVATE_HEADERS.get(m.group(1))
            if owner and not rel.startswith(owner):
                line = text.count("\n", 0, m.start()) + 1
                errors.append(f"src/{rel}:{line}: includes \"{m.group(1)}\", private to "
                              f"src/{owner}: use the functions of its public header")


def check_metrics_renderer(src, errors):
    path = os.path.join(src, METRICS_RENDERER)
    if not os.path.exists(path):
        errors.append(f"src/{METRICS_RENDERER}: missing (the one metrics renderer)")
        return
    with open(path, errors="replace") as f:
        text = f.read()
    for m in INCLUDE.finditer(text):
        if m.group(1) not in METRICS_RENDERER_INCLUDES:
            line = text.count("\n", 0, m.start()) + 1
            errors.append(f"src/{METRICS_RENDERER}:{line}: includes \"{m.group(1)}\": the "
                          "renderer reads no layer's structs (each layer registers a collector)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strict", action="store_true",
                    help="ignore the allowlists: report every violation")
    ap.add_argument("src", nargs="?",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    args = ap.parse_args()
    src = os.path.normpath(args.src)
    if not os.path.isdir(src):
        print(f"{src}: not a directory", file=sys.stderr)
        return 1

    inc_allowed = set() if args.strict else ALLOWED_INCLUDES
    decl_allowed = set() if args.strict else ALLOWED_SERVER_DECLS
    errors, inc_used, decl_used = [], set(), set()
    check_includes(src, inc_allowed, errors, inc_used)
    check_server_headers(src, decl_allowed, errors, decl_used)
    check_metrics_renderer(src, errors)
    check_private_headers(src, errors)
    for f, target in sorted(inc_allowed - inc_used):
        errors.append(f'scripts/check-layers.py: ALLOWED_INCLUDES lists {f} including '
                      f'"{target}", which is no longer a violation: remove the entry')
    for f, fn in sorted(decl_allowed - decl_used):
        errors.append(f"scripts/check-layers.py: ALLOWED_SERVER_DECLS lists {fn} in {f}, "
                      "which is no longer declared there: remove the entry")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"{len(errors)} layering problem(s); layers: {ORDER}", file=sys.stderr)
        return 1
    allowed = len(inc_used) + len(decl_used)
    print(f"src/ includes one way ({ORDER})"
          + (f"; {allowed} known violation(s) allowed until the layering change"
             if allowed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
