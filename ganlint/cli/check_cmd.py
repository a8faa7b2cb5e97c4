"""`ganlint check PATH...`: read model code and configs (never run them), report, exit 0/1/2."""
from __future__ import annotations

import gc
import os
import sys
from typing import List, Optional

import click
import typer

from ganlint.cli import app

FAIL_ON = ("error", "warning", "info")
FORMATS = ("text", "json", "sarif", "github")  # = ganlint.report.FORMATS (not imported: start-up)


def write_atomic(path: str, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ganlint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        if os.path.exists(path):
            try:
                os.chmod(tmp, os.stat(path).st_mode & 0o777)
            except OSError:
                pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def error_line(err) -> str:
    """`path:line: error: message` (line left out when unknown; path too for errors about no file)."""
    file = getattr(err, "file", None)
    line = getattr(err, "line", None)
    message = getattr(err, "message", None) or str(err)
    from ganlint.core.display import shown

    where = f"{shown(file)}:{line}: " if file and line else (f"{shown(file)}: " if file else "")
    return f"{where}error: {shown(message)}"


@app.command()
def check(
    paths: Optional[List[str]] = typer.Argument(
        None, help="Python files, configs (YAML/JSON/TOML) or directories (default: the current directory)."
    ),
    fmt: str = typer.Option("text", "--format", click_type=click.Choice(FORMATS, case_sensitive=False),
                            help="Output format."),
    select: Optional[List[str]] = typer.Option(
        None, "--select", metavar="CODES", help="Rules to run: codes, prefixes (GL1), slugs or ALL; repeatable, comma-separated."
    ),
    ignore: Optional[List[str]] = typer.Option(
        None, "--ignore", metavar="CODES", help="Rules to skip (same forms as --select); adds to the configured ignore."
    ),
    exclude: Optional[List[str]] = typer.Option(
        None, "--exclude", metavar="PATTERN",
        help="gitignore-style pattern to skip when walking directories; adds to the configured exclude.",
    ),
    fail_on: Optional[str] = typer.Option(
        None, "--fail-on", click_type=click.Choice(FAIL_ON, case_sensitive=False),
        help="Exit 1 only for findings at or above this severity (default: info, i.e. any finding).",
    ),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when findings are reported."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to FILE (atomically)."),
    config: Optional[str] = typer.Option(
        None, "--config", metavar="PYPROJECT", help="A pyproject.toml to read [tool.ganlint] from (default: the nearest one)."
    ),
    show_fixes: bool = typer.Option(False, "--show-fixes", help="Print each finding's proposed fix."),
    statistics: bool = typer.Option(False, "--statistics", help="Print the number of findings per code."),
    report_unused: bool = typer.Option(
        False, "--report-unused-suppressions", help="Report suppression comments that suppress nothing (unused-suppression)."
    ),
) -> None:
    """Read model code and configs (never run them) and report training-health problems."""
    from ganlint import cli

    own = cli.OWNS_PROCESS
    if own:  # the process ends right after the report: a cyclic collection now would be time spent for nothing
        gc.disable()
        from ganlint.reading import project

        project.KEEP_UNTIL_EXIT = []  # nor freeing, one by one, the syntax trees the reading is done with
    try:
        code = _run(paths or ["."], fmt.lower(), select, ignore, fail_on, exit_zero, output, config,
                    show_fixes, statistics, report_unused, exclude)
    except (typer.Exit, SystemExit, KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # noqa: BLE001 - one line, exit 2, never a traceback
        from ganlint.core.errors import GanlintError

        if isinstance(exc, GanlintError):
            sys.stderr.write(error_line(exc) + "\n")
            raise typer.Exit(2)
        if os.environ.get("GANLINT_DEBUG"):
            raise  # developers: the full traceback
        from ganlint.cli import internal_error

        raise typer.Exit(internal_error(exc))
    if own:  # the report is written and flushed, no file is left open: no teardown of what the reading built
        cli.exit_now(code)
    raise typer.Exit(code)


def _run(paths, fmt, select, ignore, fail_on, exit_zero, output, config, show_fixes, statistics, report_unused,
         exclude=None) -> int:
    from ganlint.checking import registry
    from ganlint.checking.options import load_options, split_selectors, validate_selectors
    from ganlint.checking.runner import check_paths
    from ganlint.core.errors import UsageError
    from ganlint.core.types import Severity
    from ganlint.report import render

    options = load_options(config)
    sel = split_selectors(select) if select else None
    ign = split_selectors(ignore)
    validate_selectors([*(sel or []), *ign], registry.known_selectors(options.custom_rules), "--select/--ignore")
    if fail_on is not None:
        options.fail_on = Severity.parse(fail_on)
    if output and os.path.isdir(output):
        raise UsageError("--output names a directory", output)

    # Reading allocates hundreds of thousands of short-lived, acyclic syntax-tree nodes: at the default
    # threshold (700) the cycle collector runs thousands of times for nothing. Fewer, larger passes; the
    # caller's setting comes back afterwards (the CLI also runs in-process, in tests).
    threshold = gc.get_threshold()
    if threshold[0]:  # 0: the caller turned collection off
        gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
    try:
        result = check_paths(
            paths, select=sel, ignore=ign, options=options, exclude=split_selectors(exclude),
            report_unused_suppressions=report_unused or options.report_unused_suppressions,
        )
    finally:
        gc.set_threshold(*threshold)
    for err in result.errors:
        sys.stderr.write(error_line(err) + "\n")
    for note in result.notes:  # a file read partially: said, never silent, but not an error exit
        sys.stderr.write(error_line(note).replace(": error: ", ": info: ", 1) + "\n")
    rules = None
    if options.custom_rules:
        rules = [*registry.all_rules(), *options.custom_rules]
    text = render(
        result.findings, result.errors, fmt, files=len(result.files), show_fixes=show_fixes,
        statistics=statistics, rules=rules,
    )
    if output:
        try:
            write_atomic(output, text)
        except OSError as exc:
            raise UsageError(f"cannot write the report: {exc.strerror or exc}", output) from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return result.exit_code(options.fail_on, exit_zero)
