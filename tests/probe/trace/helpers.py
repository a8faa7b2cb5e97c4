"""Run `ganlint probe PROGRAM ... -- ARGS` as a user would: a real subprocess of the CLI, in a temp folder."""
import json
import os
import subprocess
import sys
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"
GANLINT = [sys.executable, "-m", "ganlint.cli"] if False else [str(Path(sys.executable).parent / "ganlint")]


def probe(program, *options, args=(), cwd, timeout=240):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = GANLINT + ["probe", str(program), *options, "--out", str(Path(cwd) / "out")]
    if args:
        cmd += ["--", *args]
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    rep_path = Path(cwd) / "out" / "report.json"
    rep = json.loads(rep_path.read_text()) if rep_path.exists() else None
    return p, rep


def codes(rep):
    return {f["code"] for f in rep["findings"]}


def line_of(path, text):
    for i, line in enumerate(Path(path).read_text().splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(f"{text!r} not in {path}")
