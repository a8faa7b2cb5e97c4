"""The instruments attached from outside, before the user's code runs.

- `torch.optim.optimizer.register_optimizer_step_pre_hook` / `_post_hook`: every optimizer step of every
  optimizer: step counts, per-layer gradient norms (on a schedule), the loss that step follows, step control.
- `torch.nn.modules.module.register_module_forward_pre_hook` / `register_module_forward_hook`: global, only
  during discovery (the first optimizer steps), to see which module feeds which. Afterwards only the
  networks' own top modules carry a forward hook (cheap: it returns at once off schedule).
- Full backward hooks are not used: a global one wraps every module's output in a BackwardHook function,
  which raises on `nn.ReLU(inplace=True)` (DCGAN-style code); gradients are read from `.grad` at the step.
- Thin wrappers (in the child only) on `Tensor.backward` (the loss value), `torch.autograd.grad` (a gradient
  penalty's norm) and the loss functions of `torch.nn.functional` (what the loss does), because PyTorch has
  no hook for these. They record detached tensors; values reach the CPU in batches (no per-step sync).
"""
from __future__ import annotations

import os
import sys
from typing import Any

from ganlint.probe.trace.discovery import Flow
from ganlint.probe.trace.stepcontrol import StepControl

DISCOVERY_MIN_STEPS = 12  # total optimizer steps before the roles are settled (and >= 2 per optimizer)
DISCOVERY_MAX_STEPS = 60
LOSS_FUNCS = {"binary_cross_entropy": "bce", "binary_cross_entropy_with_logits": "bce_logits",
              "mse_loss": "mse", "cross_entropy": "ce", "softplus": "softplus", "kl_div": "kl_div"}


class UserFrames:
    """The innermost frame of the user's own files (not torch, not ganlint, not site-packages)."""

    def __init__(self, user_dirs: list[str]):
        import ganlint

        self.user_dirs = [os.path.abspath(d) + os.sep for d in user_dirs]
        self.skip = [os.path.dirname(os.path.abspath(ganlint.__file__)) + os.sep, os.sep + "site-packages" + os.sep,
                     os.path.dirname(os.__file__) + os.sep]
        self._cache: dict[str, bool] = {}

    def is_user(self, filename: str) -> bool:
        hit = self._cache.get(filename)
        if hit is None:
            f = os.path.abspath(filename)
            hit = (not filename.startswith("<") and not any(s in f or f.startswith(s) for s in self.skip)
                   and any(f.startswith(d) for d in self.user_dirs))
            self._cache[filename] = hit
        return hit

    def where(self) -> tuple[str, int] | None:
        f = sys._getframe(1)
        while f is not None:
            if self.is_user(f.f_code.co_filename):
                return f.f_code.co_filename, f.f_lineno
            f = f.f_back
        return None


class OptRecord:
    def __init__(self, opt, index: int, site):
        self.opt = opt
        self.index = index
        self.key = f"opt{index}"
        self.site = site  # the user's `.step()` line
        self.steps = 0
        self.kinds: set[str] = set()  # loss kinds seen in this optimizer's phase
        self.loss_sites: list[tuple[str, int]] = []
        self.net = None  # discovery.Net once resolved

    @property
    def params(self) -> list:
        return [p for g in self.opt.param_groups for p in g["params"]]


class Tracer:
    def __init__(self, *, steps: int | None, time_budget: float | None, watch: bool, stop_on: str | None,
                 user_dirs: list[str], seed: int = 0, on_watch=None,
                 rule_options: dict[str, dict[str, Any]] | None = None):
        self.control = StepControl(steps, time_budget, watch)
        self.frames = UserFrames(user_dirs)
        self.flow = Flow(self.frames.where)
        self.optims: dict[int, OptRecord] = {}
        self.discovering = True
        self._disc_base = 0  # total optimizer steps when the current discovery window opened
        self.pending_losses: list[Any] = []  # loss tensors since the last optimizer step
        self.pending_kinds: list[tuple[str, Any]] = []
        self.raw_losses: list[tuple[OptRecord, int, Any]] = []  # during discovery, before networks exist
        self.grad_calls = 0
        self.infonce_sources: set[int] = set()
        self.infonce_sites: list[tuple[str, int]] = []
        self.stop_on = stop_on
        self.rule_options = rule_options or {}  # the user's [tool.ganlint.rules.GLnnn] (measures.run_rule_options)
        self.seed = seed
        self.on_watch = on_watch
        self.handles: list[Any] = []
        self.measure = None  # measures.Measures once the networks are known
        self.nets: list = []
        self.notes: list[str] = []
        self._orig: list[tuple[Any, str, Any]] = []

    # -- install -----------------------------------------------------------------------------
    def install(self) -> None:
        import torch
        import torch.nn.functional as F
        from torch.nn.modules import module as mmod
        from torch.optim import optimizer as omod

        self.handles.append(omod.register_optimizer_step_pre_hook(self._pre_step))
        self.handles.append(omod.register_optimizer_step_post_hook(self._post_step))
        self._flow_handles = [mmod.register_module_forward_pre_hook(self.flow.pre),
                              mmod.register_module_forward_hook(self.flow.post, always_call=True)]
        tracer = self
        orig_backward = torch.Tensor.backward

        def backward(self_t, *args, **kwargs):
            tracer.on_backward(self_t)
            return orig_backward(self_t, *args, **kwargs)

        backward.__wrapped__ = orig_backward
        self._patch(torch.Tensor, "backward", backward)
        orig_grad = torch.autograd.grad

        def grad(*args, **kwargs):
            out = orig_grad(*args, **kwargs)
            if kwargs.get("create_graph") or (len(args) > 4 and args[4]):
                tracer.on_penalty(out)
            return out

        grad.__wrapped__ = orig_grad
        self._patch(torch.autograd, "grad", grad)
        for fname, kind in LOSS_FUNCS.items():
            orig = getattr(F, fname, None)
            if orig is not None:
                self._patch(F, fname, self._loss_wrapper(orig, kind))

    def _patch(self, owner, name, new) -> None:
        self._orig.append((owner, name, getattr(owner, name)))
        setattr(owner, name, new)

    def uninstall(self) -> None:
        for h in self.handles + list(getattr(self, "_flow_handles", [])):
            h.remove()
        for owner, name, orig in reversed(self._orig):
            setattr(owner, name, orig)
        self._orig = []
        if self.measure is not None:
            self.measure.detach_all()

    def _loss_wrapper(self, orig, kind):
        tracer = self

        def wrapped(*args, **kwargs):
            out = orig(*args, **kwargs)
            try:
                tracer.on_loss_call(kind, args, kwargs)
            except Exception:  # noqa: BLE001 - an instrument never breaks the user's program
                pass
            return out

        wrapped.__wrapped__ = orig
        wrapped.__name__ = orig.__name__
        return wrapped

    # -- what the wrappers see ---------------------------------------------------------------------
    def on_backward(self, t) -> None:
        if t.numel() == 1:
            d = t.detach()
            self.pending_losses.append(d if d.dim() == 0 else d.reshape(()))
            if self.discovering:
                self.pending_kinds.append(("backward", self.frames.where()))

    def on_penalty(self, out) -> None:
        self.grad_calls += 1
        if self.discovering:
            self.pending_kinds.append(("grad_penalty", self.frames.where()))
        if self.measure is not None and out and out[0] is not None:
            self.measure.penalty(out[0])

    def on_loss_call(self, kind: str, args, kwargs) -> None:
        if kind == "ce":
            x = args[0] if args else kwargs.get("input")
            y = args[1] if len(args) > 1 else kwargs.get("target")
            if self._infonce_shape(x, y):
                if self.discovering:
                    self._infonce_discover(x, y)
                elif self.measure is not None and self.infonce_sites:
                    self.measure.infonce(x, y)
                kind = "infonce" if self.infonce_sites else kind
        if self.discovering:
            self.pending_kinds.append((kind, self.frames.where()))

    @staticmethod
    def _infonce_shape(x, y) -> bool:
        return (x is not None and y is not None and hasattr(x, "dim") and x.dim() == 2 and hasattr(y, "dim")
                and y.dim() == 1 and not y.is_floating_point() and len(y) == x.shape[0] >= 4
                and x.shape[1] >= x.shape[0] - 1)

    def _infonce_discover(self, x, y) -> None:
        import torch

        n = x.shape[0]
        ar = torch.arange(n, device=y.device)
        if bool((y == ar).all()) or bool((y == 0).all()) or bool((y == ar % x.shape[1]).all()):
            site = self.frames.where()
            if site and site not in self.infonce_sites:
                self.infonce_sites.append(site)
            self.infonce_sources |= self.flow.sources(x)

    # -- optimizer hooks ------------------------------------------------------------------------------
    def _record(self, opt) -> OptRecord:
        rec = self.optims.get(id(opt))
        if rec is None:
            rec = OptRecord(opt, len(self.optims), self.frames.where())
            self.optims[id(opt)] = rec
            if not self.discovering:  # an optimizer that first steps after discovery (a G that waits for
                self._reopen()        # 20 critic steps): watch the data flow again for a window
        return rec

    def _reopen(self) -> None:
        from torch.nn.modules import module as mmod

        self.discovering = True
        self._disc_base = sum(r.steps for r in self.optims.values())
        self._flow_handles = [mmod.register_module_forward_pre_hook(self.flow.pre),
                              mmod.register_module_forward_hook(self.flow.post, always_call=True)]

    def _pre_step(self, opt, args, kwargs) -> None:
        rec = self._record(opt)
        losses, self.pending_losses = self.pending_losses, []
        if self.discovering:
            kinds, self.pending_kinds = self.pending_kinds, []
            for kind, site in kinds:
                if kind == "backward":
                    if site:
                        rec.loss_sites.append(site)
                else:
                    rec.kinds.add(kind)
            rec.phase_edges = getattr(rec, "phase_edges", []) + self.flow.take_phase_edges()
            for t in losses:
                self.raw_losses.append((rec, self.control.main_steps, t))
            return
        if self.measure is not None:
            self.measure.before_step(rec, losses)

    def _post_step(self, opt, args, kwargs) -> None:
        rec = self._record(opt)
        rec.steps += 1
        self.flow.depth = 0  # a forward that raised inside the user's try/except must not skew depths
        self.control.count(rec.key)
        if self.discovering:
            total = sum(r.steps for r in self.optims.values()) - self._disc_base
            if (total >= DISCOVERY_MIN_STEPS and all(r.steps >= 2 for r in self.optims.values())) \
                    or total >= DISCOVERY_MAX_STEPS:
                self.end_discovery()
        elif self.measure is not None:
            self.measure.after_step(rec)
        self.control.check()

    # -- discovery -> measuring -----------------------------------------------------------------------
    def end_discovery(self) -> None:
        if not self.discovering:
            return
        self.discovering = False
        for h in self._flow_handles:
            h.remove()
        self._flow_handles = []
        self._resolve()

    def _resolve(self) -> None:
        from ganlint.probe.trace.measures import Measures

        if self.measure is None:
            self.measure = Measures(self)
        self.measure.resolve(list(self.optims.values()))
        for rec, step, t in self.raw_losses:
            self.measure.loss(rec, step, t)
        self.raw_losses = []
