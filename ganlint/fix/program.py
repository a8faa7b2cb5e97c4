"""`fix --verify` on a training program: each probe run is the user's patched program, run by the trace launcher.

When the project handed to `fix --verify` is a program with a training loop (the test `ganlint probe` uses to
choose its run mode), a loop edit (a `.detach()` in the discriminator step) can only be proven by running
the loop. Each candidate (baseline, stage, final) is written into a scratch copy of the project: the folder
layout of the user's current directory (or of the project, when the current directory lies outside it), the
patched files written in place of the originals, the other files copied, large files and data folders linked.
The program then runs there as `python train.py ARGS` would, with the scratch folder as its current
directory, so relative imports and data paths work and whatever the program writes lands in the copy. The
user's files are only read. A crash is reported at the user's file and line (mapped back through the
fix's own edits), never at the scratch path.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from typing import Any

from ganlint.core.errors import GanlintError, UsageError

COPY_MAX_BYTES = 8 << 20  # a larger file is data: linked into the copy, not copied
TREE_MAX_FILES = 2000  # a folder with more files (a data set) is linked whole
TREE_MAX_BYTES = 64 << 20
COPY_BUDGET_BYTES = 256 << 20  # past this much copied, the rest of the project is linked
LINKED = {".git", ".hg", ".svn", ".venv", "venv", "env", "node_modules", "__pycache__", ".mypy_cache",
          ".pytest_cache", ".tox", ".ipynb_checkpoints"}  # never copied: linked (tools' and VCS folders)


def training_program(paths: list[str] | None, files: list[str], run: bool = False, recipe: bool = False) -> str | None:
    """The program to run, or None for the recipe mode. As `ganlint probe` chooses: a Python file given by
    name that reaches an optimizer step from module level (a folder is a project: recipe mode). `--run`
    takes the one such file among all the inputs; `--recipe` never runs a program."""
    from ganlint.probe.trace.mode import has_training_loop

    if recipe:
        return None
    named = [p for p in (paths or []) if p.endswith(".py") and os.path.isfile(p)]
    loops = [p for p in named if has_training_loop(p)]
    if not run and (len(loops) != 1 or any(os.path.isdir(p) for p in (paths or []))):
        return None
    if run and not loops:
        loops = [f for f in files if f.endswith(".py") and has_training_loop(f)]
    if len(loops) == 1:
        return os.path.abspath(loops[0])
    if not loops:
        raise UsageError("--run: no training program among the inputs (no optimizer step reached from module level)")
    raise UsageError("--run: several training programs among the inputs (" + ", ".join(sorted(map(os.path.relpath, loops)))
                     + "): give the one to run")


def mirror_root(files: list[str], program: str, cwd: str | None = None) -> str:
    """The folder copied for each run: the current directory when the program and every input lie under it
    (the program then runs where the user runs it), else the inputs' common folder."""
    cwd = os.path.abspath(cwd or os.getcwd())
    dirs = [os.path.dirname(os.path.abspath(f)) for f in [*files, program]]
    if all(os.path.commonpath([cwd, d]) == cwd for d in dirs):
        return cwd
    return os.path.commonpath(dirs)


def _small_tree(path: str) -> bool:
    n = size = 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d not in LINKED]
        n += len(filenames) + len(dirnames)
        for f in filenames:
            try:
                size += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
        if n > TREE_MAX_FILES or size > TREE_MAX_BYTES:
            return False
    return True


def _link(src: str, dst: str) -> None:
    try:
        os.symlink(os.path.realpath(src), dst)
    except OSError:
        pass  # a file that cannot be linked is left out of the copy


def make_scratch(src: str, dest: str, patched: dict[str, str], skip: str) -> None:
    """Mirror `src` into `dest`: patched files (absolute path -> text) written, small files and folders copied,
    data and tool folders linked. `skip` (the scratch area itself, when it lies under `src`) is left out."""
    chain = {os.path.dirname(p) for p in patched}
    for p in list(chain):  # every folder between src and a patched file is a real folder of the copy
        while p.startswith(src + os.sep):
            p = os.path.dirname(p)
            chain.add(p)
    _mirror(src, dest, patched, chain, os.path.realpath(skip), [COPY_BUDGET_BYTES])


def _mirror(src: str, dest: str, patched: dict[str, str], chain: set[str], skip: str, budget: list[int]) -> None:
    os.makedirs(dest, exist_ok=True)
    try:
        entries = sorted(os.scandir(src), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        s, d = os.path.join(src, e.name), os.path.join(dest, e.name)
        if s in patched:
            with open(d, "w", encoding="utf-8") as fh:
                fh.write(patched[s])
            continue
        real = os.path.realpath(s)
        if real == skip:
            continue
        try:
            if e.is_symlink():
                _link(s, d)
            elif e.is_dir():
                holds_scratch = skip.startswith(real + os.sep)  # never copy the copy into itself
                if s in chain or (e.name not in LINKED and not holds_scratch and _small_tree(s)):
                    _mirror(s, d, patched, chain, skip, budget)
                else:
                    _link(s, d)
            elif e.is_file():
                size = e.stat().st_size
                if size <= COPY_MAX_BYTES and size <= budget[0]:
                    shutil.copy2(s, d)
                    budget[0] -= size
                else:
                    _link(s, d)
        except OSError:
            continue


@contextmanager
def _working_dir(path: str):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


class PathMap:
    """Scratch paths back to the user's: files under the copy name the original, and a line of a patched file
    names the original's line (a line the fix wrote names the line it replaced or follows)."""

    def __init__(self, scratch: str, root: str, run_cwd: str, user_cwd: str, patched: dict[str, str]):
        self.scratch, self.root, self.run_cwd, self.user_cwd, self.patched = scratch, root, run_cwd, user_cwd, patched

    def user_file(self, path: str) -> str | None:
        full = os.path.normpath(os.path.join(self.run_cwd, path))
        for base in {self.scratch, os.path.realpath(self.scratch)}:
            if full == base or full.startswith(base + os.sep):
                return os.path.join(self.root, os.path.relpath(full, base))
        return None

    def shown(self, user: str) -> str:
        rel = os.path.relpath(user, self.user_cwd)
        return user if rel.startswith("..") else rel

    def line(self, user: str, line: int) -> tuple[int, bool]:
        """(the original's line, whether the line was written by the fix)."""
        if user not in self.patched:
            return line, False
        try:
            with open(user, encoding="utf-8-sig") as fh:
                old = fh.read().splitlines()
        except (OSError, UnicodeDecodeError):
            return line, False
        new = self.patched[user].splitlines()
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if j1 < line <= j2:
                if tag == "equal":
                    return i1 + (line - j1), False
                return max(1, i1 if tag == "insert" else i1 + 1), True  # the line it follows / replaced
        return line, False

    def location(self, file: str, line: int | None) -> tuple[str, int | None, bool]:
        user = self.user_file(file)
        if user is None:
            return file, line, False
        if line is None:
            return self.shown(user), None, False
        ln, written = self.line(user, int(line))
        return self.shown(user), ln, written

    def text(self, msg: str) -> str:
        """A message: its leading `file:line:` mapped, then any other scratch path replaced by the user's."""
        m = re.match(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+): ", msg)
        if m:
            file, line, written = self.location(m.group("file"), int(m.group("line")))
            if file != m.group("file") or line != int(m.group("line")):
                rest = msg[m.end():]
                msg = f"{file}:{line}: " + rest + (" (in a line ganlint's fix wrote)" if written else "")
        for base in sorted({self.scratch, os.path.realpath(self.scratch)}, key=len, reverse=True):
            msg = msg.replace(base + os.sep, self.root + os.sep)
        return msg


def probe_program_texts(texts: dict[str, str], files: list[str], root: str, kwargs: dict[str, Any],
                        label: str = "") -> dict[str, Any]:
    """Worker (same signature as probing.probe_texts): run the candidate's patched program in a scratch copy of
    the project under the trace launcher; return the numbers verify compares (picklable)."""
    from ganlint.fix.probing import report_result
    from ganlint.probe.trace.launcher import run_program

    t0 = time.perf_counter()
    program, mirror, user_cwd = kwargs["program"], kwargs["mirror"], kwargs["cwd"]
    patched = {os.path.abspath(f): texts[f] for f in files}
    tmp = tempfile.mkdtemp(prefix="ganlint-verify-run-")
    scratch = os.path.join(tmp, "project")
    try:
        make_scratch(mirror, scratch, patched, skip=tmp)
        inside = os.path.commonpath([user_cwd, mirror]) == mirror
        run_cwd = os.path.join(scratch, os.path.relpath(user_cwd, mirror)) if inside else scratch
        os.makedirs(run_cwd, exist_ok=True)
        paths = PathMap(scratch, mirror, run_cwd, user_cwd, patched)
        script = os.path.join(scratch, os.path.relpath(program, mirror))
        output = os.path.join(tmp, "program-output.txt")  # the program's prints and warnings (scratch paths)
        with open(output, "w", encoding="utf-8") as sink, _working_dir(run_cwd):
            try:
                res = run_program(script, None, list(kwargs.get("args") or []), steps=kwargs["steps"],
                                  time_budget=kwargs.get("time_budget"), out=os.path.join(tmp, "report"),
                                  seed=int(kwargs.get("seed") or 0), stdout=sink, stderr=sink,
                                  rule_options=kwargs.get("rule_options"))
            except GanlintError as exc:
                return _error(label, paths.text(str(exc)), kwargs, t0)
        if res.stopped == "interrupted":  # Ctrl-C reached the program (the launcher waits it out): stop verifying
            raise KeyboardInterrupt
        if res.report is None or res.failed:
            msg = (res.message or "the program gave no report").replace("ganlint probe ", "ganlint fix --verify ")
            if res.kind == "argparse":  # its usage went to the output file: say what the parser said
                said = [ln for ln in _tail(output) if ": error: " in ln]
                msg = msg.replace(" (its usage is above)", f" ({said[-1].split(': error: ', 1)[1]})" if said else "")
            return _error(label, paths.text(msg), kwargs, t0)
        res.report.findings = [dataclasses.replace(f, message=paths.text(f.message)) for f in res.report.findings]
        d = report_result(res.report, label, kwargs["steps"], t0, scratch, traced=True)
        for f in d["findings"]:
            loc = f.get("location")
            if loc:
                file, line, _ = paths.location(loc["file"], loc.get("line"))
                f["location"] = {"file": file, "line": line}
                f["message"] = f"{file}:{line}: {f['message']}"
        # a program whose own loop ended before the step limit ran all it would run: no longer run exists
        ended = res.report.stopped == "completed" and (d["metrics"].get("steps_run") or 0) < kwargs["steps"]
        d["metrics"]["_ran_to_end"] = 1.0 if ended else 0.0
        d["program"] = paths.shown(program)
        return d
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tail(path: str, n: int = 40) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()[-n:]
    except OSError:
        return []


def _error(label: str, message: str, kwargs: dict[str, Any], t0: float) -> dict[str, Any]:
    return {"label": label, "score": 50.0, "healthy": False, "metrics": {}, "codes": [], "error": message,
            "steps": kwargs.get("steps"), "seconds": time.perf_counter() - t0}
