"""`ganlint probe PATH...`: train the user's networks briefly with instruments; report runtime findings.

Exit 0: no runtime findings; 1: findings; 2: errors (cannot build, user code raised, bad usage).
torch is imported only when the command runs.
"""
from __future__ import annotations

import glob
import os
import sys
from typing import List, Optional

import typer

from ganlint.cli import app


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
    lines.append(f"Found {len(report.findings)} runtime problem(s)." if report.findings else "No runtime problems found.")
    if paths:
        lines.append("Report: " + ", ".join(paths.values()))
    return "\n".join(lines) + "\n"


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

    if probe_run.run_mode_wanted(paths, module, run, recipe):
        probe_run.probe_program(paths, module=module, steps=steps, time_budget=time_budget, out=out, fmt=fmt.lower(),
                                fake_data=fake_data, watch=watch, stop_on=stop_on, seed=seed)
    from ganlint.core.errors import GanlintError

    if fmt.lower() not in ("text", "json", "sarif", "github"):
        print(f"error: --format {fmt!r}: choose text, json, sarif or github", file=sys.stderr)
        raise typer.Exit(2)
    try:
        from ganlint.checking.options import load_options

        opts = load_options()
    except GanlintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2)
    if not paths and (opts.model or opts.config):
        paths = [os.path.relpath(p) for p in ([opts.model] if opts.model else []) + list(opts.config)]
        print(f"probe: using {', '.join(paths)} (from [tool.ganlint] in {opts.source})", file=sys.stderr)
    if not paths:
        paths, how = default_paths()
        if not paths:
            print("error: no PATH given and no model*.py / config* here or [tool.ganlint] model/config in pyproject.toml",
                  file=sys.stderr)
            raise typer.Exit(2)
        print(f"probe: using {', '.join(paths)} (from {how})", file=sys.stderr)
    from ganlint.probe import run_probe

    try:
        report = run_probe(paths, steps=steps, seed=seed, device=device, family=family, data=data, entry=entry,
                           out_dir=out, time_budget=time_budget, early_stop=not full, write_report=True,
                           progress=sys.stderr.isatty(), threads=threads, rule_options=opts.rule_options)
    except GanlintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2)
    except KeyboardInterrupt:  # before training started (during training the run stops and reports)
        print("interrupted before training started: no report written", file=sys.stderr)
        raise typer.Exit(130)
    from ganlint.checking.registry import select_rules

    wanted = {r.code for r in select_rules(opts.select, opts.ignore)}
    kept = [f for f in report.findings if f.code in wanted]  # [tool.ganlint] select / ignore
    if len(kept) != len(report.findings):
        report.findings = kept
        report.write(out)
    written = {"json": os.path.join(out, "report.json"), "html": os.path.join(out, "report.html")}
    if fmt == "text":
        sys.stdout.write(summary_text(report, written))
    else:
        from ganlint.report import render

        sys.stdout.write(render(report.findings, [], fmt, files=report.files))
    raise typer.Exit(1 if report.findings else 0)
