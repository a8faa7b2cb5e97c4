"""One probe run of a candidate project and how runs compare: the worker function (`probe_texts`, run in spawned
processes), the `Run` record, what "healthy" means (`is_healthy`, `problems`), which of two runs is better
(`better`), and the pool that probes candidates (in parallel, each distinct candidate once)."""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from ganlint.core.errors import GanlintError

GAN_FAMILIES = ("wgan-gp", "wgan", "gan")
SPREAD_OK = (0.7, 1.4)


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
    findings: list[dict[str, Any]] = field(default_factory=list)  # the runtime findings with their evidence
    steps: int | None = None  # probe steps this run was asked for

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "health": self.score, "healthy": self.healthy, "codes": self.codes,
                "metrics": {k: _clean(v) for k, v in self.metrics.items()}, "per_mode": self.per_mode,
                "seconds": round(self.seconds, 2), "error": self.error, "params": self.params,
                "steps": self.steps, "findings": self.findings, "problems": problems(self)}



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
    from ganlint.probe import run_probe

    t0 = time.perf_counter()
    kwargs = dict(kwargs)
    early_stop = kwargs.pop("early_stop", True)  # the final verdict runs every step it was asked for
    tmp = tempfile.mkdtemp(prefix="ganlint-verify-")
    try:
        written = _write_project(texts, files, root, tmp)
        try:
            report = run_probe(written, write_report=False, progress=False, threads=1, early_stop=early_stop, **kwargs)
        except GanlintError as exc:
            return {"label": label, "score": 50.0, "healthy": False, "metrics": {}, "codes": [],
                    "error": user_paths(str(exc), tmp, written, files), "seconds": time.perf_counter() - t0}
        return report_result(report, label, kwargs.get("steps"), t0, tmp, written=written, files=files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report_result(report, label: str, steps: int | None, t0: float, tmp: str, traced: bool = False,
                  written: list[str] = (), files: list[str] = ()) -> dict[str, Any]:
    """A probe report as the plain numbers verify compares; `tmp`: the scratch folder whose prefix is dropped
    from the findings' messages. A recipe report's runtime findings are the GL5xx rules'; in a traced run of the
    user's program every finding was measured there (the critic's gradient leak into the generator is the undetached-fake rule's)."""
    from ganlint.probe import health_score
    from ganlint.probe.health import _measured_codes

    d = report.to_dict()
    measured = (lambda c: True) if traced else (lambda c: c.startswith("GL5"))
    metrics = dict(d.get("metrics", {}))
    metrics["_finding_weight"] = sum(SEVERITY_WEIGHT.get(f.get("severity"), 1.0) for f in d.get("findings", [])
                                     if measured(f["code"]))
    score = float(health_score(report))
    if traced:  # the traced findings health_score does not weigh (a static rule's runtime evidence)
        known = _measured_codes()
        score += sum(SEVERITY_WEIGHT.get(f.get("severity"), 1.0) for f in d.get("findings", []) if f["code"] not in known)
    return {"label": label, "score": score, "healthy": is_healthy(d, measured), "metrics": metrics,
            "codes": sorted({f["code"] for f in d.get("findings", [])}), "samples": _small_samples(d.get("samples", {})),
            "per_mode": _per_mode(d), "series": _small_series(d.get("series", {})),
            "findings": [_finding_summary(f, tmp, written, files) for f in d.get("findings", []) if measured(f["code"])],
            "steps": steps, "seconds": time.perf_counter() - t0, "error": None}


def user_paths(text: str, tmp: str, written: list[str], files: list[str]) -> str:
    """`text` (an error, a finding's message) with the candidate copy's paths spelled as the user's own files:
    a temporary folder the user never made and that is gone when they read it names nothing."""
    for copy, own in sorted(zip(written, files), key=lambda pair: -len(pair[0])):
        text = text.replace(copy, own)
    for base in {tmp, os.path.realpath(tmp)}:  # anything else in the copy: as it lies in the project's root
        text = text.replace(base + os.sep, "")
    return text


def _finding_summary(f: dict[str, Any], tmp: str, written: list[str] = (), files: list[str] = ()) -> dict[str, Any]:
    ev = {k: v for k, v in (f.get("evidence") or {}).items() if k not in ("per_mode", "events")}
    return {"code": f["code"], "severity": f.get("severity"), "message": user_paths(f.get("message", ""), tmp, written, files),
            "evidence": ev, "location": {"file": f["file"], "line": f.get("line")} if f.get("file") else None}


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


def is_healthy(d: dict[str, Any], measured: Callable[[str], bool] | None = None) -> bool:
    """No runtime warning/error, and the family's key numbers in range (both modes covered, spread 0.7-1.4x).
    `measured(code)`: which findings are runtime findings (default: the GL5xx rules')."""
    measured = measured or (lambda c: c.startswith("GL5"))
    if d.get("errors") or d.get("stopped") in ("non-finite", "error"):
        return False
    for f in d.get("findings", []):
        if measured(f["code"]) and f.get("severity") in ("warning", "error"):
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
            if any(not SPREAD_OK[0] <= a <= SPREAD_OK[1] for a in pm.get("axis_ratios") or []):
                return False  # a streak: right generalised spread, wrong shape
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
               d.get("series", {}), list(d.get("findings", [])), d.get("steps"))


def problems(run: Run) -> list[str]:
    """What keeps a run from being healthy, in words: its runtime findings and the key numbers out of range."""
    if run.error:
        return [f"error: {run.error}"]
    out = [f"{f['code']} {f.get('message', '')}".strip() for f in run.findings if f.get("severity") in ("warning", "error")]
    if not run.findings:
        out = [c for c in run.codes if c.startswith("GL5")]
    m = run.metrics
    cov, sr = m.get("mode_coverage"), m.get("spread_ratio")
    if _finite(cov) and cov < 0.999:
        out.append(f"mode_coverage {cov:.2f}: not every mode of the real data is covered")
    if _finite(sr) and not SPREAD_OK[0] <= sr <= SPREAD_OK[1]:
        out.append(f"spread_ratio {sr:.2f} outside {SPREAD_OK[0]}-{SPREAD_OK[1]}")
    for pm in run.per_mode:
        r = pm.get("spread_ratio")
        if r is not None and not SPREAD_OK[0] <= r <= SPREAD_OK[1]:
            out.append(f"mode {pm.get('mode')}: spread ratio {r:.2f} outside {SPREAD_OK[0]}-{SPREAD_OK[1]}")
        axes = pm.get("axis_ratios") or []
        if any(not SPREAD_OK[0] <= a <= SPREAD_OK[1] for a in axes):
            out.append(f"mode {pm.get('mode')}: spread along its principal axes {', '.join(f'{a:.2f}' for a in axes)}x "
                       f"the real (outside {SPREAD_OK[0]}-{SPREAD_OK[1]}: a streak or a squeezed cloud)")
    gap = m.get("energy_gap")
    if _finite(gap) and gap < 0.1:
        out.append(f"energy_gap {gap:.3f} < 0.1")
    if (m.get("non_finite") or 0) > 0:
        out.append("non-finite values")
    return out


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



class _Pool:
    def __init__(self, workers: int, opts: Any, files: list[str], root: str):  # opts: VerifyOptions
        self.workers = workers
        self.opts = opts
        self.files = files
        self.root = root
        self.count = 0
        self._ex = None
        self.log: list[Run] = []
        self.cache: dict[str, dict[str, Any]] = {}
        self.on_progress: Callable[[dict[str, Any]], None] | None = None  # verify_plan(progress=...)
        self.planned = 0  # probe runs expected at most (baseline + stages + search trials + the final run)

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

    def run(self, batch: list[tuple[str, dict[str, str]]], steps: int | None = None,
            early_stop: bool = True) -> list[dict[str, Any]]:
        """Probe each candidate (for `steps`, default the ranking length); a candidate already probed (same files,
        byte for byte, same length) is not probed again."""
        fn = self.opts.probe_fn or probe_texts
        if self.opts.probe_fn is None and getattr(self.opts, "program", None):
            from ganlint.fix.program import probe_program_texts

            fn = probe_program_texts  # the user's patched program, run by the trace launcher
        kw = self.opts.probe_kwargs()
        if steps is not None:
            kw["steps"] = steps
        if not early_stop:
            kw["early_stop"] = False
        keys = [_digest(texts) + f":{kw['steps']}:{early_stop}" for _, texts in batch]
        todo = []
        for (label, texts), key in zip(batch, keys):
            if key not in self.cache and key not in [k for k, _, _ in todo]:
                todo.append((key, label, texts))
        if self.opts.progress:
            for _, label, _ in todo:
                print(f"verify: probing {label} ({kw['steps']} steps)...", flush=True)
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
            d.setdefault("steps", kw["steps"])
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



