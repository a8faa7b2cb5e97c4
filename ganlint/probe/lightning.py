"""PyTorch Lightning adapter: the same Probe behind a Lightning `Callback` (lightning is imported lazily).

    from ganlint.probe.lightning import GanlintCallback
    cb = GanlintCallback(networks={"generator": model.G, "critic": model.D}, family="wgan-gp",
                         real=x_real, sample=lambda n: model.G(torch.randn(n, 16)))
    trainer = L.Trainer(callbacks=[cb]); trainer.fit(model)
    cb.probe.report.findings

Losses: whatever `training_step` returns (a tensor or a dict of tensors) is recorded; with manual
optimisation log them with names such as loss_d/loss_g. Gradient norms are read in `on_after_backward`
for every network (Lightning does not say which optimizer ran; with manual optimisation call
`cb.probe.on_after_backward(role, step)` yourself for the G/D split).
"""
from __future__ import annotations

from typing import Any


def _callback_base():
    try:
        from lightning.pytorch import Callback  # lightning >= 2
    except ImportError:
        try:
            from pytorch_lightning import Callback  # older package name
        except ImportError as exc:
            raise ImportError("GanlintCallback needs lightning (pip install lightning)") from exc
    return Callback


def make_callback_class():
    Base = _callback_base()
    from ganlint.probe.api import Probe

    class GanlintCallback(Base):
        def __init__(self, networks: dict[str, Any] | None = None, family: str | None = None, **probe_kwargs: Any):
            super().__init__()
            self._networks, self._family, self._kw = networks, family, probe_kwargs
            self.probe: Probe | None = None

        def on_train_start(self, trainer, pl_module):
            nets = self._networks or {"model": pl_module}
            self.probe = Probe(nets, self._family, **self._kw)
            self.probe.on_train_start()

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            self.probe.on_train_batch_start(trainer.global_step)

        def on_after_backward(self, trainer, pl_module):
            for role in self.probe.networks:
                self.probe.on_after_backward(role, trainer.global_step)

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if isinstance(outputs, dict):
                outs = dict(outputs)
            elif outputs is not None:
                outs = {"loss": outputs}
            else:
                outs = {}
            for k, v in getattr(trainer, "callback_metrics", {}).items():
                outs.setdefault(k.replace("train_", "").replace("/", "_"), v)
            self.probe.on_train_batch_end(trainer.global_step, outs)

        def on_train_end(self, trainer, pl_module):
            self.probe.on_train_end()

    return GanlintCallback


def __getattr__(name: str):
    if name == "GanlintCallback":
        return make_callback_class()
    raise AttributeError(name)
