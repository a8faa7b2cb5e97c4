#!/usr/bin/env python3
"""The long fuzz run: mutated seed projects through `ganlint check` (every input) and `ganlint fix
--in-place` (every --fix-every-th input, on a scratch copy), in one process, with a seeded RNG.

Seeds: the repository's fixtures and the real-style projects of tests/fuzz/fuzz_corpus.py. Each input is
one seed with 1-3 mutations (tests/fuzz/fuzz_mutate.py: numbers beyond float range and beyond int()'s
digit limit, YAML tag tricks, deep nesting, 20,000-part dotted keys, files repeated up to --max-repeat
times, broken encodings, renamed suffixes, [tool.ganlint] options holding all of those). The oracles
(tests/fuzz/fuzz_oracle.py) report:

- crashes: an exception out of the CLI, "internal error", a traceback, an exit code outside {0, 1, 2}, a
  reader's safety net firing ("cannot analyse (OverflowError: ...)": one line, but a bug);
- slow inputs: a command over --limit CPU seconds (the issue's bound: 10 s); a command is stopped as hung
  at --hard-limit wall seconds (default 6x --limit);
- integrity failures of fix: files left behind or deleted, changes despite exit 2, a file unreadable after
  the fix, a setting rewritten without a new value, lost comments/BOM/CRLF/mode, a second run changing more.

    python benchmarks/fuzz.py --inputs 10000 [--seed 0] [--fix-every 5] [--limit 10] [--save DIR]
    python benchmarks/fuzz.py --only 130,1760      # just those inputs of the run (same seed): a failure's rerun

Prints one line per failing input (index, seed project, mutations, problems), progress every 500 inputs,
and a summary; exits 1 when anything failed (0 otherwise), so it can gate a release.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from fuzz_corpus import all_projects  # noqa: E402
from fuzz_mutate import OPS, Mutation, apply, write_project  # noqa: E402
from fuzz_oracle import check_project, fix_project  # noqa: E402


def draw(rng: random.Random, n_files: int) -> list[Mutation]:
    return [Mutation(rng.choice(OPS), rng.randrange(max(1, n_files)), rng.random(), rng.randrange(10**6))
            for _ in range(rng.randint(1, 3))]


def kind(problem: str) -> str:
    if any(w in problem for w in ("crash:", "internal error", "traceback", "exit code", "cannot analyse (",
                                  "cannot read config (", "cannot read settings (")):
        return "crash"
    if "slow:" in problem or "hang:" in problem:
        return "slow"
    return "integrity"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fix-every", type=int, default=5, help="run fix on every N-th input (0: never)")
    ap.add_argument("--limit", type=float, default=10.0, help="seconds one command may take")
    ap.add_argument("--hard-limit", type=float, default=None, help="wall seconds before a command is stopped")
    ap.add_argument("--max-repeat", type=int, default=24, help="largest file repetition (size growth)")
    ap.add_argument("--save", help="copy every failing input project into this folder")
    ap.add_argument("--only", help="comma-separated input indexes to run (each drawn as in the full run)")
    args = ap.parse_args()
    indexes = [int(x) for x in args.only.split(",")] if args.only else range(args.inputs)

    projects = all_projects()
    names = sorted(projects)
    counts: Counter[str] = Counter()
    failing_inputs = 0
    checks = fixes = 0
    slowest = (0.0, -1)
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="ganlint-fuzz-"))
    try:
        for n, i in enumerate(indexes):
            rng = random.Random(f"{args.seed}:{i}")
            name = rng.choice(names)
            mutations = draw(rng, len(projects[name]))
            files = apply(projects[name], mutations, max_repeat=args.max_repeat)
            root = scratch / f"in{i}"
            write_project(root, files)
            problems, outcome = check_project(root, args.limit, args.hard_limit)
            checks += 1
            slowest = max(slowest, (outcome.cpu_seconds, i))
            if args.fix_every and i % args.fix_every == 0:
                fix_problems, fo = fix_project(root, args.limit, args.hard_limit)
                problems += fix_problems
                fixes += 1
                slowest = max(slowest, (fo.cpu_seconds, i))
            if problems:
                failing_inputs += 1
                for p in problems:
                    counts[kind(p)] += 1
                short = "; ".join(f"{m.op}@{m.at:.2f}#{m.payload}" for m in mutations)
                print(f"input {i} [{name}: {short}]: " + " | ".join(problems), flush=True)
                if args.save:
                    dest = Path(args.save) / f"input{i}"
                    shutil.rmtree(dest, ignore_errors=True)
                    write_project(dest, files)
            shutil.rmtree(root, ignore_errors=True)
            if (n + 1) % 500 == 0:
                print(f"... {n + 1} inputs, {time.perf_counter() - started:.0f} s, {failing_inputs} failing", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    total = time.perf_counter() - started
    print(f"\n{len(indexes)} inputs (seed {args.seed}) in {total:.0f} s: {checks} check runs, {fixes} fix runs")
    print(f"crashes: {counts['crash']}  inputs over {args.limit:g} s: {counts['slow']}  "
          f"integrity failures: {counts['integrity']}  (failing inputs: {failing_inputs})")
    print(f"slowest command: {slowest[0]:.2f} s CPU (input {slowest[1]})")
    return 1 if failing_inputs else 0


if __name__ == "__main__":
    sys.exit(main())
