"""The traced run's report: the existing detectors over the measured series, plus what only a run of the
user's loop can show (the gradient leak of an undetached fake batch, steps per network), written as report.json / report.html."""
from __future__ import annotations

import dataclasses
from typing import Any

from ganlint.core.types import Location, Severity

EARLY_STEPS = 600  # the recipe mode's minimum before a GAN verdict is trusted (runner.py)


def _loc(site) -> Location | None:
    from ganlint.probe.trace.locate import _rel

    return Location(_rel(site[0]), site[1]) if site else None


def build_report(tracer, *, program: dict[str, Any], steps: int | None, stopped: str, fake_data: dict | None):
    import torch

    from ganlint.probe.detectors import sample_quality_codes
    from ganlint.probe.report import ProbeReport

    sample_quality = sample_quality_codes()  # verdicts about what the generator draws: not meaningful on fake data

    if tracer.discovering and tracer.optims:
        tracer.end_discovery()  # a short run: decide from what was seen
    m = tracer.measure
    if m is None or m.probe is None:
        rep = ProbeReport(stopped=stopped, steps_requested=steps or 0)
        rep.metrics = {"steps_run": 0.0}
    else:
        m.flush()
        m.land(wait=stopped != "running")  # --watch judges what has landed; the end waits for every evaluation
        last_eval = m.probe.series.get("mode_coverage", [[None]])[-1][0]
        # a last evaluation at the end, unless nothing was drawn since the scheduled one
        if "generator" in m.by_role and last_eval != m.step and stopped != "running" and m.kept != m.kept_at_eval:
            m.evaluate(m.step, final=True)
        rep = m.probe.finish()
        rep.family = m.family
        rep.stopped = stopped
        rep.steps_requested = steps or 0
        dev = next((p.device for n in m.nets for p in n.module.parameters()), torch.device("cpu"))
        rep.device = str(dev)
        rep.threads = torch.get_num_threads() if dev.type == "cpu" else None
        rep.networks = {n.name: _net_info(n, m) for n in m.nets}
        rep.metrics["steps_run"] = float(m.step)
        for n in m.nets:
            rep.metrics[f"steps_{n.name}"] = float(sum(r.steps for r in n.optimizers))
        if m.kl_dims:
            rep.metrics["kl_per_dim_final"] = [round(float(v), 6) for v in m.kl_dims[-1][1]]  # type: ignore[assignment]
        rep.notes.append(f"family {m.family}: {m.family_why}" if m.family else "family not recognised")
        for role, why in m.roles_why.items():
            rep.notes.append(f"{role}: {why}")
        if m.step < EARLY_STEPS and any(f.code in sample_quality for f in rep.findings):
            rep.notes.append(f"{'/'.join(sample_quality)} after {m.step} generator steps judge early training (the recipe mode waits "
                             f"{EARLY_STEPS}): probe longer (--steps) before acting on them")
        if m.evaluator is not None:
            rep.notes.extend(m.evaluator.errors[:3])
        leak = _leak_finding(m)
        if leak is not None:
            rep.findings.append(leak)
    rep.seed = tracer.seed
    rep.files = [program["file"]] if program.get("file") else []
    rep.data = {"name": "fake data" if fake_data else "the program's own data", "source": "program",
                "program": program.get("display"), "argv": program.get("argv", []), "mode": "run"}
    if fake_data:
        rep.data["fake_data"] = fake_data
        used = sorted(fake_data.get("datasets", {}))
        rep.notes.append(("--fake-data: " + ", ".join(used) + " replaced by in-memory images of the real shapes and "
                          "value ranges" + (" (torchvision stand-in)" if fake_data.get("standin") else "")
                          + f"; sample-quality verdicts ({', '.join(sample_quality)}) are not meaningful") if used else
                         "--fake-data: the program built no torchvision dataset")
        rep.findings = [_not_meaningful(f) if f.code in sample_quality else f for f in rep.findings]
    rep.timings = {"total_s": round(tracer.control.elapsed(), 3),
                   "first_step_s": round(tracer.control.first_step_s, 3) if tracer.control.first_step_s else None}
    rep.notes.extend(tracer.notes)
    rep.findings.sort(key=lambda f: (-int(f.severity), f.code))
    return rep


def _not_meaningful(f):
    ev = dict(f.evidence or {})
    ev["meaningful"] = False
    return dataclasses.replace(f, severity=Severity.INFO, evidence=ev,
                               message=f.message + " [fake data: not meaningful]")


def _net_info(n, m) -> dict[str, Any]:
    locs = m.probe.context.get("locations", {})
    loc = locs.get(n.name)
    opt = n.optimizers[0]
    return {"class": n.cls, "file": loc.file if loc else None, "line": loc.line if loc else None,
            "built_by": "the program", "parameters": int(sum(p.numel() for p in n.module.parameters())),
            "optimizer": type(opt.opt).__name__, "optimizer_line": f"{_loc(opt.site)}" if opt.site else None,
            "lr": opt.opt.param_groups[0].get("lr"), "steps": int(sum(r.steps for r in n.optimizers)),
            "role_from": m.roles_why.get(n.role or "", "single network" if n.role == "model" else None)}


def _leak_finding(m):
    """The generator's parameters got gradients in the critic's step: the finding of the rule that owns a
    traced leak (its `leak_finding`)."""
    from ganlint.checking.registry import all_rules

    lk = m.leak_check.found if m.leak_check is not None else None
    if not lk or not lk["hits"] or "critic" not in m.by_role:
        return None
    rule = next((r for r in all_rules() if hasattr(r, "leak_finding")), None)
    if rule is None:
        return None
    critic = m.by_role["critic"]
    gen_ids = {id(x) for x in m.by_role["generator"].module.modules()}
    critic_ids = {id(x) for x in critic.module.modules()}
    site = None
    for rec in critic.optimizers:
        for e in getattr(rec, "phase_edges", []):
            if e.connected and e.src in gen_ids and e.dst in critic_ids and e.site:
                site = e.site
                break
        site = site or (rec.loss_sites[0] if rec.loss_sites else None)
    loc = _loc(site) or m.probe.context["locations"].get("critic") or Location("<program>", 1)
    related = [x for x in (_loc(critic.optimizers[0].site),) if x is not None]
    return rule.leak_finding(lk, loc, related, m.family)
