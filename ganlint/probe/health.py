"""One number for "how unhealthy did this run look": lower is healthier, 0 = nothing wrong measured.

    health = sum over runtime findings of  weight(severity)        error 3, warning 2, info 0.5
           + 2 * (1 - mode_coverage)                                  GAN families, coverage in [0, 1]
           + 2 * max(0, 1 - spread_ratio)   (capped at 2)             generated/real per-mode spread
           + 1 * min(1, kl_real_fake / 5)                             KL(real || generated)
           + 1 * (1 - precision)                                      GAN families: k-NN precision (k = 5)
           + 1 * min(1, kl_oscillation)                               VAE: sign-change rate of the detrended KL
           + 1 * max(0, kl_trend_rel) (capped at 1)                   VAE: relative KL rise after warm-up
           + 2 * max(0, 1 - energy_gap / 0.1) (capped at 2)           energy: E(neg) - E(pos) below 0.1
           + 1 * max(0, 1 - infonce_accuracy * B) ... (see below)     energy: accuracy near chance 1/B
           + 5 if any value went non-finite

Every term uses only numbers that the report carries (`metrics`), so two reports of the same family
compare directly: `ganlint fix --verify` keeps a stage when the score drops. Missing metrics count 0.
"""
from __future__ import annotations

import math
from typing import Any

SEVERITY_WEIGHT = {"error": 3.0, "warning": 2.0, "info": 0.5}


def _get(metrics: dict[str, Any], name: str) -> float | None:
    v = metrics.get(name)
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _measured_codes() -> set[str]:
    """The rules whose findings the probe measures: the runtime rules and those judging the real data."""
    from ganlint.checking.registry import all_rules

    return {r.code for r in all_rules() if r.runtime or hasattr(r, "data_finding")}


def health_score(report: Any) -> float:
    """Lower = healthier. Accepts a ProbeReport or its to_dict() form."""
    if isinstance(report, dict):
        findings = [(f["code"], f["severity"]) for f in report.get("findings", [])]
        metrics = report.get("metrics", {})
    else:
        findings = [(f.code, str(f.severity)) for f in report.findings]
        metrics = report.metrics
    score = 0.0
    measured = _measured_codes()
    for code, sev in findings:
        if code in measured:
            score += SEVERITY_WEIGHT.get(str(sev), 1.0)
    cov = _get(metrics, "mode_coverage")
    if cov is not None:
        score += 2.0 * max(0.0, 1.0 - cov)
    spread = _get(metrics, "spread_ratio")
    if spread is not None:
        score += min(2.0, 2.0 * max(0.0, 1.0 - spread))
    prec = _get(metrics, "precision")
    if prec is not None:
        score += max(0.0, 1.0 - prec)  # generated points off the real data
    klrf = _get(metrics, "kl_real_fake")
    if klrf is not None:
        score += min(1.0, max(0.0, klrf) / 5.0)
    osc = _get(metrics, "kl_oscillation")
    if osc is not None:
        score += min(1.0, max(0.0, osc))
    trend = _get(metrics, "kl_trend_rel")
    if trend is not None:
        score += min(1.0, max(0.0, trend))
    gap = _get(metrics, "energy_gap")
    if gap is not None:
        score += min(2.0, 2.0 * max(0.0, 1.0 - gap / 0.1))
    acc = _get(metrics, "infonce_accuracy")
    chance = _get(metrics, "infonce_chance")
    if acc is not None and chance is not None and chance < 1:
        # 1 at chance, 0 when accuracy reaches 4x chance or better
        score += max(0.0, min(1.0, 1.0 - (acc - chance) / (3.0 * chance)))
    if (_get(metrics, "non_finite") or 0) > 0:
        score += 5.0
    return round(score, 6)
