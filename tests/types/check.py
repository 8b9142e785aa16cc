#!/usr/bin/env python3
"""The JS SDK's TypeScript types catch protocol mistakes: ok.ts compiles
under `tsc --strict --noEmit`, and each bad-*.ts fails with the error code
named in its first line. Exit 77 (skipped) when tests/node_modules has no
tsc (run scripts/deps.sh --tests)."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TSC = os.path.join(HERE, "..", "node_modules", ".bin", "tsc")
FLAGS = ["--strict", "--noEmit", "--target", "es2022", "--module", "nodenext",
         "--moduleResolution", "nodenext"]


def tsc(name):
    r = subprocess.run([TSC, *FLAGS, os.path.join(HERE, name)], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def main():
    if not os.path.exists(TSC):
        print("tsc not installed (scripts/deps.sh --tests); skipped")
        return 77
    failed = 0
    code, out = tsc("ok.ts")
    if code != 0:
        print(f"ok.ts must compile:\n{out}")
        failed += 1
    for name in sorted(f for f in os.listdir(HERE) if f.startswith("bad-") and f.endswith(".ts")):
        with open(os.path.join(HERE, name), encoding="utf-8") as f:
            want = re.search(r"\((TS\d+)\)", f.readline()).group(1)
        code, out = tsc(name)
        if code == 0 or want not in out:
            print(f"{name} must fail with {want}; tsc said (exit {code}):\n{out}")
            failed += 1
    print("sdk types:", "FAILED" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
