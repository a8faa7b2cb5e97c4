"""The probe object: instruments on a schedule behind do-nothing-by-default hooks.

`ganlint probe` drives it from its recipes; people with their own loop call the same hooks:

    probe = Probe({"generator": G, "critic": D}, family="wgan-gp", real=x_real, sample=lambda n: G(torch.randn(n, 16)))
    with probe:                                     # on_train_start ... on_train_end, report on exit
        for step in range(2000):
            probe.on_train_batch_start(step)
            ...; loss_d.backward(); probe.on_after_backward("critic", step); opt_d.step()
            ...; loss_g.backward(); probe.on_after_backward("generator", step); opt_g.step()
            probe.on_train_batch_end(step, {"loss_d": loss_d, "loss_g": loss_g})
    print(probe.report.findings)

Instruments are small units (Cockpit-style): each has a schedule (`every` steps) and computes plain numbers.
Activation statistics use forward hooks attached only on scheduled steps (never full backward hooks, which
break on in-place ReLU); gradient norms read parameter `.grad` after backward.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

DEFAULT_SCHEDULE = {"grads": 25, "activations": 50, "samples": 100, "latents": 25, "params": 50}


def _f(v: Any) -> float | None:
    if isinstance(v, (int, float)):
        return float(v)
    if hasattr(v, "dim") and v.dim() == 0:
        return float(v.detach())
    if hasattr(v, "numel") and v.numel() == 1:
        return float(v.detach().reshape(()))
    return None


class Instrument:
    """A unit of measurement: `every` steps; hooks do nothing by default."""

    name = "instrument"
    every = 1

    def due(self, step: int) -> bool:
        return self.every > 0 and step % self.every == 0

    def on_train_start(self, probe: "Probe") -> None: ...
    def on_train_batch_start(self, probe: "Probe", step: int) -> None: ...
    def on_after_backward(self, probe: "Probe", role: str, step: int) -> None: ...
    def on_train_batch_end(self, probe: "Probe", step: int, outputs: dict[str, Any]) -> None: ...
    def on_train_end(self, probe: "Probe") -> None: ...


class Scalars(Instrument):
    """Every scalar the loop reports (losses, D outputs, penalty norm, KL, energies), and non-finite losses."""

    name = "scalars"

    def on_train_batch_end(self, probe, step, outputs):
        for k, v in outputs.items():
            f = _f(v)
            if f is None:
                continue
            probe.record(k, step, f)
            if not math.isfinite(f):
                probe.non_finite(step, f"{k} (loss/output)", f)


class GradNorms(Instrument):
    """Per-layer gradient norms per network (G and D apart), total norm, non-finite gradients."""

    name = "grads"

    def __init__(self, every):
        self.every = every

    def on_after_backward(self, probe, role, step):
        if not self.due(step) or role not in probe.networks:
            return
        import torch

        total = 0.0
        for lname, params in probe.layers(role):
            grads = [p.grad for p in params if p.grad is not None]
            if not grads:
                continue
            n = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
            probe.record(f"grad/{role}/{lname}", step, n)
            if not math.isfinite(n):
                probe.non_finite(step, f"gradient of {role} layer {lname}", n)
            total += n * n
        probe.record(f"gradnorm/{role}", step, math.sqrt(total) if math.isfinite(total) else total)


class Params(Instrument):
    """Non-finite parameters (checked on schedule)."""

    name = "params"

    def __init__(self, every):
        self.every = every

    def on_train_batch_end(self, probe, step, outputs):
        if not self.due(step):
            return
        import torch

        for role, net in probe.networks.items():
            for pname, prm in net.named_parameters():
                if not bool(torch.isfinite(prm).all()):
                    probe.non_finite(step, f"parameter {role}.{pname}", float("nan"))
                    return


class Activations(Instrument):
    """Saturation of sigmoid/tanh (share of pre-activations beyond ±threshold) and dead ReLU outputs, per layer.
    Forward hooks are attached for scheduled steps only."""

    name = "activations"

    def __init__(self, every, threshold: float = 5.0, head_threshold: float | None = None):
        # thresholds come from the rules' needs(): the saturation rule's preact_threshold, the energy head's own
        self.every, self.threshold = every, threshold
        self.head_threshold = threshold if head_threshold is None else head_threshold
        self.handles: list[Any] = []
        self.acc: dict[str, list[float]] = {}
        self.head: tuple[str, Any] | None = None

    def on_train_start(self, probe):
        import torch.nn as nn

        self.targets = []
        info: dict[str, dict[str, Any]] = {}
        for role, net in probe.networks.items():
            sig = [(n, m) for n, m in net.named_modules() if isinstance(m, nn.Sigmoid)]
            head = sig[-1] if (role == "energy" and sig) else None
            leaves = [n for n, m in net.named_modules() if not list(m.children())]
            for n, m in net.named_modules():
                if isinstance(m, (nn.Sigmoid, nn.Tanh)):
                    kind = "head" if head is not None and m is head[1] else "sat"
                    key = f"{kind}/{role}/{n or type(m).__name__}"
                elif isinstance(m, (nn.ReLU, nn.ReLU6)):
                    kind, key = "dead", f"dead/{role}/{n or 'relu'}"
                else:
                    continue
                self.targets.append((key, m, kind, type(m).__name__))
                # where the layer sits: its module path and its index among the network's leaf modules
                info[key] = {"module": n, "index": leaves.index(n) if n in leaves else None, "kind": type(m).__name__,
                             "network_class": type(net).__name__}
        probe.layer_kinds = {k: t for k, _, _, t in self.targets}
        probe.layer_info = info

    def _attach(self):
        if self.handles:
            return
        for key, module, kind, _ in self.targets:
            thr = self.head_threshold if kind == "head" else self.threshold
            acc = self.acc.setdefault(key, [0.0, 0.0])

            if kind == "dead":
                def hook(mod, inp, out, acc=acc):
                    acc[0] += float((out.detach() == 0).sum())
                    acc[1] += out.numel()
            else:
                def hook(mod, inp, out, acc=acc, thr=thr):
                    x = inp[0].detach()
                    acc[0] += float((x.abs() > thr).sum())
                    acc[1] += x.numel()
            self.handles.append(module.register_forward_hook(hook))

    def _detach(self):
        for h in self.handles:
            h.remove()
        self.handles = []

    saw_start = False

    def on_train_batch_start(self, probe, step):
        self.saw_start = True
        if self.due(step):
            self._attach()

    def on_train_batch_end(self, probe, step, outputs):
        if self.handles:
            self._detach()
            for key, (hit, n) in self.acc.items():
                if n:
                    probe.record(key, step, hit / n)
            self.acc = {}
        if not self.saw_start and self.due(step + 1):
            self._attach()  # loops that never call on_train_batch_start still get measured

    def on_train_end(self, probe):
        self._detach()


class Latents(Instrument):
    """VAE: active latent units (variance over the batch of mu > 0.01) and the log-variance range."""

    name = "latents"

    def __init__(self, every, active_var: float = 0.01):
        self.every, self.active_var = every, active_var

    def on_train_batch_end(self, probe, step, outputs):
        if not self.due(step) or "mu" not in outputs:
            return
        mu, lv = outputs["mu"], outputs.get("log_var")
        if hasattr(mu, "var") and mu.dim() == 2 and mu.shape[0] > 1:
            probe.record("active_units", step, float((mu.var(0) > self.active_var).float().mean()))
        if lv is not None and hasattr(lv, "min"):
            probe.record("log_var_min", step, float(lv.min()))
            probe.record("log_var_max", step, float(lv.max()))


class Samples(Instrument):
    """Generated vs real: mode coverage, per-mode spread ratio, KL both ways, log-likelihood, MMD."""

    name = "samples"

    def __init__(self, every, reference, sample: Callable[[int], Any], n: int = 768, seed: int = 0, min_share=0.25):
        self.every, self.reference, self.sample_fn, self.n = every, reference, sample, n
        self.seed, self.min_share = seed, min_share

    def on_train_batch_end(self, probe, step, outputs):
        if not self.due(step + 1):
            return
        self.measure(probe, step)

    def measure(self, probe, step):
        import torch

        was = {r: n.training for r, n in probe.networks.items()}
        for n in probe.networks.values():
            n.eval()
        try:
            with torch.no_grad():
                g = torch.Generator().manual_seed(self.seed + 99 + step)
                try:
                    fake = self.sample_fn(self.n, g)
                except TypeError:
                    fake = self.sample_fn(self.n)
                fake = fake.detach().float().cpu().reshape(self.n, -1)
        finally:
            for r, n in probe.networks.items():
                n.train(was[r])
        stats = self.reference.compare(fake, self.min_share)
        for k, v in stats.items():
            if isinstance(v, (int, float)):
                probe.record(k, step, float(v))
        # the points the measures used, so a reader can recompute them (all of them up to 64-D; 400 above)
        keep = len(fake) if fake.shape[1] <= 64 else 400
        probe.last_samples = {"step": step, "stats": stats, "fake": fake[:keep].tolist(),
                              "real": self.reference.x[:keep].tolist(), "k": 5,
                              "feature_space": self.reference.features.describe()}
        if stats.get("non_finite_samples"):
            probe.non_finite(step, "generated samples", float("nan"))


class Probe:
    """Hooks (no-ops unless an instrument needs them) + a store of metric series + detectors at the end."""

    def __init__(self, networks: dict[str, Any], family: str | None = None, *, real: Any = None,
                 sample: Callable | None = None, modes: Any = None, schedule: dict[str, int] | None = None,
                 rule_options: dict[str, dict[str, Any]] | None = None, out_dir: str | None = None,
                 write_report: bool = False, seed: int = 0, instruments: bool = True, context: dict | None = None):
        self.networks = dict(networks)
        self.family = family
        self.schedule = {**DEFAULT_SCHEDULE, **(schedule or {})}
        self.rule_options = rule_options or {}
        self.out_dir, self.write_report, self.seed = out_dir, write_report, seed
        self.series: dict[str, list[list[float]]] = {}
        self.events: list[dict[str, Any]] = []
        self.last_samples: dict[str, Any] = {}
        self.layer_kinds: dict[str, str] = {}
        self.context = dict(context or {})  # hyperparameters, data info, static facts (set by the runner)
        self.step = -1
        self.report = None
        self.started = None
        self.instruments: list[Instrument] = []
        self.layer_info: dict[str, dict[str, Any]] = {}
        if instruments:
            from ganlint.probe.detectors import instrument_needs

            needs = instrument_needs(family, self.rule_options)  # the rules' options shape the instruments
            defaults = instrument_needs(family, self.rule_options, any_family=True)  # where none of the family does
            self.instruments = [Scalars(), GradNorms(self.schedule["grads"]), Params(self.schedule["params"])]
            if family == "vae":
                self.instruments.append(Latents(self.schedule["latents"], **needs.get("latents", {})))
            if sample is not None and real is not None:
                from ganlint.probe.data import find_modes
                from ganlint.probe.stats import Reference

                import torch

                x = torch.as_tensor(real).float().reshape(len(real), -1)
                if modes is None:
                    modes, _ = find_modes(x, seed=seed)
                ms = needs.get("samples", {}).get("min_share", defaults.get("samples", {}).get("min_share", 0.25))
                self.instruments.append(Samples(self.schedule["samples"], Reference(x, modes, seed=seed), sample,
                                                seed=seed, min_share=ms))
            # last: its hooks for the next step must not see the sample evaluation's forward pass
            act = needs.get("activations", {})
            self.instruments.append(Activations(self.schedule["activations"],
                                                threshold=act.get("sat_threshold", defaults["activations"]["sat_threshold"]),
                                                head_threshold=act.get("head_threshold")))
        else:
            self.instruments = [Scalars()]
        self._layers: dict[str, list] = {}

    # -- store --------------------------------------------------------------------------------
    def record(self, name: str, step: int, value: float) -> None:
        self.series.setdefault(name, []).append([step, value])

    def non_finite(self, step: int, what: str, value: float) -> None:
        if not any(e["what"] == what for e in self.events):
            self.events.append({"step": step, "what": what, "value": repr(value)})

    @property
    def has_non_finite(self) -> bool:
        return bool(self.events)

    def opt(self, code: str) -> dict[str, Any]:
        from ganlint.checking.registry import rule_by_code

        rule = rule_by_code(code)
        return {**(rule.options if rule else {}), **self.rule_options.get(code, {})}

    def layers(self, role: str):
        """(layer name, its own parameters) for each module of a network that has parameters."""
        if role not in self._layers:
            out = []
            for name, m in self.networks[role].named_modules():
                ps = list(m.parameters(recurse=False))
                if ps:
                    out.append((name or type(m).__name__, ps))
            self._layers[role] = out
        return self._layers[role]

    # -- hooks (Lightning-style names) ----------------------------------------------------------
    def on_train_start(self) -> None:
        self.started = time.perf_counter()
        for ins in self.instruments:
            ins.on_train_start(self)

    def on_train_batch_start(self, step: int) -> None:
        for ins in self.instruments:
            ins.on_train_batch_start(self, step)

    def on_after_backward(self, role: str, step: int | None = None) -> None:
        s = self.step + 1 if step is None else step
        for ins in self.instruments:
            ins.on_after_backward(self, role, s)

    def on_before_optimizer_step(self, role: str, step: int | None = None) -> None:
        """Alias point for loops that clip between backward and step (nothing measured here by default)."""

    def on_train_batch_end(self, step: int, outputs: dict[str, Any] | None = None) -> None:
        self.step = step
        for ins in self.instruments:
            ins.on_train_batch_end(self, step, outputs or {})

    def on_train_end(self):
        for ins in self.instruments:
            ins.on_train_end(self)
        return self.finish()

    def measure_samples_now(self) -> None:
        for ins in self.instruments:
            if isinstance(ins, Samples):
                ins.measure(self, max(self.step, 0))

    # -- verdicts -----------------------------------------------------------------------------
    def findings(self):
        from ganlint.probe.detectors import detect

        return detect(self)

    def finish(self, **report_fields):
        from ganlint.probe.detectors import summary_metrics
        from ganlint.probe.report import ProbeReport

        findings = self.findings()
        metrics = summary_metrics(self)
        rep = ProbeReport(findings=findings, metrics=metrics, series=self.series, family=self.family,
                          samples=self.last_samples, seed=self.seed, **report_fields)
        if self.started is not None:
            rep.timings.setdefault("train_s", round(time.perf_counter() - self.started, 3))
        self.report = rep
        if self.write_report and self.out_dir:
            rep.write(self.out_dir)
        return rep

    def __enter__(self) -> "Probe":
        self.on_train_start()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.on_train_end()
        return False
