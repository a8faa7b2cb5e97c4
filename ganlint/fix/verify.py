"""`ganlint fix --verify`: probe the baseline and each stage with short runs that rank them, keep a stage only
when the measured health improves, search the knobs the documents give as ranges (the documents' choice
first), then confirm: the chosen configuration is trained for the full `--steps` (default 2000), every step,
and that run alone gives the verdict (exit 0 healthy, 1 problems remain, 2 errors).

Runtime evidence the static check missed becomes a repair too (ganlint/fix/evidence.py): a saturated Sigmoid
layer measured by the probe is traced to the setting that chose it.

Pieces: probing.py (one probe run, Run, healthy/better, the pool of worker processes), search.py (Optuna).
"""
from __future__ import annotations

import dataclasses
import os
import resource
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ganlint.core.types import Edit
from ganlint.fix import FixResult, apply_plan
from ganlint.fix.planner import Plan, PlannedFix
from ganlint.fix.probing import (GAN_FAMILIES, SEVERITY_WEIGHT, SPREAD_OK, SYMPTOM, Run, _Pool, _fmt, _run_from,  # noqa: F401
                                 better, is_healthy, probe_texts, problems)
from ganlint.fix.search import KEY_METRICS, _search, _symptom_worse, default_study_name, knob_space  # noqa: F401

FINAL_STEPS = 2000  # the verdict's run length when --steps is not given
# ranking probe steps per family: enough for the family's symptom to show on CPU (never more than --steps)
RANK_STEPS = {"wgan-gp": 600, "wgan": 600, "gan": 600, "vae": 2000, "energy": 1000}
DEFAULT_STEPS = {fam: max(FINAL_STEPS, n) for fam, n in RANK_STEPS.items()}  # the CLI's --steps default


@dataclass
class VerifyOptions:
    steps: int = FINAL_STEPS  # the final run's length; ranking probes run min(steps, rank_steps)
    trials: int = 6
    storage: str | None = None
    study_name: str | None = None
    workers: int = 0
    data: Any = None
    entry: str | None = None
    device: str = "auto"
    seed: int = 0
    time_budget: float | None = None
    family: str | None = None
    report_dir: str | None = "fix-report"
    progress: bool = True
    probe_fn: Callable[..., dict] | None = None  # tests/benchmarks: replaces the real probe (same signature as probe_texts)
    rank_steps: int | None = None  # default RANK_STEPS[family]
    runtime_repairs: bool = True  # turn runtime evidence (a saturated layer) into repairs at the deciding setting
    # run mode (ganlint/fix/program.py): the training program each probe run executes, patched, in a scratch copy
    program: str | None = None  # its absolute path; None: the recipe mode
    program_args: list[str] = field(default_factory=list)  # its own arguments (after `--`)
    cwd: str | None = None  # where the user runs it (default: the current directory)
    mirror: str | None = None  # the folder each scratch copy mirrors (default: program.mirror_root)
    rule_options: dict[str, dict[str, Any]] | None = None  # [tool.ganlint.rules.*]: they shape the traced run's instruments

    def ranking_steps(self) -> int:
        return min(self.steps, self.rank_steps or RANK_STEPS.get(self.family or "", 1000))

    def probe_kwargs(self) -> dict[str, Any]:
        kw = {"steps": self.ranking_steps(), "seed": self.seed, "device": self.device, "family": self.family,
              "data": self.data, "entry": self.entry, "time_budget": self.time_budget}
        if self.program:
            kw.update(program=self.program, args=list(self.program_args), cwd=self.cwd or os.getcwd(),
                      mirror=self.mirror, rule_options=self.rule_options)
        return kw


@dataclass
class VerifyResult:
    result: FixResult
    baseline: Run
    stage_runs: list[tuple[int, Run, bool]]  # (stage, run, kept)
    trials: list[Run]
    final: Run  # the confirmation run: the chosen configuration at the full --steps
    probe_runs: int
    cpu_seconds: float
    wall_seconds: float
    study_name: str | None = None
    report_paths: dict[str, str] = field(default_factory=dict)
    search_params: dict[str, Any] = field(default_factory=dict)
    first_healthy_run: int | None = None  # 1-based index among probe runs (baseline = 1)
    ranked: Run | None = None  # the chosen configuration's ranking run (short)
    runtime_fixes: list[PlannedFix] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    program: str | None = None  # run mode: the training program each probe run executed, patched

    @property
    def exit_code(self) -> int:
        """0: the final run is healthy; 1: problems remain; 2: the final run could not be measured."""
        if self.final.error:
            return 2
        return 0 if self.final.healthy else 1

    def problems(self) -> list[str]:
        return problems(self.final)

    def summary_lines(self) -> list[str]:
        b, f = self.baseline, self.final
        lines = [f"verify: baseline health {b.score:.3f}{' (healthy)' if b.healthy else ''}; codes {', '.join(b.codes) or '-'}"
                 f" ({b.steps or '?'} steps)"]
        for fx in self.runtime_fixes:
            lines.append(f"  runtime evidence: {fx.code} {fx.message}")
        for st, run, kept in self.stage_runs:
            lines.append(f"  stage {st}: health {run.score:.3f}{' (healthy)' if run.healthy else ''}, codes {', '.join(run.codes) or '-'} -> "
                         + ("kept" if kept else f"dropped (the run failed: {run.error})" if run.error else f"dropped (no measured improvement in {run.metrics.get('steps_run', '?'):g} steps; "
                                                 f"more --steps, or apply it without --verify)" if isinstance(run.metrics.get('steps_run'), (int, float))
                            else "dropped (no measured improvement)"))
        if self.trials:
            chosen = f"chosen {self.final.params}" if self.final.params else "none better than the kept stages"
            lines.append(f"  search: {len(self.trials)} trial(s); {chosen}")
        lines.append(f"verify: final run of the chosen configuration, {f.steps or '?'} steps: health {f.score:.3f}"
                     f"{' (healthy)' if f.healthy else ' (still unhealthy)'}; codes {', '.join(f.codes) or '-'}; "
                     f"{self.probe_runs} probe run(s), CPU {self.cpu_seconds:.1f} s")
        for k in KEY_METRICS:
            if k in b.metrics or k in f.metrics:
                lines.append(f"  {k}: {_fmt(b.metrics.get(k))} -> {_fmt(f.metrics.get(k))}")
        for p in (self.problems() if not f.healthy else []):
            lines.append(f"  problem: {p}")
        for n in self.notes:
            lines.append(f"  note: {n}")
        for p in self.report_paths.values():
            lines.append(f"  report: {os.path.relpath(p)}")
        return lines


def _stage_texts(plan: Plan, base: dict[str, str], stage: int) -> dict[str, str]:
    """base + one stage's fixes, fix by fix (a fix that cannot apply is skipped, as in apply_plan)."""
    from ganlint.fix.edits import EditError, apply_edits

    texts = dict(base)
    for fx in sorted((f for f in plan.fixes if f.stage == stage), key=lambda f: f.code):
        try:
            texts.update(apply_edits(texts, fx.edits))
        except EditError:
            continue
    return texts


def _rank_stages(plan: Plan, stages: list[int], pool: _Pool, workers: int, base: Run, base_texts: dict[str, str],
                 family: str | None) -> tuple[Run, dict[str, str], list[int], list[tuple[int, Run, bool]]]:
    """Cumulative stages, speculatively in parallel: a chain of candidates (+S1, +S1+S2, ...) is probed at once; a
    dropped stage invalidates the rest of the chain, re-probed next round."""
    stage_runs: list[tuple[int, Run, bool]] = []
    kept: list[int] = []
    best, best_texts = base, base_texts
    pending = list(stages)
    while pending:
        chain, t = [], best_texts
        for s in pending[: max(1, workers)]:
            t = _stage_texts(plan, t, s)
            chain.append((f"stage {s}", t))
        out = pool.run(chain)
        used = 0
        for d, (_label, texts), s in zip(out, chain, pending):
            run = _run_from(d)
            ok = better(run, best, family)
            stage_runs.append((s, run, ok))
            used += 1
            if ok:
                best, best_texts = run, texts
                kept.append(s)
            else:
                break
        pending = pending[used:]
    return best, best_texts, kept, stage_runs


def verify_plan(plan: Plan, *, upto: int | None = None, options: VerifyOptions | None = None,
                progress: Callable[[dict[str, Any]], None] | None = None) -> VerifyResult:
    """`progress`, when given, is called before and after each probe run with {"event": "probing" | "probed",
    "label", "done", "planned" (runs expected at most), "seconds" (of the finished run)}."""
    from ganlint.fix.writer import common_root

    opts = options or VerifyOptions()
    if opts.family is None:
        opts.family = plan.family
    t_wall, t_cpu = time.perf_counter(), _cpu()
    root = common_root(plan.files)
    workers = opts.workers or min(os.cpu_count() or 1, 4)
    notes: list[str] = []
    runtime: list[PlannedFix] = []
    if opts.program:  # run mode: every probe run is the user's patched program (ganlint/fix/program.py)
        from ganlint.fix.program import mirror_root

        opts.cwd = os.path.abspath(opts.cwd or os.getcwd())
        opts.mirror = opts.mirror or mirror_root(plan.files, opts.program, opts.cwd)
        where = "the current directory" if opts.mirror == opts.cwd else os.path.relpath(opts.mirror, opts.cwd)
        notes.append(f"each probe run ran the patched program {os.path.relpath(opts.program, opts.cwd)} in a scratch copy "
                     f"of {where}; the user's files were only read")

    with _Pool(workers, opts, plan.files, root) as pool:
        stages = sorted(s for s in plan.stages if upto is None or s <= upto)
        pool.on_progress, pool.planned = progress, 2 + len(stages) + max(opts.trials, 0)
        baseline = _run_from(pool.run([("baseline", dict(plan.texts))])[0])
        if baseline.error:  # nothing measured (the program crashed, the model did not build): nothing to judge
            return _finish(VerifyResult(FixResult(plan, [], {}, upto), baseline, [], [], baseline, pool.count,
                                        _cpu() - t_cpu, time.perf_counter() - t_wall, notes=notes), plan, opts)
        if opts.runtime_repairs and baseline.findings and opts.probe_fn is None and not opts.program:
            from ganlint.fix.evidence import runtime_repairs

            runtime, ev_notes = runtime_repairs(plan, plan.texts, baseline.findings, opts.probe_kwargs(), root)
            notes.extend(ev_notes)
            if runtime:  # evidence the static check missed: its repair joins its rule's stage
                plan = dataclasses.replace(plan, fixes=[*plan.fixes, *runtime])
                stages = sorted(s for s in plan.stages if upto is None or s <= upto)
        best, best_texts, kept, stage_runs = _rank_stages(plan, stages, pool, workers, baseline, dict(plan.texts),
                                                          opts.family)
        # the search over the documents' ranges, on top of the kept stages
        trials: list[Run] = []
        staged, staged_texts = best, best_texts
        space = knob_space(plan, best_texts, opts.family)
        study_name = None
        if space and opts.trials > 0 and (not best.healthy or _symptom_worse(best, baseline, opts.family)):
            trials, best_t, study_name = _search(plan, space, best_texts, best, pool, opts, workers, baseline)
            if best_t is not None and better(best_t[0], best, opts.family):
                best, best_texts = best_t
        # the verdict: the chosen configuration at the full length, every step. Short runs rank, but a 600-step
        # ranking can prefer a setting that is worse at 2000: the search's best and the kept stages' result both
        # run in full (in parallel) and the better full run is chosen.
        ranked = best
        full = ((best.metrics.get("steps_run") or 0) >= opts.steps and best.steps == opts.steps
                or bool(best.metrics.get("_ran_to_end")))  # a program whose own loop ended: no longer run exists
        if full and not best.error:
            final = best  # the ranking run already trained every step of --steps
        else:
            cands = [("final", best_texts, best.params)]
            every = dict(plan.texts)
            for s_ in stages:  # the documents' whole plan: a stage a short run dropped may pay off at full length
                every = _stage_texts(plan, every, s_)
            for label, texts in (("final (every stage)", every), ("final (kept stages, no search)", staged_texts)):
                if len(cands) < max(2, workers) and all(texts != c[1] for c in cands):
                    cands.append((label, texts, {}))
            outs = pool.run([(label, texts) for label, texts, _ in cands], steps=opts.steps, early_stop=False)
            runs = [(_run_from(d, params), texts) for d, (_, texts, params) in zip(outs, cands)]
            final, best_texts = runs[0]
            for run, texts in runs[1:]:
                if (run.healthy and not final.healthy) or (run.healthy == final.healthy and better(run, final, opts.family)):
                    final, best_texts = run, texts
            if best_texts == every and every != staged_texts:
                kept = list(stages)  # every stage, as the documents order them, won at full length
                notes.append("the full-length runs chose every stage of the plan over the short runs' choice")
            elif final.params != ranked.params:
                notes.append(f"the full-length runs chose the kept stages without the search's {ranked.params}")
        final.healthy = final.healthy and not _symptom_worse(final, baseline, opts.family)
    result = _result_for(plan, best_texts, kept, upto, final.params)
    cpu = _cpu() - t_cpu
    first_healthy = next((i + 1 for i, r in enumerate(pool.log) if r.healthy), None)
    vres = VerifyResult(result, baseline, stage_runs, trials, final, pool.count, cpu, time.perf_counter() - t_wall,
                        study_name, first_healthy_run=first_healthy, ranked=ranked, runtime_fixes=runtime, notes=notes)
    vres.search_params = final.params
    return _finish(vres, plan, opts)


def _finish(vres: VerifyResult, plan: Plan, opts: VerifyOptions) -> VerifyResult:
    vres.program = opts.program
    if opts.report_dir:
        from ganlint.fix.report import write_reports

        vres.report_paths = write_reports(vres, plan, opts.report_dir)
    return vres


def _result_for(plan: Plan, texts: dict[str, str], kept: list[int], upto, params: dict[str, Any] | None = None) -> FixResult:
    params = params or {}
    applied = [f for f in plan.fixes if f.stage in kept]
    extra = [k for k in plan.files if texts[k] != plan.texts[k]]
    new = {k: texts[k] for k in extra}
    res = FixResult(plan, applied, new, upto)
    # knobs changed by the search show as one more applied "fix"
    base_after = apply_plan(plan, only=set(kept)).new_texts if kept else {}
    if any(new.get(k) != base_after.get(k) for k in set(new) | set(base_after)):
        res.applied.append(PlannedFix("search", max(kept or [0]) + 1, "knobs searched in the documents' ranges (Optuna): "
                                      + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()),
                                      "000/003/004", [Edit("set-setting", f, target=None) for f in sorted(new)], True, "verify"))
    return res



def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime
