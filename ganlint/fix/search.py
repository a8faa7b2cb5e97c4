"""The search over the documents' ranges (Optuna, ask/tell in the parent process): the knob space this project
can set, the study on its storage (in-memory, SQLite, or a database URL shared by several machines), and the
objective (health score, then the document's own symptom)."""
from __future__ import annotations

import hashlib
import os
import socket
import time
from typing import Any

from ganlint.core.errors import UsageError
from ganlint.core.types import Edit
from ganlint.fix.planner import KNOBS, Plan, Project
from ganlint.fix.probing import GAN_FAMILIES, SYMPTOM, Run, _clean, _finite, _run_from, better

KEY_METRICS = ("mode_coverage", "spread_ratio", "kl_real_fake", "kl_oscillation", "kl_trend_rel", "energy_gap",
               "infonce_accuracy", "head_saturation", "max_saturation", "precision", "recall", "coverage")


def _texts_after(base: dict[str, str], edits: list[Edit]) -> dict[str, str]:
    from ganlint.fix.edits import apply_edits

    return {**base, **apply_edits(base, edits)}


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


def _search(plan, space, base_texts, base_run, pool, opts, workers: int, baseline: Run):
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


def _open_study(opts, name: str):
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



