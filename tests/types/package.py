#!/usr/bin/env python3
"""The JS SDK as a package: `npm pack` in sdk/js gives the tarball, which
holds exactly the files an app needs (the ES modules, the declarations,
README.md, LICENSE); a scratch project installs it offline with
`npm install <tarball>`, imports it at run time, and compiles under
`tsc --strict --noEmit` (skipLibCheck off, so the declarations are checked
too) both every ```ts snippet of sdk/js/README.md and package/app.ts, a
small typed app whose `@ts-expect-error` lines prove that an unknown event
name and a wrong field do not compile. It compiles with `nodenext`,
`bundler` and the older `node10` module resolution, as apps may use any.

Exit 77 (skipped) without npm or tests/node_modules/.bin/tsc (run
scripts/deps.sh --tests). DPA_KEEP=1 keeps the scratch project and prints
where it is."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SDK = os.path.join(ROOT, "sdk", "js")
TSC = os.path.join(ROOT, "tests", "node_modules", ".bin", "tsc")
# What the tarball holds: nothing more, nothing less (npm adds package.json).
SHIPPED = {"package.json", "LICENSE", "README.md", "index.d.ts", "events.d.ts", "protocol.d.ts",
           "webrtc.d.ts", "src/index.js", "src/webrtc.js"}
RESOLUTIONS = {
    "nodenext": {"module": "nodenext", "moduleResolution": "nodenext"},
    "bundler": {"module": "es2022", "moduleResolution": "bundler"},
    "node10": {"module": "es2022", "moduleResolution": "node10"},
}


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def readme_snippets(text):
    """[(line of the opening fence, code)] of every ```ts block; a ```js block is refused."""
    out, problems = [], []
    for m in re.finditer(r"^```([A-Za-z]*)\n(.*?)^```\s*$", text, re.M | re.S):
        line = text.count("\n", 0, m.start()) + 1
        lang = m.group(1)
        if lang in ("js", "javascript"):
            problems.append(f"README.md:{line}: a ```{lang} block; code is ```ts (checked) and shapes are plain ```")
        elif lang in ("ts", "typescript"):
            out.append((line, m.group(2)))
    return out, problems


def pack(tmp):
    code, out = run(["npm", "pack", "--json", "--pack-destination", tmp], SDK)
    if code != 0:
        return None, [f"npm pack failed:\n{out}"]
    info = json.loads(out[out.index("["):])[0]
    problems = []
    files = {f["path"] for f in info["files"]}
    if files != SHIPPED:
        problems.append(f"the tarball holds {sorted(files)}; expected {sorted(SHIPPED)}"
                        f" (extra: {sorted(files - SHIPPED)}, missing: {sorted(SHIPPED - files)})")
    with open(os.path.join(SDK, "package.json"), encoding="utf-8") as f:
        pkg = json.load(f)
    want = pkg["name"].lstrip("@").replace("/", "-") + f"-{pkg['version']}.tgz"
    if info["filename"] != want:
        problems.append(f"npm pack wrote {info['filename']}, expected {want}")
    return os.path.join(tmp, info["filename"]), problems


def install(tarball, app):
    os.makedirs(app)
    with open(os.path.join(app, "package.json"), "w", encoding="utf-8") as f:
        json.dump({"name": "droponair-sdk-consumer", "private": True, "type": "module"}, f)
    code, out = run(["npm", "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts",
                     "--loglevel=error", tarball], app)
    if code != 0:
        return [f"npm install {os.path.basename(tarball)} failed:\n{out}"]
    problems = []
    if not os.path.exists(os.path.join(app, "node_modules", "@droponair", "sdk", "LICENSE")):
        problems.append("the installed package has no LICENSE")
    # The exports resolve at run time too, and VERSION is the package's version.
    probe = ("import { DropOnAirClient, VERSION } from '@droponair/sdk';"
             "import { MeshCall } from '@droponair/sdk/webrtc';"
             "import { readFileSync } from 'node:fs';"
             "import { createRequire } from 'node:module';"
             "const pkg = JSON.parse(readFileSync(createRequire(import.meta.url)"
             ".resolve('@droponair/sdk/package.json'), 'utf8'));"
             "if (typeof DropOnAirClient !== 'function' || typeof MeshCall !== 'function') process.exit(3);"
             "if (VERSION !== pkg.version) { console.log(`VERSION ${VERSION}, package ${pkg.version}`); process.exit(4); }")
    code, out = run(["node", "--input-type=module", "-e", probe], app)
    if code != 0:
        problems.append(f"importing the installed package failed (exit {code}):\n{out}")
    return problems


def compile_all(app, sources):
    problems = []
    for name, opts in RESOLUTIONS.items():
        config = {"compilerOptions": {"strict": True, "noEmit": True, "target": "es2022",
                                      "skipLibCheck": False, "types": [], **opts},
                  "files": sources}
        path = os.path.join(app, f"tsconfig.{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
        code, out = run([TSC, "-p", path], app)
        if code != 0:
            problems.append(f"tsc --strict ({name} resolution) failed:\n{out}")
    return problems


def main():
    if not shutil.which("npm") or not shutil.which("node") or not os.path.exists(TSC):
        print("npm or tsc not installed (scripts/deps.sh --tests); skipped")
        return 77
    with open(os.path.join(SDK, "README.md"), encoding="utf-8") as f:
        snippets, problems = readme_snippets(f.read())
    if not snippets:
        problems.append("sdk/js/README.md has no ```ts snippet")
    tmp = tempfile.mkdtemp(prefix="dpa-sdk-js-")
    try:
        tarball, more = pack(tmp)
        problems += more
        app = os.path.join(tmp, "app")
        if tarball:
            problems += install(tarball, app)
        if tarball and os.path.isdir(app):
            sources = []
            for line, code in snippets:
                # Named after the README line of its fence, so tsc's errors point there.
                name = f"README.md-line{line}.ts"
                with open(os.path.join(app, name), "w", encoding="utf-8") as f:
                    f.write(code + "\nexport {};\n")
                sources.append(name)
            shutil.copy(os.path.join(HERE, "package", "app.ts"), app)
            sources.append("app.ts")
            problems += compile_all(app, sources)
    finally:
        if os.environ.get("DPA_KEEP"):
            print(f"scratch project kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print(p)
    print(f"sdk package: {'FAILED' if problems else 'ok'} "
          f"({len(snippets)} README snippets and app.ts under tsc --strict)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
