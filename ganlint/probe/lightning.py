"""PyTorch Lightning adapter: the same Probe behind a Lightning `Callback` (lightning is imported lazily,
when `GanlintCallback` is first accessed; importing this module imports neither torch nor lightning).

    from ganlint.probe.lightning import GanlintCallback
    cb = GanlintCallback(networks={"generator": model.G, "critic": model.D}, family="wgan-gp",
                         real=x_real, sample=lambda n: model.G(torch.randn(n, 16)))
    trainer = L.Trainer(callbacks=[cb]); trainer.fit(model)
    cb.probe.report.findings

Either package works: `lightning` (`lightning.pytorch`, preferred when both are installed) or
`pytorch_lightning`. A Trainer only accepts callbacks of its own package: with both installed and a
`pytorch_lightning.Trainer`, use `make_callback_class("pytorch_lightning")(...)`.

Steps: the probe's step is the number of training batches completed in this `fit` (`cb.step`), not
`trainer.global_step` (which counts optimizer steps: two per batch for a GAN with two optimizers, and it
has already advanced by `on_train_batch_end`).

Losses: whatever `training_step` returns (a tensor, recorded as `loss`, or a dict of scalars) and the
scalars logged with `self.log` in this step (`train_`/`train/` prefixes and a `_step` suffix dropped;
`_epoch` twins skipped; a value logged only per epoch is recorded once, at the next batch) are recorded:
name them loss_d/loss_g, kl, ... to feed the detectors.

Gradient norms are read in `on_before_optimizer_step` (after backward, before clipping and the update),
for the networks whose parameters that optimizer holds: with manual optimisation and one optimizer per
network, G and D come apart on their own. With gradient accumulation they are read on the batches whose
optimizer step runs.

If training raises (or Ctrl-C stops it), `on_exception` still finishes the report with what was measured
(`stopped`: "error" with the exception in `errors`, or "interrupted").
"""
from __future__ import annotations

import importlib
from typing import Any

PACKAGES = ("lightning.pytorch", "pytorch_lightning")
_classes: dict[str, type] = {}


def _callback_base(package: str | None = None) -> tuple[str, type]:
    for name in (package,) if package else PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return name, module.Callback
    wanted = package or " or ".join(PACKAGES)
    raise ImportError(f"GanlintCallback needs {wanted} (pip install lightning, or pytorch-lightning)")


def _scalar_outputs(outputs: Any) -> dict[str, Any]:
    if outputs is None:
        return {}
    if isinstance(outputs, dict):
        return dict(outputs)
    return {"loss": outputs}


def _metric_name(key: str) -> str | None:
    if key.endswith("_epoch"):
        return None
    if key.endswith("_step"):
        key = key[: -len("_step")]
    for prefix in ("train/", "train_"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key.replace("/", "_")


def make_callback_class(package: str | None = None) -> type:
    """The callback class on top of `package`'s `Callback` ("lightning.pytorch" or "pytorch_lightning";
    default: the first installed). One class per package."""
    name, Base = _callback_base(package)
    if name in _classes:
        return _classes[name]
    from ganlint.probe.api import Probe

    class GanlintCallback(Base):
        """Runs ganlint's runtime Probe during `Trainer.fit`; the report is `cb.probe.report` afterwards."""

        def __init__(self, networks: dict[str, Any] | None = None, family: str | None = None, **probe_kwargs: Any):
            super().__init__()
            self._networks, self._family, self._kw = networks, family, probe_kwargs
            self.probe: Probe | None = None
            self.step = 0  # training batches completed in this fit: the probe's step
            self._params: dict[str, set[int]] = {}
            self._seen: dict[str, Any] = {}

        def on_train_start(self, trainer, pl_module):
            nets = self._networks or {"model": pl_module}
            self.probe = Probe(nets, self._family, **self._kw)
            self.step, self._seen = 0, {}
            self._params = {role: {id(p) for p in net.parameters()} for role, net in self.probe.networks.items()}
            self.probe.on_train_start()

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            self.probe.on_train_batch_start(self.step)

        def on_before_optimizer_step(self, trainer, pl_module, optimizer):
            opt = getattr(optimizer, "optimizer", optimizer)  # a LightningOptimizer wraps the torch one
            held = {id(p) for group in opt.param_groups for p in group["params"]}
            for role, ids in self._params.items():
                if ids & held:
                    self.probe.on_after_backward(role, self.step)

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            outs = _scalar_outputs(outputs)
            for key, value in dict(getattr(trainer, "callback_metrics", None) or {}).items():
                # callback_metrics keeps values logged in earlier steps/epochs: take only fresh ones
                if self._seen.get(key) is value:
                    continue
                self._seen[key] = value
                metric = _metric_name(key)
                if metric:
                    outs.setdefault(metric, value)
            self.probe.on_train_batch_end(self.step, outs)
            self.step += 1

        def on_train_end(self, trainer, pl_module):
            self.probe.on_train_end()

        def on_exception(self, trainer, pl_module, exception):
            # Ctrl-C (Lightning then exits) or an error in training: report what was measured so far
            if self.probe is None or self.probe.report is not None or self.probe.started is None:
                return
            for ins in self.probe.instruments:
                ins.on_train_end(self.probe)
            interrupted = isinstance(exception, KeyboardInterrupt)
            error = f"training step {self.step}: {type(exception).__name__}: {exception}"
            self.probe.finish(stopped="interrupted" if interrupted else "error", errors=[] if interrupted else [error])

    GanlintCallback.__module__ = __name__
    _classes[name] = GanlintCallback
    return GanlintCallback


def __getattr__(name: str):
    if name == "GanlintCallback":
        return make_callback_class()
    raise AttributeError(name)
