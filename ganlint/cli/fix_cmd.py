"""`ganlint fix PATH...`: the staged repairs of RULES.md written as corrected configs and code."""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from ganlint.cli import EXIT_INTERRUPTED, app


# what `pip install 'ganlint[fix]'` brings (pyproject.toml); a missing one is a setup step, not a crash
FIX_EXTRA = ("ruamel", "libcst", "tomlkit", "optuna", "torch", "numpy")
INSTALL_FIX = "pip install 'ganlint[fix]'"


def _selectors(values: Optional[List[str]], where: str) -> list[str] | None:
    """--select/--ignore as `check` reads them (codes, prefixes, names, ALL; an unknown rule is an error),
    names turned into their codes for the planner."""
    from ganlint.checking import registry
    from ganlint.checking.options import split_selectors, validate_selectors

    out = split_selectors(values)
    if not out:
        return None
    known = registry.known_selectors()  # as check
    validate_selectors(out, known, where)
    by_slug = {slug: code for code, slug in known}
    return [by_slug.get(v.lower(), v) for v in out]


@app.command()
def fix(
    paths: Optional[List[str]] = typer.Argument(None, help="model code and configs (default: [tool.ganlint] model/config, else the ones here)"),
    diff: bool = typer.Option(False, "--diff", help="only print a unified diff; write nothing"),
    in_place: bool = typer.Option(False, "--in-place", "--write", help="edit the originals (atomically)"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="write the whole fixed project into DIR"),
    stage: Optional[int] = typer.Option(None, "--stage", min=1, max=9, help="apply stages 1..N only"),
    all_stages: bool = typer.Option(False, "--all-stages", help="apply every stage (incl. 'only if still unhealthy')"),
    select: Optional[List[str]] = typer.Option(None, "--select", help="only these rule codes/prefixes (comma-separated)"),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="never these rule codes/prefixes"),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="also apply fixes marked unsafe"),
    family: Optional[str] = typer.Option(None, "--family", help="wgan-gp | wgan | gan | vae | energy (default: inferred)"),
    verify: bool = typer.Option(False, "--verify", help="probe the baseline and each stage; keep what measurably helps"),
    steps: Optional[int] = typer.Option(None, "--steps", min=1, help="--verify: steps of the final run that gives the verdict (default 2000); ranking probes run at most GAN 600, energy 1000, VAE 2000"),
    trials: int = typer.Option(6, "--trials", min=0, help="--verify: at most this many search trials (probe runs)"),
    storage: Optional[str] = typer.Option(None, "--storage", help="--verify: Optuna storage URL (sqlite:///f.db, postgresql://...)"),
    study_name: Optional[str] = typer.Option(None, "--study-name", help="--verify: shared study name (default from the files)"),
    workers: int = typer.Option(0, "--workers", min=0, help="--verify: parallel probe processes (0 = cores, max 4)"),
    data: Optional[str] = typer.Option(None, "--data", help="--verify: data file or built-in set for the probe"),
    entry: Optional[str] = typer.Option(None, "--entry", help="--verify: module:function returning the networks"),
    device: str = typer.Option("auto", "--device", help="--verify: cpu | cuda | auto"),
    seed: int = typer.Option(0, "--seed", help="--verify: probe seed"),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="--verify: seconds per probe run"),
    report_dir: Optional[str] = typer.Option(None, "--report-dir", help="--verify: where fix-report.json/html go (default: fix-report, under -o DIR with -o)"),
    run: bool = typer.Option(False, "--run", help="--verify: run the training program among the inputs, patched (default for one .py with a loop)"),
    recipe: bool = typer.Option(False, "--recipe", help="--verify: train ganlint's recipe on the model, never the program"),
) -> None:
    """Apply the documents' staged fixes (RULES.md) to configs and code, keeping the files as written."""
    from ganlint.core.errors import GanlintError, UsageError

    try:
        if sum(bool(x) for x in (diff, in_place, output)) > 1:
            raise UsageError("--diff, --in-place and -o are mutually exclusive")
        if stage is not None and all_stages:
            raise UsageError("--stage and --all-stages are mutually exclusive")
        if (storage or study_name) and not verify:
            raise UsageError("--storage/--study-name need --verify")
        if (run or recipe) and not verify:
            raise UsageError("--run/--recipe need --verify")
        if run and recipe:
            raise UsageError("--run and --recipe are mutually exclusive")
        from ganlint.cli.probe_run import program_args

        paths, user_args = program_args(paths)  # the program's own arguments come after `--`
        if user_args and not verify:
            raise UsageError(f"{user_args[0]}: arguments after `--` are the program's, for --verify")
        if report_dir is None:
            report_dir = os.path.join(output, "fix-report") if output else "fix-report"
        code = _run(paths, diff=diff, in_place=in_place, output=output, stage=stage, all_stages=all_stages,
                    select=_selectors(select, "--select"), ignore=_selectors(ignore, "--ignore"), unsafe=unsafe_fixes, family=family, verify=verify,
                    steps=steps, trials=trials, storage=storage, study_name=study_name, workers=workers, data=data,
                    entry=entry, device=device, seed=seed, time_budget=time_budget, report_dir=report_dir,
                    run=run, recipe=recipe, program_args=user_args)
    except GanlintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(2)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in FIX_EXTRA:
            raise
        print(f"error: `ganlint fix` needs the fix extra ({exc.name} is not installed): {INSTALL_FIX}", file=sys.stderr)
        raise typer.Exit(2)
    except KeyboardInterrupt:
        print("error: interrupted; nothing written", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(code)


def _run(paths, *, diff, in_place, output, stage, all_stages, select, ignore, unsafe, family, verify, steps, trials,
         storage, study_name, workers, data, entry, device, seed, time_budget, report_dir, run=False, recipe=False,
         program_args=()) -> int:
    from ganlint.core.display import shown
    from ganlint.core.errors import UsageError
    from ganlint.fix import DEFAULT_MAX_STAGE, apply_plan, input_files
    from ganlint.fix.planner import STAGE_NAMES, make_plan

    from ganlint.checking.options import load_options

    options = load_options()  # once per run: [tool.ganlint] as `check` reads it
    files = input_files(paths, exclude=[output] if output else None, options=options)
    plan = make_plan(files, family=family, select=select, ignore=ignore, unsafe=unsafe, options=options)
    upto = stage if stage is not None else (None if (all_stages or verify) else DEFAULT_MAX_STAGE)
    if verify:
        from ganlint.cli.progress import VerifyProgress
        from ganlint.fix.verify import DEFAULT_STEPS, VerifyOptions, verify_plan

        from ganlint.fix.program import training_program
        from ganlint.probe.builder import ENTRY_NAME, model_files_in  # (no torch: an AST scan)

        if run and (data or entry):
            raise UsageError("--data/--entry are for the recipe mode: --run runs the program with its own data and networks")
        # --data/--entry name what the recipe trains: they choose the recipe mode
        program = training_program(paths, plan.files, run=run, recipe=recipe or bool(data or entry))
        if program_args and not program:
            raise UsageError(f"{program_args[0]}: arguments after `--` are for a training program (give its .py file, or --run)")
        if not program and not entry and not model_files_in(plan.files):
            raise UsageError(f"--verify probes the model: no model code (nn.Module classes or {ENTRY_NAME}) among "
                             "the inputs; pass the model's .py file too, or --entry module:function")
        steps = steps or DEFAULT_STEPS.get(family or plan.family or "", 2000)
        opts = VerifyOptions(steps=steps, trials=trials, storage=storage, study_name=study_name, workers=workers,
                             data=data, entry=entry, device=device, seed=seed, time_budget=time_budget,
                             family=family, report_dir=report_dir, progress=False, program=program,
                             program_args=list(program_args), rule_options=options.rule_options)
        bar = VerifyProgress(sys.stderr) if sys.stderr.isatty() else None
        try:
            vres = verify_plan(plan, upto=upto, options=opts, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        if vres.baseline.error:  # the probe could not run the project: no measurement, no verified fix
            if program:
                raise UsageError(f"--verify: {shown(os.path.relpath(program))} did not run (before any fix): {vres.baseline.error}")
            raise UsageError(f"--verify: the probe cannot run this project: {vres.baseline.error}")
        result = vres.result
    else:
        vres = None
        result = apply_plan(plan, upto)

    out = sys.stderr if diff else sys.stdout
    names = STAGE_NAMES.get(plan.family or "", {})
    failed = [fx for fx, _ in getattr(result, "failed", [])]
    if not result.applied and not plan.unsafe_skipped:
        print("No fix could be applied (see below)." if failed else
              "Nothing to fix." if not plan.manual else "No automatic fix applies.", file=out)
    for f in [f for f in result.applied if f.code == "search"]:
        print(f"search: {f.message.split(': ', 1)[-1]} -> {', '.join(sorted({shown(os.path.relpath(e.file)) for e in f.edits}))}", file=out)
    for st in sorted({f.stage for f in result.applied if f.code != "search"}):
        print(f"stage {st}" + (f" ({names[st]})" if st in names else "") + ":", file=out)
        groups: dict[str, list] = {}
        for f in sorted((f for f in result.applied if f.stage == st and f.code != "search"),
                        key=lambda f: (f.code, f.origin != "rule")):
            groups.setdefault(f.code, []).append(f)
        for code, fs in groups.items():  # one line per rule: its own message, the files of every edit
            files_ = sorted({shown(os.path.relpath(e.file)) for f in fs for e in f.edits})
            src = next((f.source for f in fs if f.source), "ganlint")
            print(f"  {code} {shown(fs[0].message)}  [{src}] -> {', '.join(files_)}", file=out)
    later = [f for f in plan.fixes if f not in result.applied and f not in failed]  # failed ones: listed below
    if later and vres is None:
        print(f"{len(later)} fix(es) of later stages not applied (use --all-stages or --verify): "
              + ", ".join(sorted({f'{f.code}@{f.stage}' for f in later})), file=out)
    if vres is not None:
        for line in vres.summary_lines():
            print(line, file=out)
    for line in failed_lines(getattr(result, "failed", [])):
        print(line, file=out)
    if plan.unsafe_skipped:
        print(f"{len(plan.unsafe_skipped)} unsafe fix(es) not applied (use --unsafe-fixes): "
              + ", ".join(sorted({f.code for f in plan.unsafe_skipped})), file=out)
    for f in plan.manual:
        print(f"  manual: {f.location}: {f.code} {shown(f.fix.message if f.fix else f.message)}", file=out)

    # --verify: 0 only when the final full-length run is healthy, 1 when problems remain (named above), 2 errors
    code = vres.exit_code if vres is not None else 0
    if vres is not None and vres.final.error:
        print(f"error: the final run failed: {vres.final.error}", file=sys.stderr)
    if diff:
        sys.stdout.write(result.diff())
        return code
    if not result.new_texts:
        return code
    mode = "in-place" if in_place else ("dir" if output else "copies")
    written = result.write(mode, output)
    print("Wrote " + ", ".join(shown(os.path.relpath(p)) for p in written), file=out)
    return code


def failed_lines(failed: list) -> list[str]:
    """One line per fix that could not be applied; fixes failing for one reason (a file too large to edit
    names that file: thousands of fixes in one pasted script) share one line with their count."""
    from ganlint.core.display import shown

    by_why: dict[str, list] = {}
    for fx, why in failed:
        by_why.setdefault(why, []).append(fx)
    lines = []
    for why, fxs in by_why.items():
        if len(fxs) == 1:
            lines.append(f"  not applied: {fxs[0].code} {shown(fxs[0].message)}: {why}")
        else:
            codes = ", ".join(sorted({fx.code for fx in fxs}))
            lines.append(f"  not applied: {len(fxs)} fixes ({codes}): {why}")
    return lines
