"""Story assignment speed of several versions of the engine, measured side by side.

On a shared machine one run after another compares the machine's moods, not the code. Here each
version's engine (``src/broadsheet/stories`` at a git revision, or the working tree) is loaded as
a package of its own, all are fed the same ``bench/stories.py --speed`` stream in one process,
in rotating chunks, and each is timed by its own CPU time: the ratios hold under load.

    .venv/bin/python bench/stories_versions.py 096dd7a HEAD              # 100,000 + 20,000
    .venv/bin/python bench/stories_versions.py main WORKTREE --active 20000 --measured 5000

Prints articles/s (CPU) for the warm-up and the measured part, the refine's CPU seconds, each
version's ratio to the first, and a hash of the assignments (equal hashes: same results).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import io
import itertools
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from stories import load, speed_stream

ROOT = Path(__file__).resolve().parents[1]
ENGINE = "src/broadsheet/stories"


def engine_package(rev: str, into: Path, name: str) -> object:
    """The engine's modules at ``rev`` (or the working tree) as package ``name``; its cluster."""
    pkg = into / name
    pkg.mkdir()
    if rev == "WORKTREE":
        files = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / ENGINE).glob("*.py")}
    else:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev, ENGINE],
                             check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as t:
            files = {Path(m.name).name: t.extractfile(m).read().decode()  # type: ignore[union-attr]
                     for m in t.getmembers() if m.name.endswith(".py") and m.name.count("/") == 3}
    for fname, text in files.items():
        # Older versions import their siblings by absolute name.
        (pkg / fname).write_text(re.sub(r"from broadsheet\.stories\.", "from .", text))
    return importlib.import_module(f"{name}.cluster")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("revs", nargs="+", help="git revisions, or WORKTREE; the first is the base")
    ap.add_argument("--active", type=int, default=100_000)
    ap.add_argument("--measured", type=int, default=20_000)
    ap.add_argument("--chunk", type=int, default=500)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="stories-versions-"))
    sys.path.insert(0, str(tmp))
    mods = [engine_package(rev, tmp, f"engine_{n}") for n, rev in enumerate(args.revs)]
    total = args.active + args.measured
    raw = list(itertools.islice(speed_stream(load(), total), total))
    runs = []
    for mod in mods:
        docs = [mod.StoryDoc(**d) for d in raw]  # type: ignore[attr-defined]
        engine = mod.StoryClusterer(mod.ClusterConfig(window_days=7.0))  # type: ignore[attr-defined]
        runs.append((engine, docs, [], [0.0, 0.0]))
    for n, start in enumerate(range(0, total, args.chunk)):
        turn = n % len(runs)
        for engine, docs, out, cpu in runs[turn:] + runs[:turn]:
            c = time.process_time()
            for d in docs[start:start + args.chunk]:
                out.append(engine.assign(d))
            cpu[0 if start < args.active else 1] += time.process_time() - c
    base = None
    for rev, (engine, _, out, cpu) in zip(args.revs, runs, strict=True):
        c = time.process_time()
        moved = len(engine.refine(recent=2000).moved)
        got = {"warm-up/s": args.active / cpu[0], "measured/s": args.measured / cpu[1],
               "refine s": time.process_time() - c}
        base = base or got
        print(json.dumps({"rev": rev, **{k: round(v, 2) for k, v in got.items()},
                          "x warm-up": round(got["warm-up/s"] / base["warm-up/s"], 3),
                          "x measured": round(got["measured/s"] / base["measured/s"], 3),
                          "x refine": round(base["refine s"] / got["refine s"], 3),
                          "moved": moved,
                          "assignments": hashlib.sha1("\n".join(out).encode()).hexdigest()[:12]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
