"""Run-mode instruments whose statistics stay on the networks' device until the next flush.

The recipe mode's GradNorms and Activations (ganlint.probe.api) turn every layer's statistic into a Python
float at once: one device sync per layer on CUDA. In the user's own loop the same statistics are computed
as tensors on the parameters' / activations' device and handed to `Measures.buf`, which copies everything
it holds to the CPU in one transfer per device every FLUSH steps (measures.py). Same definitions, same
series names: the detectors read them as they read the recipe mode's.
"""
from __future__ import annotations

from typing import Any

from ganlint.probe.api import Activations


class DeviceGradNorms:
    """Per-layer gradient norms of a network (the L2 norm over the layer's own parameters' gradients) and
    the network's total norm (sqrt of the sum of the layers' squares), as one tensor per measurement."""

    def __init__(self, push):
        self.push = push  # (names, step, tensor of len(names)) -> None
        self._index: dict[tuple, Any] = {}

    def measure(self, probe, role: str, step: int) -> None:
        import torch

        layers = probe.layers(role)
        grads, owner = [], []
        for i, (_, params) in enumerate(layers):
            for p in params:
                if p.grad is not None:
                    grads.append(p.grad)
                    owner.append(i)
        if not grads:
            return
        dev = grads[0].device
        if any(g.device != dev for g in grads):  # a network split over devices: norms gathered on the first
            grads = [g.to(dev) for g in grads]
        with torch.no_grad():  # one multi-tensor norm (a fused kernel on CUDA), not one op per gradient
            flt = [g if g.dtype == torch.float32 else g.float() for g in grads]
            try:
                sq = torch.stack(torch._foreach_norm(flt)).pow(2)
            except (RuntimeError, NotImplementedError):  # sparse gradients: one norm each
                sq = torch.stack([torch.linalg.vector_norm(g) for g in flt]).pow(2)
        key = (role, str(dev), tuple(owner))
        idx = self._index.get(key)
        if idx is None:  # the index tensor is made once per layout, not per measurement
            used = sorted(set(owner))
            idx = self._index[key] = (torch.tensor(owner, device=dev), torch.tensor(used, device=dev), used)
        owner_t, used_t, used = idx
        per_layer = torch.zeros(len(layers), device=dev).index_add_(0, owner_t, sq)
        norms = torch.cat([per_layer.index_select(0, used_t).sqrt(), per_layer.sum().sqrt().reshape(1)])
        names = tuple(f"grad/{role}/{layers[i][0]}" for i in used) + (f"gradnorm/{role}",)
        self.push(names, step, norms)


class DeviceActivations(Activations):
    """The recipe mode's saturation / dead-unit instrument (same layers, thresholds, series), with its
    counts accumulated as tensors on the activations' device instead of a float per hook call."""

    def __init__(self, every, push, threshold: float = 5.0, head_threshold: float | None = None):
        super().__init__(every, threshold=threshold, head_threshold=head_threshold)
        self.push = push  # (name, step, tensor) -> None

    def _attach(self):
        if self.handles:
            return
        for key, module, kind, _ in self.targets:
            thr = self.head_threshold if kind == "head" else self.threshold
            acc = self.acc.setdefault(key, [0, 0])

            if kind == "dead":
                def hook(mod, inp, out, acc=acc):
                    if hasattr(out, "detach"):
                        acc[0] = (out.detach() == 0).sum() + acc[0]
                        acc[1] += out.numel()
            else:
                def hook(mod, inp, out, acc=acc, thr=thr):
                    if inp and hasattr(inp[0], "detach"):
                        x = inp[0].detach()
                        acc[0] = (x.abs() > thr).sum() + acc[0]
                        acc[1] += x.numel()
            self.handles.append(module.register_forward_hook(hook))

    def on_train_batch_end(self, probe, step, outputs):
        if self.handles:
            self._detach()
            for key, (hit, n) in self.acc.items():
                if n:
                    self.push((key,), step, (hit / n).reshape(1))
            self.acc = {}


class DeviceParams:
    """Non-finite parameters, checked on schedule as the recipe mode's Params does, with one host copy per
    network (all of its tensors' finiteness reduced on the device) instead of one per parameter tensor."""

    def check(self, probe, step: int) -> None:
        import torch

        for role, net in probe.networks.items():
            params = list(net.parameters())
            if not params:
                continue
            dev = params[0].device
            flags = [torch.isfinite(p.detach()).all() for p in params]
            if bool(torch.stack([f if f.device == dev else f.to(dev) for f in flags]).all()):
                continue
            for pname, prm in net.named_parameters():  # something is non-finite: name the first tensor
                if not bool(torch.isfinite(prm).all()):
                    probe.non_finite(step, f"parameter {role}.{pname}", float("nan"))
                    return


def read_back(buf: list) -> list:
    """The values of buffered statistics [(names, step, value)] on the CPU: one host copy per device. A tensor
    value becomes the list of its elements (float32), anything else None (the caller reads it as a float).
    The 0-d statistics (the losses: most of a buffer) are stacked in one op, not reshaped and cast one by one."""
    import torch

    by_dev: dict[Any, tuple[list[int], list[int]]] = {}  # device -> (0-d statistics, the others)
    for i, (_, _, v) in enumerate(buf):
        if isinstance(v, torch.Tensor):
            by_dev.setdefault(v.device, ([], []))[0 if v.dim() == 0 else 1].append(i)
    vals: list[Any] = [None] * len(buf)
    for scal, vecs in by_dev.values():
        parts = [buf[i][2].detach().reshape(-1).float() for i in vecs]
        if scal:
            parts.insert(0, torch.stack([buf[i][2] for i in scal]).detach().float())
        flat = (torch.cat(parts) if len(parts) > 1 else parts[0]).cpu().tolist()
        for j, i in enumerate(scal):
            vals[i] = flat[j: j + 1]
        at = len(scal)
        for i, t in zip(vecs, parts[1:] if scal else parts):
            vals[i] = flat[at: at + len(t)]
            at += len(t)
    return vals
