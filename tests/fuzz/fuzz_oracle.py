"""Run the real CLI in-process on a project and say what went wrong (shared by tests/fuzz and
benchmarks/fuzz.py). In-process: a subprocess start costs more than most checks; a SIGALRM stops a hang.

check must: exit 0, 1 or 2; never print "internal error" or a traceback; stay under the time bound (CPU
seconds of this process; a run is stopped as hung at 6x the bound in wall time).
fix --in-place must also: leave no file behind and delete none; change nothing when it exits 2; write files
that still read (UTF-8, parseable) when they did before; keep every setting it does not change byte for
byte (a rewritten raw text with the same value is an integrity failure), full-line comments, the BOM, CRLF
line endings and the file mode; and be idempotent (a second run changes nothing).
"""
from __future__ import annotations

import ast
import io
import os
import re
import signal
import stat
import time
import traceback
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path


class _Timeout(BaseException):
    """Raised by SIGALRM; a BaseException so that the code's own `except Exception` cannot swallow it."""


@dataclass
class Outcome:
    rc: int | None
    out: str
    err: str
    seconds: float
    crash: str | None = None  # the traceback of an exception that escaped the CLI
    timed_out: bool = False
    cpu_seconds: float = 0.0  # this process's CPU time: what the bound judges (a busy machine stretches wall time)


def _stream() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    return stream.buffer.getvalue().decode("utf-8", "replace")  # type: ignore[attr-defined]


def run_cli(args: list[str], cwd: str | os.PathLike, hard_limit_s: float) -> Outcome:
    """`ganlint ARGS` in this process, in `cwd`; stopped after hard_limit_s (then timed_out)."""
    import typer.main

    from ganlint.cli import app

    command = typer.main.get_command(app)
    out, err = _stream(), _stream()
    old_cwd = os.getcwd()
    previous = signal.signal(signal.SIGALRM, _alarm)
    rc: int | None = None
    crash = None
    timed_out = False
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        os.chdir(cwd)
        signal.setitimer(signal.ITIMER_REAL, hard_limit_s)
        with redirect_stdout(out), redirect_stderr(err):
            command.main(args=args, prog_name="ganlint", standalone_mode=True)
        rc = 0
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except _Timeout:
        timed_out = True
    except BaseException:  # noqa: BLE001 - exactly what the fuzzer looks for
        crash = traceback.format_exc(limit=-8)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(old_cwd)
    return Outcome(rc, _text(out), _text(err), time.perf_counter() - t0, crash, timed_out, time.process_time() - c0)


def _alarm(signum, frame):
    raise _Timeout()


def cli_problems(o: Outcome, what: str, limit_s: float) -> list[str]:
    problems = []
    if o.crash:
        problems.append(f"{what}: crash: {o.crash.strip().splitlines()[-1]}")
    if o.timed_out:
        problems.append(f"{what}: hang: stopped after {o.seconds:.1f} s wall, {o.cpu_seconds:.1f} s CPU")
    elif o.cpu_seconds > limit_s:
        problems.append(f"{what}: slow: {o.cpu_seconds:.1f} s CPU (bound {limit_s:g} s)")
    if o.rc is not None and o.rc not in (0, 1, 2):
        problems.append(f"{what}: exit code {o.rc}")
    both = o.out + o.err
    for line in both.splitlines():
        # the readers' safety nets ("cannot analyse (OverflowError: ...)") keep a reader bug to one line
        # about one file; for the fuzzer it is still a bug
        if "internal error" in line or re.search(r"cannot (analyse|read config|read settings) \(\w+(Error|Exception)", line):
            problems.append(f"{what}: {line.strip()[:200]}")
            break
    if "Traceback (most recent call last)" in both:
        problems.append(f"{what}: printed a traceback")
    return problems


def _hard(limit_s: float, hard_s: float | None) -> float:
    """Wall time after which a run is stopped as hung: 6x the CPU bound, for a busy machine's sake (a shared
    2-core machine stretched a 4 s CPU run past 20 s wall)."""
    return hard_s if hard_s is not None else 6 * limit_s


def check_project(root: Path, limit_s: float, hard_s: float | None = None) -> tuple[list[str], Outcome]:
    o = run_cli(["check", "."], root, hard_limit_s=_hard(limit_s, hard_s))
    return cli_problems(o, "check", limit_s), o


# -- fix --------------------------------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


def fix_project(root: Path, limit_s: float, hard_s: float | None = None) -> tuple[list[str], Outcome]:
    """fix --in-place on `root` (a scratch copy), then the integrity checks, then a second run."""
    before = snapshot(root)
    hard = _hard(limit_s, hard_s)
    o = run_cli(["fix", "--in-place", "."], root, hard_limit_s=hard)
    problems = cli_problems(o, "fix", limit_s)
    if o.timed_out or o.crash:
        return problems, o
    after = snapshot(root)
    extra, gone = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    if extra:
        problems.append(f"fix: left files behind: {', '.join(extra[:3])}")
    if gone:
        problems.append(f"fix: deleted files: {', '.join(gone[:3])}")
    changed = [r for r in before if r in after and before[r] != after[r]]
    if o.rc == 2 and changed:
        problems.append(f"fix: exited 2 yet changed {', '.join(changed[:3])}")
    for rel in changed:
        problems += integrity(root, rel, before[rel], after[rel])
    if changed and o.rc in (0, 1):
        o2 = run_cli(["fix", "--in-place", "."], root, hard_limit_s=hard)
        problems += cli_problems(o2, "fix (second run)", limit_s)
        again = snapshot(root)
        moved = [r for r in after if again.get(r) != after[r]]
        if moved and not o2.timed_out:
            problems.append(f"fix: not idempotent: a second run changed {', '.join(moved[:3])}")
    return problems, o


def integrity(root: Path, rel: str, old: tuple[bytes, int], new: tuple[bytes, int]) -> list[str]:
    (old_bytes, old_mode), (new_bytes, new_mode) = old, new
    where = f"fix: {rel}"
    problems = []
    if old_mode != new_mode:
        problems.append(f"{where}: mode {oct(old_mode)} became {oct(new_mode)}")
    try:
        old_text = old_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return problems + [f"{where}: rewrote a file that is not UTF-8"]
    try:
        new_text = new_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return problems + [f"{where}: wrote invalid UTF-8"]
    if old_text.startswith("\ufeff") and not new_text.startswith("\ufeff"):
        problems.append(f"{where}: UTF-8 BOM dropped")
    old_lf = old_text.replace("\r\n", "").count("\n")
    if "\r\n" in old_text and not old_lf and new_text.replace("\r\n", "").count("\n"):
        problems.append(f"{where}: CRLF file got LF-only lines")
    elif "\r\n" in old_text and new_text.count("\r\n") < old_text.count("\r\n") and \
            new_text.count("\n") >= old_text.count("\n"):
        # a file of mixed endings: new lines take the LF most of it has, its CRLF lines stay
        problems.append(f"{where}: CRLF lines lost")
    lost = Counter(_comments(old_text)) - Counter(_comments(new_text))
    if lost:
        problems.append(f"{where}: comment lines lost: {next(iter(lost))[:60]!r}")
    path = str(root / rel)
    old_settings, old_error = _read(path, old_text.lstrip("\ufeff"))
    new_settings, new_error = _read(path, new_text.lstrip("\ufeff"))
    if old_error is None and new_error is not None:
        return problems + [f"{where}: readable before, not after: {new_error[:160]}"]
    if old_error is None and new_error is None and not rel.endswith(".py"):
        problems += _rewritten(where, old_settings, new_settings)
    return problems


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.lstrip("\ufeff").splitlines() if line.strip().startswith("#")]


def _read(path: str, text: str):
    """(settings, None) or (None, the one-line error) for a text read as the file at `path`."""
    from ganlint.reading.project import read_files

    if path.endswith(".py"):
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return None, f"{exc.__class__.__name__}: {exc}"
    result = read_files([path], texts={path: text})
    if result.errors:
        return None, str(result.errors[0])
    return result.facts.settings, None


def _rewritten(where: str, old, new) -> list[str]:
    """Settings whose raw source text changed while their value did not: bytes no fix meant to change."""
    by_key: dict[str, list] = {}
    for s in new:
        by_key.setdefault(s.key, []).append(s)
    out = []
    for s in old:
        twins = by_key.get(s.key) or []
        if len(twins) != 1 or s.raw is None or twins[0].raw is None:
            continue
        t = twins[0]
        if t.raw != s.raw and _same(t.value, s.value):
            out.append(f"{where}:{s.location.line}: {s.key} rewritten {s.raw[:40]!r} -> {t.raw[:40]!r}, value unchanged")
    return out[:3]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # nan == nan, for this purpose
    return type(a) is type(b) and a == b
