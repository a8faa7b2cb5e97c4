"""`ganlint fix --verify`: probe the baseline and each stage, keep a stage only when the measured health
improves, then search the knobs the documents give as ranges with Optuna (the documents' choice first).

Probe runs go to worker processes (spawned; each writes its candidate project into a temp dir and calls
`ganlint.probe.run_probe` on it). The study lives in the parent and is driven by ask/tell, so its storage
can be in-memory (default), a local SQLite file (resume) or any database URL Optuna supports
(postgresql://...) shared by several machines running `ganlint fix --verify --storage URL` at once.
"""
from __future__ import annotations

import hashlib
import math
import os
import resource
import shutil
import socket
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from ganlint.core.errors import GanlintError, UsageError
from ganlint.core.types import Edit
from ganlint.fix import FixResult, apply_plan
from ganlint.fix.edits import apply_edits
from ganlint.fix.planner import KNOBS, Plan, PlannedFix, Project

GAN_FAMILIES = ("wgan-gp", "wgan", "gan")
KEY_METRICS = ("mode_coverage", "spread_ratio", "kl_real_fake", "kl_oscillation", "kl_trend_rel", "energy_gap",
               "infonce_accuracy", "head_saturation", "max_saturation")
SPREAD_OK = (0.7, 1.4)
# probe steps per run when --steps is not given: enough for the family's symptom to show on CPU
DEFAULT_STEPS = {"wgan-gp": 600, "wgan": 600, "gan": 600, "vae": 2000, "energy": 1000}


@dataclass
class VerifyOptions:
    steps: int = 600
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

    def probe_kwargs(self) -> dict[str, Any]:
        return {"steps": self.steps, "seed": self.seed, "device": self.device, "family": self.family, "data": self.data,
                "entry": self.entry, "time_budget": self.time_budget}


@dataclass
class Run:
    label: str
    score: float
    healthy: bool
    metrics: dict[str, Any]
    codes: list[str]
    seconds: float = 0.0
    samples: dict[str, Any] = field(default_factory=dict)
    per_mode: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "health": self.score, "healthy": self.healthy, "codes": self.codes,
                "metrics": {k: _clean(v) for k, v in self.metrics.items()}, "per_mode": self.per_mode,
                "seconds": round(self.seconds, 2), "error": self.error, "params": self.params}


@dataclass
class VerifyResult:
    result: FixResult
    baseline: Run
    stage_runs: list[tuple[int, Run, bool]]  # (stage, run, kept)
    trials: list[Run]
    final: Run
    probe_runs: int
    cpu_seconds: float
    wall_seconds: float
    study_name: str | None = None
    report_paths: dict[str, str] = field(default_factory=dict)
    search_params: dict[str, Any] = field(default_factory=dict)
    first_healthy_run: int | None = None  # 1-based index among probe runs (baseline = 1)

    def summary_lines(self) -> list[str]:
        b, f = self.baseline, self.final
        lines = [f"verify: baseline health {b.score:.3f}{' (healthy)' if b.healthy else ''}; codes {', '.join(b.codes) or '-'}"]
        for st, run, kept in self.stage_runs:
            lines.append(f"  stage {st}: health {run.score:.3f}{' (healthy)' if run.healthy else ''}, codes {', '.join(run.codes) or '-'} -> "
                         + ("kept" if kept else f"dropped (no measured improvement in {run.metrics.get('steps_run', '?'):g} steps; "
                                                 f"more --steps, or apply it without --verify)" if isinstance(run.metrics.get('steps_run'), (int, float))
                            else "dropped (no measured improvement)"))
        if self.trials:
            chosen = f"chosen {self.final.params}" if self.final.params else "none better than the kept stages"
            lines.append(f"  search: {len(self.trials)} trial(s); {chosen}")
        lines.append(f"verify: final health {f.score:.3f}{' (healthy)' if f.healthy else ' (still unhealthy)'}; "
                     f"codes {', '.join(f.codes) or '-'}; {self.probe_runs} probe run(s), CPU {self.cpu_seconds:.1f} s")
        for k in KEY_METRICS:
            if k in b.metrics or k in f.metrics:
                lines.append(f"  {k}: {_fmt(b.metrics.get(k))} -> {_fmt(f.metrics.get(k))}")
        for p in self.report_paths.values():
            lines.append(f"  report: {os.path.relpath(p)}")
        return lines


# -- one probe run (worker process) ----------------------------------------------------------------
def _write_project(texts: dict[str, str], files: list[str], root: str, dest: str) -> list[str]:
    out = []
    for f in files:
        rel = os.path.relpath(os.path.abspath(f), root)
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(texts[f])
        out.append(path)
    return out


def probe_texts(texts: dict[str, str], files: list[str], root: str, kwargs: dict[str, Any], label: str = "") -> dict[str, Any]:
    """Write the candidate project to a temp dir, probe it, return plain numbers (picklable)."""
    from ganlint.probe import health_score, run_probe

    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="ganlint-verify-")
    try:
        written = _write_project(texts, files, root, tmp)
        try:
            report = run_probe(written, write_report=False, progress=False, threads=1, early_stop=True, **kwargs)
        except GanlintError as exc:
            return {"label": label, "score": 50.0, "healthy": False, "metrics": {}, "codes": [], "error": str(exc),
                    "seconds": time.perf_counter() - t0}
        d = report.to_dict()
        metrics = dict(d.get("metrics", {}))
        metrics["_finding_weight"] = sum(SEVERITY_WEIGHT.get(f.get("severity"), 1.0) for f in d.get("findings", [])
                                         if f["code"].startswith("GL5"))
        return {"label": label, "score": float(health_score(report)), "healthy": is_healthy(d), "metrics": metrics,
                "codes": sorted({f["code"] for f in d.get("findings", [])}), "samples": _small_samples(d.get("samples", {})),
                "per_mode": _per_mode(d), "series": _small_series(d.get("series", {})),
                "seconds": time.perf_counter() - t0, "error": None}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


PLOT_SERIES = ("spread_ratio", "mode_coverage", "kl_real_fake", "kl", "energy_gap", "loss_d", "loss_g", "loss")


def _small_series(series: dict[str, Any], n: int = 120) -> dict[str, list]:
    out = {}
    for k in PLOT_SERIES:
        pts = series.get(k)
        if isinstance(pts, list) and pts:
            stride = max(1, len(pts) // n)
            out[k] = pts[::stride]
    return out


def _small_samples(samples: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k in ("real", "fake"):
        pts = samples.get(k)
        if isinstance(pts, list):
            out[k] = pts[:400]
    return out


def _per_mode(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-mode spread ratios wherever the report carries them."""
    samples = d.get("samples", {}) or {}
    for where in (samples.get("stats", {}), d.get("metrics", {}), d.get("data", {}), samples):
        pm = where.get("per_mode") if isinstance(where, dict) else None
        if isinstance(pm, list):
            return pm
    for f in d.get("findings", []):
        pm = (f.get("evidence") or {}).get("per_mode")
        if isinstance(pm, list):
            return pm
    return []


def is_healthy(d: dict[str, Any]) -> bool:
    """No runtime warning/error, and the family's key numbers in range (both modes covered, spread 0.7-1.4x)."""
    if d.get("errors") or d.get("stopped") in ("non-finite", "error"):
        return False
    for f in d.get("findings", []):
        if f["code"].startswith("GL5") and f.get("severity") in ("warning", "error"):
            return False
    m = d.get("metrics", {})
    fam = d.get("family")
    if fam in GAN_FAMILIES:
        cov, sr = m.get("mode_coverage"), m.get("spread_ratio")
        if cov is not None and _finite(cov) and cov < 0.999:
            return False
        if sr is not None and _finite(sr) and not SPREAD_OK[0] <= sr <= SPREAD_OK[1]:
            return False
        for pm in _per_mode(d):
            r = pm.get("spread_ratio")
            if r is not None and not SPREAD_OK[0] <= r <= SPREAD_OK[1]:
                return False
    if fam == "energy":
        gap = m.get("energy_gap")
        if gap is not None and _finite(gap) and gap < 0.1:
            return False
    if (m.get("non_finite") or 0) > 0:
        return False
    return True


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def _run_from(d: dict[str, Any], params: dict[str, Any] | None = None) -> Run:
    return Run(d.get("label", ""), float(d["score"]), bool(d["healthy"]), dict(d.get("metrics", {})), list(d.get("codes", [])),
               float(d.get("seconds", 0.0)), d.get("samples", {}), d.get("per_mode", []), d.get("error"), dict(params or {}),
               d.get("series", {}))


# the documents' symptom per family: (metric, +1 higher is better / -1 lower is better)
SYMPTOM = {"vae": ("kl_oscillation", -1), "energy": ("energy_gap", 1)}
SEVERITY_WEIGHT = {"error": 3.0, "warning": 2.0, "info": 0.5}


def better(new: Run, old: Run, family: str | None = None) -> bool:
    """Health improves: fewer/milder runtime findings; at equal findings a healthy run (the family's key numbers
    in range) over an unhealthy one, then the document's own symptom (VAE: KL oscillation, energy: the gap)
    when it moved by more than 5 %; otherwise a lower health score."""
    if new.error and not old.error:
        return False
    if old.error and not new.error:
        return True
    fw_new, fw_old = new.metrics.get("_finding_weight"), old.metrics.get("_finding_weight")
    if fw_new is not None and fw_old is not None and abs(fw_new - fw_old) > 1e-9:
        return fw_new < fw_old
    if new.healthy != old.healthy:  # same findings: healthy key numbers (coverage, spread 0.7-1.4x, gap) win
        return new.healthy
    if family in SYMPTOM:
        k, sign = SYMPTOM[family]
        a, b = old.metrics.get(k), new.metrics.get(k)
        if _finite(a) and _finite(b) and abs(b - a) > 0.05 * max(abs(a), 1e-9):
            return sign * (b - a) > 0
    if new.score < old.score - 1e-6:
        return True
    if new.score > old.score + 1e-6:
        return False
    if new.healthy and not old.healthy:
        return True
    gain = 0
    for k, sign in (("mode_coverage", 1), ("energy_gap", 1), ("kl_oscillation", -1), ("kl_real_fake", -1)):
        a, b = old.metrics.get(k), new.metrics.get(k)
        if _finite(a) and _finite(b) and abs(b - a) > 1e-6:
            gain += sign * (1 if b > a else -1)
    return gain > 0


# -- the driver -------------------------------------------------------------------------------------
class _Pool:
    def __init__(self, workers: int, opts: VerifyOptions, files: list[str], root: str):
        self.workers = workers
        self.opts = opts
        self.files = files
        self.root = root
        self.count = 0
        self._ex = None
        self.log: list[Run] = []
        self.cache: dict[str, dict[str, Any]] = {}
        self.on_progress: Callable[[dict[str, Any]], None] | None = None  # verify_plan(progress=...)
        self.planned = 0  # probe runs expected at most (baseline + stages + search trials)

    def _notify(self, event: str, label: str, seconds: float | None = None) -> None:
        if self.on_progress is not None:
            self.on_progress({"event": event, "label": label, "done": self.count, "planned": self.planned,
                              "seconds": seconds})

    def __enter__(self):
        if self.workers > 1 and self.opts.probe_fn is None:
            import multiprocessing as mp

            self._ex = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"))
        return self

    def __exit__(self, *exc):
        if self._ex is not None:
            self._ex.shutdown(wait=True, cancel_futures=True)

    def run(self, batch: list[tuple[str, dict[str, str]]]) -> list[dict[str, Any]]:
        """Probe each candidate; a candidate already probed (same files, byte for byte) is not probed again."""
        fn = self.opts.probe_fn or probe_texts
        kw = self.opts.probe_kwargs()
        keys = [_digest(texts) for _, texts in batch]
        todo = []
        for (label, texts), key in zip(batch, keys):
            if key not in self.cache and key not in [k for k, _, _ in todo]:
                todo.append((key, label, texts))
        if self.opts.progress:
            for _, label, _ in todo:
                print(f"verify: probing {label} ({self.opts.steps} steps)...", flush=True)
        if self._ex is not None and len(todo) > 1:
            for _, label, _ in todo:
                self._notify("probing", label)
            futs = [self._ex.submit(fn, texts, self.files, self.root, kw, label) for _, label, texts in todo]
            results = [f.result() for f in futs]
        else:
            results = []
            for _, label, texts in todo:
                self._notify("probing", label)
                results.append(fn(texts, self.files, self.root, kw, label))
        for (key, label, _), d in zip(todo, results):
            self.cache[key] = d
            self.count += 1
            self.log.append(_run_from(d))
            self._notify("probed", label, d.get("seconds"))
        return [dict(self.cache[k], label=label) for (label, _), k in zip(batch, keys)]


def _digest(texts: dict[str, str]) -> str:
    h = hashlib.sha1()
    for k in sorted(texts):
        h.update(k.encode() + b"\0" + texts[k].encode() + b"\0")
    return h.hexdigest()


def _texts_after(base: dict[str, str], edits: list[Edit]) -> dict[str, str]:
    return {**base, **apply_edits(base, edits)}


def _stage_texts(plan: Plan, base: dict[str, str], stage: int) -> dict[str, str]:
    """base + one stage's fixes, fix by fix (a fix that cannot apply is skipped, as in apply_plan)."""
    from ganlint.fix.edits import EditError

    texts = dict(base)
    for fx in sorted((f for f in plan.fixes if f.stage == stage), key=lambda f: f.code):
        try:
            texts.update(apply_edits(texts, fx.edits))
        except EditError:
            continue
    return texts


def knob_space(plan: Plan, texts: dict[str, str], family: str | None) -> dict[str, dict[str, Any]]:
    """canonical -> {spec, targets: [(file, key)]} for the documents' ranges this project can set."""
    proj = Project(plan.files, texts)
    orig = Project(plan.files, plan.texts)
    out: dict[str, dict[str, Any]] = {}
    for canonical, spec in KNOBS.get(family or "", {}).items():
        ks = proj.find(canonical)
        if "factors" in spec:  # choices relative to the user's original value
            o = [k.value for k in orig.find(canonical) if isinstance(k.value, (int, float)) and not isinstance(k.value, bool)]
            if not o:
                continue
            spec = {**spec, "choices": [float(f"{o[0] * f:.6g}") for f in spec["factors"]]}
        if canonical == "latent_dim" and family in GAN_FAMILIES:
            ks = [k for k in ks if k.role in (None, "generator")]
        ks = [k for k in ks if isinstance(k.value, (int, float)) and not isinstance(k.value, bool)]
        if ks:
            out[canonical] = {"spec": spec, "targets": [(k.file, k.key) for k in ks], "current": ks[0].value}
    return out


def _distributions(space: dict[str, dict[str, Any]]):
    import optuna

    d = {}
    for name, k in space.items():
        s = k["spec"]
        if "choices" in s:
            d[name] = optuna.distributions.CategoricalDistribution(list(s["choices"]))
        elif "int" in s:
            d[name] = optuna.distributions.IntDistribution(*s["int"])
        else:
            d[name] = optuna.distributions.FloatDistribution(*s["float"], step=s.get("step", 0.01))
    return d


def _first(space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {n: (k["spec"]["choices"][0] if "choices" in k["spec"] else k["spec"]["first"]) for n, k in space.items()}


def _params_edits(space, params: dict[str, Any]) -> list[Edit]:
    edits = []
    for name, value in params.items():
        for file, key in space[name]["targets"]:
            edits.append(Edit("set-setting", file, target=key, new=value))
    return edits


def _in_space(space, values: dict[str, Any]) -> bool:
    for n, k in space.items():
        v, s = values.get(n), k["spec"]
        if v is None:
            return False
        if "choices" in s and not any(abs(float(v) - float(c)) < 1e-12 for c in s["choices"]):
            return False
        if "int" in s and not (s["int"][0] <= v <= s["int"][1] and float(v).is_integer()):
            return False
        if "float" in s and not s["float"][0] <= v <= s["float"][1]:
            return False
    return True


def default_study_name(plan: Plan) -> str:
    h = hashlib.sha1("\n".join(sorted(os.path.basename(f) + "\0" + plan.texts[f] for f in plan.files)).encode()).hexdigest()[:10]
    return f"ganlint-fix-{plan.family or 'project'}-{h}"


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
    stages = sorted(s for s in plan.stages if upto is None or s <= upto)
    workers = opts.workers or min(os.cpu_count() or 1, 4)

    with _Pool(workers, opts, plan.files, root) as pool:
        pool.on_progress, pool.planned = progress, 1 + len(stages) + max(opts.trials, 0)
        # baseline and the cumulative stages, speculatively in parallel: a chain of candidates is probed at
        # once (baseline, +S1, +S1+S2, ...); a dropped stage invalidates the rest of the chain, re-probed next round
        stage_runs = []
        kept: list[int] = []
        best_texts = dict(plan.texts)
        pending = list(stages)
        chain: list[tuple[str, dict[str, str]]] = [("baseline", dict(plan.texts))]
        t = best_texts
        for s in pending[: max(0, workers - 1)]:
            t = _stage_texts(plan, t, s)
            chain.append((f"stage {s}", t))
        out = pool.run(chain)
        baseline = best = _run_from(out[0])
        chain, out = chain[1:], out[1:]
        while True:
            i = 0
            for i, (d, (_label, texts)) in enumerate(zip(out, chain)):
                s = pending[i]
                run = _run_from(d)
                ok = better(run, best, opts.family)
                stage_runs.append((s, run, ok))
                if ok:
                    best, best_texts = run, texts
                    kept.append(s)
                else:
                    break
            pending = pending[len(out) if (not out or stage_runs[-1][2]) else i + 1:] if out else pending
            if not pending:
                break
            chain, t = [], best_texts
            for s in pending[: max(1, workers)]:
                t = _stage_texts(plan, t, s)
                chain.append((f"stage {s}", t))
            out = pool.run(chain)
        # the search over the documents' ranges, on top of the kept stages
        trials: list[Run] = []
        space = knob_space(plan, best_texts, opts.family)
        study_name = None
        if space and opts.trials > 0 and (not best.healthy or _symptom_worse(best, baseline, opts.family)):
            trials, best_t, study_name = _search(plan, space, best_texts, best, pool, opts, workers, baseline)
            if best_t is not None and better(best_t[0], best, opts.family):
                best, best_texts = best_t
        final = best
    result = _result_for(plan, best_texts, kept, upto, final.params)
    cpu = _cpu() - t_cpu
    first_healthy = next((i + 1 for i, r in enumerate(pool.log) if r.healthy), None)
    vres = VerifyResult(result, baseline, stage_runs, trials, final, pool.count, cpu, time.perf_counter() - t_wall,
                        study_name, first_healthy_run=first_healthy)
    vres.search_params = final.params
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


def _symptom(run: Run, family: str | None) -> float | None:
    if family not in SYMPTOM:
        return None
    v = run.metrics.get(SYMPTOM[family][0])
    return float(v) if _finite(v) else None


def _symptom_worse(run: Run, baseline: Run, family: str | None) -> bool:
    """The document's own symptom (VAE: KL oscillation, energy: gap) is worse than before the fix."""
    a, b = _symptom(baseline, family), _symptom(run, family)
    if a is None or b is None:
        return False
    return SYMPTOM[family][1] * (b - a) < 0


def _objective(run: Run, family: str | None) -> float:
    """What the search minimises: the health score, then the document's symptom (a small tie-breaker)."""
    v = run.score
    s = _symptom(run, family)
    if s is not None:
        v -= 0.1 * SYMPTOM[family][1] * s
    return v


def _search(plan, space, base_texts, base_run, pool: _Pool, opts: VerifyOptions, workers: int, baseline: Run):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = _distributions(space)
    name = opts.study_name or default_study_name(plan)
    study = _open_study(opts, name)
    current = {n: k["current"] for n, k in space.items()}
    doc_choice = _first(space)
    # the kept project is already a point of the space: record it without probing again
    if _in_space(space, current) and not any(t.state.name == "COMPLETE" and t.params == current for t in study.trials):
        study.add_trial(optuna.trial.create_trial(params=current, distributions=dists, value=_objective(base_run, opts.family),
                                                  user_attrs={"healthy": base_run.healthy and not _symptom_worse(base_run, baseline, opts.family),
                                                              "source": "kept stages"}))
    if doc_choice != current:
        study.enqueue_trial(doc_choice, skip_if_exists=True)
    runs: list[Run] = []
    best = None
    budget = opts.trials
    while budget > 0:
        if any(t.user_attrs.get("healthy") for t in study.trials if t.state.name == "COMPLETE"):
            break  # a healthy configuration exists (found here or by another machine on the shared study)
        n = min(budget, workers)
        asked = [study.ask(dists) for _ in range(n)]
        batch = []
        for t in asked:
            texts = _texts_after(base_texts, _params_edits(space, t.params))
            batch.append((f"trial {t.number} {t.params}", texts, t))
        out = pool.run([(label, texts) for label, texts, _ in batch])
        for (label, texts, t), d in zip(batch, out):
            run = _run_from(d, t.params)
            run.healthy = run.healthy and not _symptom_worse(run, baseline, opts.family)
            t.set_user_attr("healthy", run.healthy)
            t.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
            t.set_user_attr("metrics", {k: _clean(v) for k, v in run.metrics.items() if k in KEY_METRICS})
            study.tell(t, _objective(run, opts.family))
            runs.append(run)
            if best is None or better(run, best[0], opts.family):
                best = (run, texts)
        budget -= n
    # a better point found by another machine sharing the study
    done = [t for t in study.trials if t.state.name == "COMPLETE" and t.value is not None]
    if done:
        top = min(done, key=lambda t: (not t.user_attrs.get("healthy", False), t.value))
        if best is None or (top.value < best[0].score - 1e-6 and set(top.params) == set(space)):
            if not any(r.params == top.params for r in runs) and top.params != current:
                texts = _texts_after(base_texts, _params_edits(space, top.params))
                d = pool.run([(f"study best {top.params}", texts)])[0]
                run = _run_from(d, top.params)
                runs.append(run)
                if best is None or better(run, best[0], opts.family):
                    best = (run, texts)
    return runs, best, name


def _open_study(opts: VerifyOptions, name: str):
    """The study on its storage. Several machines starting at once race to create the schema and the study;
    the loser retries (a few times, with jitter) and then loads what the winner created."""
    import random

    import optuna

    last = None
    for attempt in range(6):
        try:
            storage = opts.storage
            if storage and storage.startswith(("postgresql", "postgres", "mysql", "sqlite")):
                storage = optuna.storages.RDBStorage(storage, heartbeat_interval=None, engine_kwargs=_engine_kwargs(storage))
            return optuna.create_study(study_name=name, storage=storage, direction="minimize", load_if_exists=True,
                                       sampler=optuna.samplers.TPESampler(seed=opts.seed + os.getpid() % 997 * bool(opts.storage),
                                                                          n_startup_trials=3))
        except Exception as exc:  # noqa: BLE001 - storage errors: retry the create race, report the rest
            last = exc
            text = f"{exc.__class__.__name__}: {exc}"
            if not any(w in text for w in ("IntegrityError", "UniqueViolation", "DuplicateTable", "already exists", "locked")):
                break
            time.sleep(0.3 + random.random() * (attempt + 1) * 0.5)
    raise UsageError(f"cannot open Optuna storage {opts.storage!r}: {last.__class__.__name__}: {str(last).splitlines()[0]}") from None


def _engine_kwargs(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}
    return {"pool_pre_ping": True}


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime
