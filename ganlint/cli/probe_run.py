"""`ganlint probe train.py [OPTIONS] [-- ARGS...]` / `ganlint probe -m package.module [-- ARGS...]`: run the
user's own training program under the probe's instruments (ganlint.probe.trace).

Exit 0: no runtime findings; 1: findings; 2: the program raised, a package is missing, its argument parser
rejected its arguments, no optimizer step was reached, or bad usage; 130: interrupted (Ctrl-C), after the
partial report was written.
"""
from __future__ import annotations

import os
import sys

import typer


def program_args(paths: list[str] | None, argv: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Split click's positionals into (ganlint's paths, the program's ARGS after `--`)."""
    argv = sys.argv if argv is None else argv
    paths = list(paths or [])
    if "--" not in argv:
        return paths, []
    user = argv[argv.index("--") + 1:]
    if user and paths[-len(user):] == user:
        return paths[:-len(user)], user
    return paths, user


def run_mode_wanted(paths: list[str] | None, module: str | None, run: bool, recipe: bool) -> bool:
    """-m, --run: run; --recipe: build + recipe; else one Python file with a training loop is run, and one
    given with program arguments after `--` (the recipe mode takes none: the loop may live in another file)."""
    if recipe:
        return False
    if module or run:
        return True
    mine, user_args = program_args(paths)
    if len(mine) != 1 or not mine[0].endswith(".py") or not os.path.isfile(mine[0]):
        return False
    if user_args:
        return True
    from ganlint.probe.trace.mode import has_training_loop

    return has_training_loop(mine[0])


def _fail(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)
    raise typer.Exit(2)


def summary(report, result, program: str) -> str:
    m = report.metrics
    nets = ", ".join(f"{name} {info.get('class')} ({int(m.get('steps_' + name, 0))} steps, "
                     f"{info.get('file')}:{info.get('line')})" for name, info in report.networks.items())
    lines = [f"ganlint probe: ran {program}: {report.family or 'family not recognised'} on {report.device}, "
             f"{int(m.get('steps_run', 0))}/{report.steps_requested or '-'} steps [{report.stopped}] in "
             f"{report.timings.get('total_s', 0):.1f} s" + (", fake data" if report.data.get("fake_data") else "")]
    if nets:
        lines.append(f"  networks: {nets}")
    keys = [("mode_coverage", "mode coverage", "{:.0%}"), ("spread_ratio", "spread ratio (gen/real)", "{:.2f}"),
            ("kl_final", "KL term", "{:.3g}"), ("active_units_final", "active units", "{:.0%}"),
            ("infonce_accuracy", "InfoNCE accuracy", "{:.3f}"), ("infonce_chance", "chance", "{:.3f}"),
            ("energy_gap", "energy gap", "{:.3f}"), ("max_saturation", "max saturation", "{:.0%}")]
    parts = [f"{label} {fmt.format(m[k])}" for k, label, fmt in keys
             if isinstance(m.get(k), (int, float)) and m[k] == m[k]]
    if parts:
        lines.append("  " + " · ".join(parts))
    for f in report.findings:
        lines.append(f"{f.location}: {f.code} [{f.slug}] {f.message}")
    for n in report.notes:
        lines.append(f"  note: {n}")
    if report.stopped == "interrupted":  # a partial run is no all-clear
        lines.append(f"Interrupted at step {int(m.get('steps_run', 0))}: partial report, "
                     f"{len(report.findings)} runtime problem(s) found so far.")
    elif report.stopped == "error":  # nor is a run the program's own error ended (the error line follows)
        lines.append(f"The program ended with an error at step {int(m.get('steps_run', 0))}: partial report, "
                     f"{len(report.findings)} runtime problem(s) found so far.")
    else:
        lines.append(f"Found {len(report.findings)} runtime problem(s)." if report.findings else "No runtime problems found.")
    if result.paths:
        lines.append("Report: " + ", ".join(result.paths.values()))
    return "\n".join(lines) + "\n"


def probe_program(paths: list[str] | None, *, module: str | None, steps: int, time_budget: float | None, out: str,
                  fmt: str, fake_data: bool, watch: bool, stop_on: str | None, seed: int,
                  rule_options=None, select=None, ignore=None) -> None:
    """Run the program, print the summary (or --format output), exit with the probe's code."""
    from ganlint.core.errors import GanlintError
    from ganlint.probe.trace.launcher import run_program

    mine, user_args = program_args(paths)
    if fmt not in ("text", "json", "sarif", "github"):
        _fail(f"--format {fmt!r}: choose text, json, sarif or github")
    from ganlint.checking.options import load_options

    try:
        opts = load_options()
    except GanlintError as exc:
        _fail(str(exc))
    if select is not None or ignore is not None:  # given by the caller: they win over [tool.ganlint]
        opts.select, opts.ignore = select, ignore
    if stop_on not in (None, "error"):
        _fail(f"--stop-on {stop_on!r}: the only level is `error`")
    if stop_on and not watch:
        _fail("--stop-on error needs --watch")
    if steps is not None and steps < 1:
        _fail(f"--steps {steps}: give a positive number of generator (or model) steps")
    if module:
        if mine:
            user_args = mine + user_args  # `-m pkg.mod` takes no file: anything else is the program's
        script = None
    else:
        if not mine:
            _fail("give the training script to run (ganlint probe train.py -- ARGS) or -m package.module")
        if len(mine) > 1:
            _fail(f"{mine[1]}: one program at a time; the program's own arguments go after `--`")
        script = mine[0]
        if not os.path.isfile(script):
            _fail(f"{script}: no such file")
    try:
        result = run_program(script, module, user_args, steps=steps, time_budget=time_budget, out=out,
                             fake_data=fake_data, watch=watch, stop_on=stop_on, seed=seed,
                             rule_options=opts.rule_options if rule_options is None else rule_options)
    except GanlintError as exc:
        _fail(str(exc))
    report = result.report
    if report is None:
        _fail(result.message)
    from ganlint.checking.runner import keep_configured

    kept = keep_configured(report.findings, opts)  # [tool.ganlint] select / ignore / per-file-ignores
    if len(kept) != len(report.findings):
        report.findings = kept
        report.write(out)
    program = script or f"-m {module}"
    if fmt == "text":
        sys.stdout.write(summary(report, result, program))
    else:
        from ganlint.report import render

        sys.stdout.write(render(report.findings, [], fmt, files=report.files))
    if result.failed:
        print(f"error: {result.message}", file=sys.stderr)
        raise typer.Exit(2)
    if report.stopped == "interrupted":  # as the recipe mode: a partial report is no all-clear
        from ganlint.cli import EXIT_INTERRUPTED
        from ganlint.core.display import shown

        print(f"interrupted at step {int(report.metrics.get('steps_run', 0))}: partial report in {shown(out)}",
              file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(1 if report.findings else 0)
