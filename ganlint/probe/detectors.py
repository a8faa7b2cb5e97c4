"""Detectors: a loop over the runtime rules (rules/gl5NN_*.py). Each rule's `detect(series, options)` turns the
measured series into findings with evidence; this module only gathers them and the run's summary numbers.

Entry points: `detect(probe)` (a Probe) and `detect_series(series, options)` (a Series built from any source,
e.g. a trace of the user's own program)."""
from __future__ import annotations

from typing import Any

from ganlint.core.types import Finding
from ganlint.probe.series import Series
from ganlint.probe.stats import kl_measures, mean


def runtime_rules():
    from ganlint.checking.registry import all_rules
    from ganlint.probe.series import RuntimeRule

    return [r for r in all_rules() if isinstance(r, RuntimeRule)]


def sample_quality_codes() -> tuple[str, ...]:
    """The runtime rules that judge what the generator draws (`judges_samples`): not meaningful on fake data
    or before the run has trained long enough."""
    return tuple(r.code for r in runtime_rules() if r.judges_samples)


def rule_options(rule, user: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    return {**rule.options, **(user or {}).get(rule.code, {})}


def instrument_needs(family: str | None, user: dict[str, dict[str, Any]] | None = None, *,
                     any_family: bool = False) -> dict[str, dict[str, Any]]:
    """instrument -> parameters, merged from the needs() of the rules that apply to the family (of every
    runtime rule with `any_family`: the defaults an instrument takes when no rule of the family shapes it)."""
    out: dict[str, dict[str, Any]] = {}
    for rule in runtime_rules():
        if any_family or rule.applies_to(family):
            for name, params in rule.needs(rule_options(rule, user)).items():
                out.setdefault(name, {}).update(params)
    return out


def detect_series(series: Series, options: dict[str, dict[str, Any]] | None = None) -> list[Finding]:
    series.context["notes"] = []
    out: list[Finding] = []
    for rule in runtime_rules():
        if rule.applies_to(series.family):
            out.extend(f for f in rule.detect(series, rule_options(rule, options)) if f is not None)
    return out


def detect(probe) -> list[Finding]:
    return detect_series(Series.of_probe(probe), probe.rule_options)


SAMPLE_METRICS = ("mode_coverage", "modes", "modes_covered", "on_modes", "precision", "recall", "density", "coverage",
                  "kl_real_fake", "kl_fake_real", "log_likelihood", "mmd")


def summary_metrics(probe) -> dict[str, float]:
    s = Series.of_probe(probe)
    m: dict[str, float] = {}

    def last(name, n=3):
        v = s.values(name)
        return mean(v[-n:]) if v else None

    for k in SAMPLE_METRICS:  # the last evaluation: the one `samples` holds
        if last(k, 1) is not None:
            m[k] = last(k, 1)
    if s.values("spread_ratio"):
        m["spread_ratio"] = last("spread_ratio", 3)
    for k in ("loss_d", "loss_g", "loss", "gp_norm", "d_real", "d_fake", "wasserstein", "recon", "kl",
              "active_units", "e_pos", "e_neg"):
        if s.values(k):
            m[k + "_final"] = mean(s.last_window(k, 0.1)[0])
    if probe.family == "vae" and len(s.values("kl")) >= 100:
        km = kl_measures(s, **instrument_needs("vae", probe.rule_options).get("kl", {}))  # the KL rules' windows
        m.update({k: v for k, v in km.items() if isinstance(v, (int, float))})
    if probe.family == "energy" and s.values("energy_gap"):
        m["energy_gap"] = mean(s.last_window("energy_gap", 0.1, 20)[0])
        m["infonce_accuracy"] = mean(s.last_window("infonce_accuracy", 0.1, 20)[0])
        m["infonce_chance"] = s.values("infonce_chance")[-1]
        hs = s.names("head/")
        if hs:
            m["head_saturation"] = mean(s.last_window(hs[0])[0])
    sats = [mean(s.last_window(n)[0]) for n in s.names("sat/")]
    if sats:
        m["max_saturation"] = max(sats)
    for role in probe.networks:
        if s.values(f"gradnorm/{role}"):
            m[f"grad_norm_{role}"] = mean(s.last_window(f"gradnorm/{role}")[0])
    m["non_finite"] = float(len(probe.events))
    m["steps_run"] = float(probe.step + 1)
    return {k: (float(v) if v is not None else float("nan")) for k, v in m.items()}
