"""`ganlint probe PATH...`: train the user's networks briefly with instruments; report runtime findings.

Exit 0: no runtime findings; 1: findings; 2: errors (cannot build, user code raised, bad usage);
130: interrupted (Ctrl-C) during training, after writing the partial report.
Options and paths are validated before torch is imported (a typo costs milliseconds, not the torch import).
"""
from __future__ import annotations

import glob
import os
import re
import sys
from typing import List, Optional

import typer

from ganlint.cli import EXIT_INTERRUPTED, app
from ganlint.core.display import shown


def default_paths(cwd: str = ".") -> tuple[list[str], str]:
    """[tool.ganlint] model/config of pyproject.toml, else model*.py + config* in cwd. Returns (paths, how)."""
    pp = os.path.join(cwd, "pyproject.toml")
    if os.path.isfile(pp):
        import tomllib

        try:
            with open(pp, "rb") as fh:
                tool = tomllib.load(fh).get("tool", {}).get("ganlint", {})
        except (OSError, tomllib.TOMLDecodeError):
            tool = {}
        picked = []
        for key in ("model", "config"):
            v = tool.get(key)
            for item in ([v] if isinstance(v, str) else list(v or [])):
                picked.append(os.path.join(cwd, item) if cwd != "." else item)
        if picked:
            return picked, "[tool.ganlint] in pyproject.toml"
    models = sorted(glob.glob(os.path.join(cwd, "model*.py")))
    configs = sorted(f for f in glob.glob(os.path.join(cwd, "config*"))
                     if os.path.splitext(f)[1].lower() in (".yaml", ".yml", ".json", ".toml", ".py"))
    found = [os.path.relpath(f, ".") if cwd == "." else f for f in models + configs]
    return found, "the current directory (model*.py, config*)"


def summary_text(report, paths: dict[str, str] | None = None) -> str:
    m = report.metrics
    lines = []
    lines.append(f"ganlint probe: {report.family} on {report.device}"
                 + (f" ({report.threads} thread{'s' if (report.threads or 1) > 1 else ''})" if report.threads else "")
                 + f", {int(m.get('steps_run', 0))}/{report.steps_requested} steps in {m.get('seconds', 0):.1f} s"
                 + f" [{report.stopped}], seed {report.seed}, data {report.data.get('name')}")
    keys = [("mode_coverage", "mode coverage", "{:.0%}"), ("spread_ratio", "spread ratio (gen/real)", "{:.2f}"),
            ("kl_real_fake", "KL(real||gen)", "{:.3g}"), ("kl_fake_real", "KL(gen||real)", "{:.3g}"),
            ("mmd", "MMD", "{:.3g}"), ("kl_final", "KL term", "{:.3g}"), ("kl_oscillation", "KL oscillation", "{:.3f}"),
            ("kl_trend", "KL trend /1k steps", "{:+.3g}"), ("energy_gap", "energy gap", "{:.3f}"),
            ("infonce_accuracy", "InfoNCE accuracy", "{:.3f}"), ("head_saturation", "head saturation", "{:.0%}"),
            ("max_saturation", "max saturation", "{:.0%}"), ("verdict_seconds", "first verdict after (s)", "{:.1f}")]
    parts = []
    for k, label, fmt in keys:
        v = m.get(k)
        if v is not None and v == v:
            parts.append(f"{label} {fmt.format(v)}")
    if parts:
        lines.append("  " + " · ".join(parts))
    for f in report.findings:
        lines.append(f"{f.location}: {f.code} [{f.slug}] {f.message}")
    for s in report.static:
        if s.get("status") in ("confirmed", "not harmful here"):
            by = f" by {', '.join(s['by'])}" if s.get("by") else ""
            lines.append(f"  static {s['code']}: {s['status']}{by}")
    for n in report.notes:
        lines.append(f"  note: {n}")
    for e in report.errors:
        lines.append(f"  error: {e}")
    if report.stopped == "interrupted":  # a partial run is no all-clear
        lines.append(f"Interrupted at step {int(m.get('steps_run', 0))}: partial report, "
                     f"{len(report.findings)} runtime problem(s) found so far.")
    else:
        lines.append(f"Found {len(report.findings)} runtime problem(s)." if report.findings else "No runtime problems found.")
    if paths:
        lines.append("Report: " + ", ".join(shown(p) for p in paths.values()))
    return "\n".join(lines) + "\n"


FAMILIES = ("wgan-gp", "wgan", "gan", "vae", "energy")
DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?|mps")


def usage_problem(steps, device, family, threads, time_budget, entry, data, out) -> str | None:
    """The first bad option, as the error line says it; None when all are usable. Never imports torch."""
    from ganlint.probe.data import BUILTINS

    if steps < 1:
        return f"--steps {steps}: must be at least 1"
    if not DEVICE.fullmatch(device.lower()):
        return f"--device {device!r}: choose auto, cpu, cuda or cuda:N"
    if family is not None and family.lower() not in FAMILIES:
        return f"--family {family!r}: choose {', '.join(FAMILIES)}"
    if threads is not None and threads < 1:
        return f"--threads {threads}: must be at least 1"
    if time_budget is not None and not time_budget > 0:
        return f"--time-budget {time_budget:g}: must be a positive number of seconds"
    if entry is not None:
        where, _, fn = entry.rpartition(":")
        if not where or not fn.isidentifier():
            return f"--entry {entry!r}: write it as module:function or path/to/file.py:function"
        if where.endswith(".py") and not os.path.isfile(where):
            return f"--entry {entry!r}: no such file {where}"
    if data is not None and data.lower() not in BUILTINS and not os.path.isfile(data):
        return f"--data {data!r}: no such file, and not a built-in set ({', '.join(BUILTINS)})"
    if os.path.exists(out) and not os.path.isdir(out):
        return f"--out {out!r}: is a file, not a folder"
    return None


def unreadable_inputs(paths: list[str]) -> list[str]:
    """Error lines (as `check` writes them) for missing paths and files that do not parse: the probe would
    otherwise train without them and report on the wrong project."""
    from ganlint.cli.check_cmd import error_line
    from ganlint.reading.discovery import discover
    from ganlint.reading.project import read_files

    files, errors = discover(paths)
    if not errors:
        errors = read_files(files).errors
    return [error_line(e) for e in errors]


@app.command()
def probe(
    paths: Optional[List[str]] = typer.Argument(None, help="Model code and configs (default: [tool.ganlint] or ./model*.py + config*)."),
    steps: int = typer.Option(2000, "--steps", help="Training steps (generator steps for GANs)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same metrics on CPU)."),
    data: Optional[str] = typer.Option(None, "--data", help="A .npy/.csv/.pt file or a built-in set (two_gaussians, ring8, grid9, grid25, vae_manifold, vae_drift, energy_pairs)."),
    out: str = typer.Option("ganlint-probe", "--out", help="Folder for report.json and report.html."),
    fmt: str = typer.Option("text", "--format", help="text, json, sarif or github."),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Stop after this many seconds and report."),
    entry: Optional[str] = typer.Option(None, "--entry", help="module:function returning the networks (and data)."),
    family: Optional[str] = typer.Option(None, "--family", help="wgan-gp, wgan, gan, vae or energy (default: from the code)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU intra-op threads (default: chosen by network size)."),
    full: bool = typer.Option(False, "--full", help="Run every step (no early stop once verdicts are stable)."),
    module: Optional[str] = typer.Option(None, "-m", help="Run this module as `python -m MODULE` would."),
    fake_data: bool = typer.Option(False, "--fake-data", help="Run mode: torchvision datasets become in-memory images."),
    watch: bool = typer.Option(False, "--watch", help="Run mode: no step limit; findings written as confirmed."),
    stop_on: Optional[str] = typer.Option(None, "--stop-on", help="With --watch: `error` stops the program at an error finding."),
    run: bool = typer.Option(False, "--run", help="Run the file as the training program (the default for a file with a loop)."),
    recipe: bool = typer.Option(False, "--recipe", help="Build the networks and train them with ganlint's recipe."),
) -> None:
    """Train the networks briefly with instruments and report runtime problems (GL5xx) with evidence.

    A training script (a file whose optimizer `.step()` is reached from module level or main()) is run
    unmodified, as `python train.py ARGS` would: `ganlint probe train.py [OPTIONS] -- ARGS`."""
    from ganlint.cli import probe_run
    from ganlint.core.errors import GanlintError

    if fmt.lower() not in ("text", "json", "sarif", "github"):
        print(f"error: --format {fmt!r}: choose text, json, sarif or github", file=sys.stderr)
        raise typer.Exit(2)
    problem = usage_problem(steps, device, family, threads, time_budget, entry, data, out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        raise typer.Exit(2)
    if probe_run.run_mode_wanted(paths, module, run, recipe):  # the user's own program (it exits)
        probe_run.probe_program(paths, module=module, steps=steps, time_budget=time_budget, out=out, fmt=fmt.lower(),
                                fake_data=fake_data, watch=watch, stop_on=stop_on, seed=seed)
    try:
        from ganlint.checking.options import load_options

        opts = load_options()
    except GanlintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2)
    if not paths and (opts.model or opts.config):
        paths = [os.path.relpath(p) for p in ([opts.model] if opts.model else []) + list(opts.config)]
        print(f"probe: using {', '.join(map(shown, paths))} (from [tool.ganlint] in {shown(opts.source)})", file=sys.stderr)
    if not paths:
        paths, how = default_paths()
        if not paths:
            print("error: no PATH given and no model*.py / config* here or [tool.ganlint] model/config in pyproject.toml",
                  file=sys.stderr)
            raise typer.Exit(2)
        print(f"probe: using {', '.join(map(shown, paths))} (from {how})", file=sys.stderr)
    bad = unreadable_inputs(paths)
    if bad:
        sys.stderr.write("\n".join(bad) + "\n")
        raise typer.Exit(2)
    from ganlint.probe import run_probe

    try:
        report = run_probe(paths, steps=steps, seed=seed, device=device.lower(), family=family and family.lower(), data=data, entry=entry,
                           out_dir=out, time_budget=time_budget, early_stop=not full, write_report=True,
                           progress=sys.stderr.isatty(), threads=threads, rule_options=opts.rule_options)
    except GanlintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2)
    except ModuleNotFoundError as exc:  # a check-only install (bootstrap.sh --check-only)
        if (exc.name or "").split(".")[0] not in ("torch", "numpy"):
            raise
        print(f"error: `ganlint probe` needs the probe extra ({exc.name} is not installed): "
              "pip install 'ganlint[probe]'", file=sys.stderr)
        raise typer.Exit(2)
    except KeyboardInterrupt:  # before training started (during training the run stops and reports)
        print("interrupted before training started: no report written", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED)
    from ganlint.checking.runner import keep_configured

    kept = keep_configured(report.findings, opts)  # [tool.ganlint] select / ignore / per-file-ignores
    if len(kept) != len(report.findings):
        report.findings = kept
        report.write(out)
    written = {"json": os.path.join(out, "report.json"), "html": os.path.join(out, "report.html")}
    if fmt == "text":
        sys.stdout.write(summary_text(report, written))
    else:
        from ganlint.report import render

        sys.stdout.write(render(report.findings, [], fmt, files=report.files))
    if report.stopped == "interrupted":  # a partial report is no all-clear
        print(f"interrupted at step {int(report.metrics.get('steps_run', 0))}: partial report in {shown(out)}", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(1 if report.findings else 0)
