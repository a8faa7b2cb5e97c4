"""The runtime-rule contract: what a GL5xx rule declares and what its detector reads.

A runtime rule (rules/gl5NN_*.py) subclasses RuntimeRule and defines
  - `needs(options)`: the instruments (or derived measures, e.g. "kl") it reads and the parameters that shape
    them (e.g. the saturation rule's `preact_threshold` is the |pre-activation| the activation instrument counts
    beyond);
  - `detect(series, options)`: findings from the measured series (a `Series`), with evidence.
ganlint/probe/detectors.py loops over the rules; the probe builds its instruments from their needs.
Pure Python: importing this module (as every rule file does) never imports torch or numpy.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar, Iterable

from ganlint.checking.rule import Rule
from ganlint.core.types import Finding, Location

GAN = ("gan", "wgan", "wgan-gp")


class RuntimeRule(Rule):
    runtime: ClassVar[bool] = True
    confirms: ClassVar[str | None] = None  # static rules a firing of this rule confirms (named in the finding)
    # options that replace the rule's own when it judges the user's own program (`probe train.py`): a loss of
    # the program's scale can make an absolute threshold meaningless there
    traced_run_options: ClassVar[dict[str, Any]] = {}
    judges_samples: ClassVar[bool] = False  # a verdict on what the generator draws (needs real data and time)
    # (chart, option, label word): report.html draws the option's default as a line on that chart
    chart_line: ClassVar[tuple[str, str, str] | None] = None
    # the document of the repair (the layer's activation -> LeakyReLU at the setting choosing it) that `ganlint
    # fix --verify` makes from the layers this rule's findings blame first (fix/evidence.py); None: not its repair
    layer_repair: ClassVar[str | None] = None

    def check(self, facts, opts):
        return ()  # measured by the probe; `check` never reports a runtime rule

    def blamed_layers(self, finding: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
        """(layer evidence: network, module_path, activation, ...; why) per layer a finding of this rule (as a
        report dict) blames, for the fixer's runtime repairs."""
        return []

    def needs(self, options: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """instrument name -> the parameters (from this rule's options) that shape what it measures."""
        return {}

    def detect(self, series: "Series", options: dict[str, Any]) -> Iterable[Finding | None]:
        return ()

    def applies_to(self, family: str | None) -> bool:
        return not self.families or family in self.families


def rounded(x: Any, n: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else round(float(x), n)


class Series:
    """What a probe measured, as the detectors see it: series by name, non-finite events, layer kinds, the
    networks' layer order, the last sample evaluation, locations and static facts (from the runner)."""

    def __init__(self, series: dict[str, list], *, family: str | None = None, events: list | None = None,
                 layer_kinds: dict[str, str] | None = None, layer_order: dict[str, list[str]] | None = None,
                 last_samples: dict[str, Any] | None = None, context: dict[str, Any] | None = None,
                 layer_info: dict[str, dict[str, Any]] | None = None, network_classes: dict[str, str] | None = None):
        self.series = series
        self.layer_info = layer_info or {}  # series name -> {module: path, index: i, kind: "Sigmoid"}
        self.network_classes = network_classes or {}
        self.family = family
        self.events = events or []
        self.layer_kinds = layer_kinds or {}
        self.layer_order = layer_order or {}
        self.last_samples = last_samples or {}
        self.context = context if context is not None else {}
        self.context.setdefault("notes", [])

    @classmethod
    def of_probe(cls, probe) -> "Series":
        order = {role: [name for name, _ in probe.layers(role)] for role in probe.networks}
        return cls(probe.series, family=probe.family, events=probe.events, layer_kinds=probe.layer_kinds,
                   layer_order=order, last_samples=probe.last_samples, context=probe.context,
                   layer_info=getattr(probe, "layer_info", {}),
                   network_classes={r: type(n).__name__ for r, n in probe.networks.items()})

    # -- reading ----------------------------------------------------------------------------------
    def names(self, prefix: str = "") -> list[str]:
        return sorted(n for n in self.series if n.startswith(prefix))

    def points(self, name: str) -> list:
        return self.series.get(name, [])

    def layer_windows(self, prefix: str):
        """Per-layer series `<prefix>/<role>/<layer>`: (name, role, layer, mean of the last window, window) for
        each whose mean is finite, in name order (the saturation, dead-unit and energy-head rules)."""
        from ganlint.probe.stats import mean

        for name in self.names(prefix + "/"):
            role, _, layer = name[len(prefix) + 1:].partition("/")
            vals, win = self.last_window(name)
            m = mean(vals)
            if math.isfinite(m):
                yield name, role, layer, m, win

    def values(self, name: str) -> list[float]:
        return [v for _, v in self.series.get(name, [])]

    def steps(self, name: str) -> list[int]:
        return [int(s) for s, _ in self.series.get(name, [])]

    def last_window(self, name: str, frac: float = 0.25, min_points: int = 3) -> tuple[list[float], tuple[int, int]]:
        pts = self.series.get(name, [])
        if not pts:
            return [], (0, 0)
        n = max(min_points, int(math.ceil(len(pts) * frac)))
        w = pts[-n:]
        return [v for _, v in w], (int(w[0][0]), int(w[-1][0]))

    def network_class(self, role: str) -> str | None:
        return self.network_classes.get(role)

    @property
    def roles(self) -> list[str]:
        return list(self.layer_order)

    @property
    def sample_stats(self) -> dict[str, Any]:
        return self.last_samples.get("stats", {}) or {}

    def note(self, text: str) -> None:
        self.context["notes"].append(text)

    # -- where a finding points -------------------------------------------------------------------
    def loc(self, role: str | None = None, setting: str | None = None) -> Location:
        locs = self.context.get("locations", {})
        if setting and f"setting:{setting}" in locs:
            return locs[f"setting:{setting}"]
        if role and role in locs:
            return locs[role]
        return locs.get("default") or Location("<probe>", 1)

    def related(self, *keys: str) -> list[Location]:
        locs = self.context.get("locations", {})
        return [locs[k] for k in keys if k in locs]

    def static(self, name: str) -> bool:
        """A static condition the probe saw in the built networks / hyperparameters (runner's static_facts)."""
        return bool(self.context.get("static_facts", {}).get(name))

    def finding(self, rule: Rule, message: str, location: Location, evidence: dict[str, Any],
                related: list[Location] | None = None, confirms: list[str] | None = None) -> Finding:
        if confirms:
            evidence["confirms"] = confirms
            message += f" (confirms {', '.join(confirms)})"
        return rule.finding(message, location, evidence=evidence, related=related, family=self.family)


def confirmed(series: Series, *codes: str) -> list[str] | None:
    """Those of the static rules `codes` whose condition (their `runtime_fact`) the probe saw."""
    from ganlint.checking.registry import rule_by_code

    return [c for c in codes if series.static(rule_by_code(c).runtime_fact)] or None
