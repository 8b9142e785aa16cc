#!/usr/bin/env python3
"""Asserts a shared library exports exactly the functions its public header declares.

    check-exports.py [--nm NM] [--macro DPA_API] LIBRARY HEADER

The header's file-scope function declarations are read from its text; each
must carry the export macro (the library is built with hidden visibility, so
a declaration without it is not exported). The library's defined dynamic
symbols (nm -D --defined-only) must then be those functions and nothing
else: an internal function that leaks out, or a public one that does not,
fails with its name. Exit status 0 when they agree, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdecls  # noqa: E402

# Symbols some linkers define in every shared object; not part of any API.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def exported(nm, lib):
    out = subprocess.run([nm, "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name = fields[-1].split("@")[0]      # drop a symbol version
        if name not in LINKER_SYMBOLS:
            names.add(name)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--macro", default="DPA_API")
    ap.add_argument("library")
    ap.add_argument("header")
    args = ap.parse_args()

    with open(args.header) as f:
        decls = cdecls.functions(f.read())
    if not decls:
        print(f"{args.header}: no function declarations found", file=sys.stderr)
        return 1
    errors = []
    for name, line, prefix in decls:
        if args.macro not in prefix.split():
            errors.append(f"{args.header}:{line}: {name} is declared without {args.macro}, "
                          "so the library (hidden by default) does not export it")
    declared = {name for name, _, _ in decls}
    syms = exported(args.nm, args.library)
    lib = os.path.basename(args.library)
    for name in sorted(syms - declared):
        errors.append(f"{lib} exports {name}, which {os.path.basename(args.header)} does "
                      f"not declare: keep it internal (static, or declared without {args.macro})")
    for name in sorted(declared - syms):
        line = next(l for n, l, _ in decls if n == name)
        errors.append(f"{args.header}:{line}: {name} is public but {lib} does not export it")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"{lib} exports exactly the {len(declared)} functions of "
          f"{os.path.basename(args.header)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
