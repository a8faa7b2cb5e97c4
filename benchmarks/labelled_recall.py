#!/usr/bin/env python3
"""Recall and precision of `ganlint check` against hand labels of public training code.

The labels (benchmarks/labels/*.toml, one file per public repository) were made by reading the code
against each rule's text, not by accepting ganlint's output. Each file names the repository, its set
(A or B), the projects (the paths a user would pass to one `ganlint check`, relative to the checkout)
and four kinds of entries, each with `project`, `file`, `code`, `lines` (an inclusive [lo, hi] span or a
list of spans), optionally `also` (more places in other files: [[file, lo, hi], ...]) and `why`:

- `label`: a finding an expert expects; recall counts these.
- `silent`: a near miss that must stay silent; a finding there is a false positive.
- `ambiguous`: the rule text does not settle it; a finding there counts neither way.
- `judged`: a finding reviewed after a run and found false (`verdict = "false"`).

A finding matches an entry when the code and file agree and its line lies in a span widened by
--tolerance lines (default 2). Each label takes at most one finding (nearest first); a second finding
on a taken label is a duplicate and counts as a false positive. A finding that matches nothing is
"unjudged": it counts as a false positive in the precision printed, and is listed so that someone
reads the code and files it as a label or as judged-false.

    python benchmarks/labelled_recall.py [--public-root /work/public] [--set A|B|C|all]
                                         [--ganlint PATH] [--labels DIR] [--json OUT]

The public checkouts are not part of this repository: without --public-root (default /work/public)
the script says so and exits 0. It never imports ganlint: it runs the CLI as a user would
(`PATH check --format json --exit-zero <project paths>` with the checkout as working directory).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = ("label", "silent", "ambiguous", "judged")


def load_labels(folder: Path, which: str) -> list[dict]:
    repos = []
    for path in sorted(folder.glob("*.toml")):
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        if which != "all" and data.get("set") != which:
            continue
        data["_path"] = str(path)
        for kind in KINDS:
            for e in data.get(kind, []):
                spans = e["lines"]
                spans = [spans] if isinstance(spans[0], int) else spans
                e["locs"] = [(os.path.normpath(e["file"]), lo, hi) for lo, hi in spans]
                e["locs"] += [(os.path.normpath(f), lo, hi) for f, lo, hi in e.get("also", [])]
                if e["project"] not in data["projects"]:
                    raise SystemExit(f"{path}: entry names unknown project {e['project']!r}")
        repos.append(data)
    return repos


def run_ganlint(cmd: list[str], cwd: Path, paths: list[str], timeout: float) -> tuple[list[dict], str, float]:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd + ["check", "--format", "json", "--exit-zero", *paths], cwd=cwd,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s", time.perf_counter() - t0
    wall = time.perf_counter() - t0
    try:
        findings = json.loads(proc.stdout)["findings"]
    except (ValueError, KeyError):
        return [], f"exit {proc.returncode}, no JSON: {proc.stderr.strip()[-300:]}", wall
    note = proc.stderr.strip().splitlines()
    return findings, ("; ".join(note)[-300:] if note else ""), wall


def _distance(f: dict, e: dict) -> int:
    """Lines from finding f to entry e's nearest span in f's file (large when the code or file differs)."""
    if f["code"] != e["code"]:
        return 10**9
    return min((0 if lo <= f["line"] <= hi else min(abs(f["line"] - lo), abs(f["line"] - hi))
                for file, lo, hi in e["locs"] if file == f["file"]), default=10**9)


def score_project(findings: list[dict], entries: dict[str, list[dict]], tol: int) -> dict:
    """Match one project's findings to its entries; returns tp/miss/fp lists."""
    norm = [dict(f, file=os.path.normpath(f["file"])) for f in findings]
    labels = entries["label"]
    taken: dict[int, dict] = {}
    pairs = []
    for fi, f in enumerate(norm):
        for li, lab in enumerate(labels):
            d = _distance(f, lab)
            if d <= tol:
                pairs.append((d, fi, li))
    used_f: set[int] = set()
    for d, fi, li in sorted(pairs):
        if fi in used_f or li in taken:
            continue
        taken[li] = norm[fi]
        used_f.add(fi)
    out = {"tp": [(labels[li], f) for li, f in taken.items()],
           "miss": [lab for li, lab in enumerate(labels) if li not in taken],
           "fp": [], "ambiguous": []}
    for fi, f in enumerate(norm):
        if fi in used_f:
            continue
        # the nearest entry decides: a silent/judged/ambiguous entry on the very line beats a label 2 lines off
        kind, why, best = "unjudged", "", tol + 1
        for k, pool in (("duplicate", labels), ("silent", entries["silent"]),
                        ("judged", entries["judged"]), ("ambiguous", entries["ambiguous"])):
            for e in pool:
                d = _distance(f, e)
                if d < best or (d == best and k != "duplicate" and kind == "duplicate"):
                    kind, best = k, d
                    why = "a second report of a matched label" if k == "duplicate" else e["why"]
        if kind == "ambiguous":
            out["ambiguous"].append((f, why))
        else:
            out["fp"].append((kind, f, why))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--public-root", default="/work/public", help="folder holding <owner>+<repo> checkouts")
    ap.add_argument("--set", default="all", help="A, B, C (held out) or all")
    ap.add_argument("--ganlint", default=None, help="ganlint executable (default: this Python's -m ganlint)")
    ap.add_argument("--labels", default=str(HERE / "labels"), help="folder of label TOML files")
    ap.add_argument("--tolerance", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per project")
    ap.add_argument("--json", default=None, help="write the full result here")
    ap.add_argument("--quiet", action="store_true", help="only the summary tables")
    args = ap.parse_args(argv)

    root = Path(args.public_root)
    if not root.is_dir():
        print(f"labelled_recall: skipped: public checkouts folder {root} is absent "
              "(they are not part of the repository; pass --public-root)")
        return 0
    cmd = [args.ganlint] if args.ganlint else [sys.executable, "-m", "ganlint"]
    repos = load_labels(Path(args.labels), args.set)
    per_rule = defaultdict(lambda: {"labels": 0, "tp": 0, "fp": 0, "dup": 0})
    per_set = defaultdict(lambda: {"labels": 0, "tp": 0, "fp": 0, "dup": 0, "unjudged": 0, "repos": 0})
    per_repo = defaultdict(lambda: {"labels": 0, "tp": 0, "fp": 0, "dup": 0})
    misses, fps, notes, ambiguous = [], [], [], []
    for repo in repos:
        checkout = root / repo["repo"]
        s = repo["set"]
        if not checkout.is_dir():
            notes.append(f"{repo['repo']}: checkout absent, skipped")
            continue
        per_set[s]["repos"] += 1
        for name, paths in repo["projects"].items():
            entries = {k: [e for e in repo.get(k, []) if e["project"] == name] for k in KINDS}
            findings, note, wall = run_ganlint(cmd, checkout, paths, args.timeout)
            if note:
                notes.append(f"{repo['repo']}:{name}: {note}")
            if wall > 10:
                notes.append(f"{repo['repo']}:{name}: check took {wall:.1f} s")
            res = score_project(findings, entries, args.tolerance)
            for lab in entries["label"]:
                per_rule[lab["code"]]["labels"] += 1
            per_set[s]["labels"] += len(entries["label"])
            pr = per_repo[(s, repo["repo"])]
            pr["labels"] += len(entries["label"])
            pr["tp"] += len(res["tp"])
            pr["fp"] += sum(k != "duplicate" for k, _, _ in res["fp"])
            pr["dup"] += sum(k == "duplicate" for k, _, _ in res["fp"])
            for lab, f in res["tp"]:
                per_rule[lab["code"]]["tp"] += 1
                per_set[s]["tp"] += 1
            for lab in res["miss"]:
                misses.append((s, repo["repo"], lab))
            for kind, f, why in res["fp"]:
                bucket = "dup" if kind == "duplicate" else "fp"
                per_rule[f["code"]][bucket] += 1
                per_set[s][bucket] += 1
                per_set[s]["unjudged"] += kind == "unjudged"
                fps.append((s, repo["repo"], kind, f, why))
            for f, why in res["ambiguous"]:
                ambiguous.append((s, repo["repo"], f, why))

    def ratio(a: int, b: int) -> str:
        return f"{a / b:.2f}" if b else "  - "

    print(f"ganlint: {' '.join(cmd)}   labels: {args.labels}   set: {args.set}   tolerance: +-{args.tolerance}")
    print("precision = found / (found + false+); strict also counts duplicates (a label reported again) as false")
    head = "labels  found  recall  false+  dup  precision  strict"
    print(f"\nper set:   repos  {head}  (unjudged)")

    def row(v: dict) -> str:
        return (f"{v['labels']:6d}  {v['tp']:5d}  {ratio(v['tp'], v['labels']):>6}  {v['fp']:6d}  {v['dup']:3d}  "
                f"{ratio(v['tp'], v['tp'] + v['fp']):>9}  {ratio(v['tp'], v['tp'] + v['fp'] + v['dup']):>6}")
    for s in sorted(per_set):
        v = per_set[s]
        print(f"  set {s}    {v['repos']:5d}  {row(v)}  ({v['unjudged']})")
    tot = {k: sum(v[k] for v in per_set.values()) for k in ("labels", "tp", "fp", "dup", "unjudged", "repos")}
    print(f"  all      {tot['repos']:5d}  {row(tot)}  ({tot['unjudged']})")
    print(f"\nper rule:  {head}")
    for code in sorted(per_rule):
        print(f"  {code}     {row(per_rule[code])}")
    print(f"\nper repo:  {head}")
    for (s, r) in sorted(per_repo):
        print(f"  [{s}] {r[:40]:40s} {row(per_repo[(s, r)])}")
    if not args.quiet:
        print(f"\nmisses ({len(misses)}):")
        for s, r, lab in misses:
            print(f"  [{s}] {r}/{lab['file']}:{lab['lines']} {lab['code']}  {lab['why']}")
        print(f"\nfalse positives ({len(fps)}):")
        for s, r, kind, f, why in fps:
            print(f"  [{s}] {kind:9s} {r}/{f['file']}:{f['line']} {f['code']}  {f['message'][:150]}"
                  + (f"\n      label note: {why}" if why else ""))
        if ambiguous:
            print(f"\nfindings on ambiguous entries, not scored ({len(ambiguous)}):")
            for s, r, f, why in ambiguous:
                print(f"  [{s}] {r}/{f['file']}:{f['line']} {f['code']}")
        if notes:
            print("\nnotes:")
            for n in notes:
                print(f"  {n}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "per_set": per_set, "per_rule": per_rule,
            "per_repo": {f"{s}:{r}": v for (s, r), v in per_repo.items()},
            "misses": [{"set": s, "repo": r, **{k: lab[k] for k in ("file", "code", "lines", "why")}}
                       for s, r, lab in misses],
            "false_positives": [{"set": s, "repo": r, "kind": k, "file": f["file"], "line": f["line"],
                                 "code": f["code"], "message": f["message"], "note": why}
                                for s, r, k, f, why in fps],
            "notes": notes}, indent=1, default=dict))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
