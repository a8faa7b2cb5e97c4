"""What is measured on the user's loop once the networks are known (the Tracer drives it from step hooks).

Schedule (main = generator, else the model; counted in its optimizer steps):
  every step        the loss each optimizer steps on (detached, batched to the CPU every 25 steps),
                    the VAE's KL from the encoder's (mu, logvar), a penalty's gradient norm, InfoNCE accuracy
  every 25 steps    per-layer gradient norms per network (at its optimizer step: after backward, before the
                    update), VAE active units; the values are read back (flush) and NaN/Inf are looked for
  every 5 steps     (and the first 20) generator outputs and the critic's real batches, as features
  every 50 steps    saturation / dead units (forward hooks for one iteration), non-finite parameters
  every 100 steps   generated vs real sample statistics (ganlint.probe.stats.Reference, on a worker thread:
                    evaluation.py)
Statistics stay on the networks' device until the read-back (instruments.py): no host copy between.
The existing instruments (ganlint.probe.api) compute saturation, gradient norms and parameter checks.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Any

from ganlint.probe.trace.discovery import (
    Net, assign_roles, ends_in_sigmoid, mu_logvar_module, net_modules, storage_ptr, tensors_in,
)
from ganlint.probe.trace.evaluation import import_dependencies

GRADS, FLUSH, CAPTURE, ACTS, SAMPLES = 25, 25, 5, 50, 100
REAL_KEEP, FAKE_KEEP = 1536, 768
LOSS_SERIES = {"critic": "loss_d", "generator": "loss_g"}


def run_rule_options(user: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The options the runtime rules take in a traced run of the user's own program: their traced_run_options,
    under the user's own `[tool.ganlint.rules.GLnnn]` values (which win, as in recipe mode)."""
    from ganlint.probe.detectors import runtime_rules

    out = {r.code: dict(r.traced_run_options) for r in runtime_rules() if r.traced_run_options}
    for code, values in (user or {}).items():
        out.setdefault(code, {}).update(values)
    return out


class Measures:
    def __init__(self, tracer):
        from ganlint.probe.trace.features import FeatureMap

        self.t = tracer
        self.features = FeatureMap(tracer.seed)
        self.nets: list[Net] = []
        self.by_role: dict[str, Net] = {}
        self.roles_why: dict[str, str] = {}
        self.family: str | None = None
        self.family_why = ""
        self.probe = None
        self.handles: list[Any] = []
        self.buf: list[tuple[str, int, Any]] = []
        self._loss_names: dict[int, str] = {}  # optimizer index -> loss series (loss_series)
        self.real: deque = deque()
        self.fake: deque = deque()
        self.kept_rows = {"real": 0, "fake": 0}  # rows held in self.real / self.fake (kept in step with them)
        self.fake_ptrs: deque = deque(maxlen=6)
        self.capturing = True
        self.evaluator = None  # evaluation.SampleEvaluator, made at the first evaluation
        self._watch_due = False
        self.kept, self.kept_at_eval = 0, -1  # generator batches kept so far / when last evaluated
        self.evals = 0
        self.kl_dims: list[tuple[int, list[float]]] = []
        self.leak_check = None  # leak.LeakCheck when the program has a generator and a critic
        self.clip: float | None = None
        self._clip_checked = False
        self.static_families: set[str] = set(getattr(tracer, "static_families", set()))
        self.acts = self.grads = self.params = None
        self.active_var = 0.01
        self._capture_handles: list[Any] = []
        self._capture_parts: list[tuple[Any, Any]] = []  # (module, hook) attached while capturing

    # -- networks, roles, family ----------------------------------------------------------------------
    def resolve(self, recs) -> None:
        import torch.nn as nn

        from ganlint.probe.api import Probe
        from ganlint.probe.detectors import instrument_needs
        from ganlint.probe.trace.family import clip_bound, family_of
        from ganlint.probe.trace.instruments import DeviceActivations, DeviceGradNorms, DeviceParams

        self.detach_all()
        self._loss_names = {}
        flow = self.t.flow
        nets: list[Net] = []
        for rec in recs:
            params = rec.params
            pid = {id(p) for p in params}
            same = next((n for n in nets if {id(p) for p in n.module.parameters()} == pid), None)
            if same is not None:  # two optimizers over one network (rare): one network
                same.optimizers.append(rec)
                rec.net = same
                continue
            parts = net_modules(flow, params)
            if len(parts) == 1:
                module = parts[0]
            elif parts:
                module = nn.ModuleDict({f"{type(p).__name__}{i}": p for i, p in enumerate(parts)})
            else:  # raw tensors the program multiplies itself
                module = nn.ParameterList(params)
            cls = "+".join(type(p).__name__ for p in parts) or "parameters"
            n = Net(name=f"net{len(nets) + 1}", role=None, module=module, parts=parts, optimizers=[rec], cls=cls)
            rec.net = n
            nets.append(n)
        self.roles_why = assign_roles(nets, flow, self.t.infonce_sources)
        self.nets = nets
        self.by_role = {n.role: n for n in nets if n.role}
        critic_kinds = set().union(*(r.kinds for n in nets if n.role == "critic" for r in n.optimizers)) if nets else set()
        if "critic" in self.by_role:
            self.clip = clip_bound(list(self.by_role["critic"].module.parameters()))
        self.family, self.family_why = family_of(set(self.by_role), critic_kinds, self.clip, self.static_families)
        main = self.by_role.get("generator") or self.by_role.get("vae") or self.by_role.get("energy") \
            or self.by_role.get("model") or (nets[0] if nets else None)
        self.main = main
        if main is not None:
            self.t.control.main = f"opt{main.optimizers[0].index}"
        ctx = {"locations": self.locations(), "static_facts": {}, "kl_anneal_steps": None, "temperature": None}
        old = self.probe
        opts = run_rule_options(getattr(self.t, "rule_options", None))
        self.probe = Probe({n.name: n.module for n in nets}, self.family, instruments=False, context=ctx,
                           seed=self.t.seed, rule_options=opts)
        self.probe.instruments = []
        if old is not None:  # a late optimizer: keep what was measured
            self.probe.series, self.probe.events = old.series, old.events
        # the rules' options shape the instruments, as in recipe mode (api.Probe): the saturation rule's preact_threshold is
        # the |pre-activation| counted as saturated, the inactive-latent rule's active_var the variance of an active latent unit
        needs, defaults = instrument_needs(self.family, opts), instrument_needs(self.family, opts, any_family=True)
        act = needs.get("activations", {})
        self.active_var = float(needs.get("latents", defaults.get("latents", {})).get("active_var", 0.01))
        self.grads, self.params = DeviceGradNorms(self._push), DeviceParams()
        self.acts = DeviceActivations(ACTS, self._push,
                                      threshold=act.get("sat_threshold", defaults["activations"]["sat_threshold"]),
                                      head_threshold=act.get("head_threshold"))
        self.acts.on_train_start(self.probe)
        self.acts.saw_start = True
        self._attach_hooks(flow)

    def locations(self) -> dict[str, Any]:
        from ganlint.probe.trace.locate import locations

        return locations(self)

    def _attach_hooks(self, flow) -> None:
        gen, critic, vae = self.by_role.get("generator"), self.by_role.get("critic"), self.by_role.get("vae")
        if gen is not None and critic is not None:
            c_ids = {id(m) for m in critic.module.modules()}
            srcs = {e.src for e in flow.edges if e.dst in c_ids}
            outs = [p for p in gen.parts if any(id(m) in srcs for m in p.modules())] or gen.parts[:1]
            # attached only while capturing (_capture): off schedule a forward pays nothing for them
            self._capture_parts = [(p, self._gen_hook) for p in outs] + [(p, self._critic_hook) for p in critic.parts[:1]]
            self._capture(self.capturing)
            from ganlint.probe.trace.leak import LeakCheck

            if self.leak_check is None:
                self.leak_check = LeakCheck(list(gen.module.parameters()))
            else:  # a late optimizer re-resolves: keep what was checked
                self.leak_check.gen_params = list(gen.module.parameters())
            self.d_sigmoid = ends_in_sigmoid(critic.module)
            import_dependencies()  # evaluations will run: their imports now, not mid-training on the worker
        if vae is not None:
            m, idx = mu_logvar_module(vae, flow)
            if m is not None:
                self.mu_idx = idx
                self.handles.append(m.register_forward_hook(self._vae_hook))

    def _capture(self, on: bool) -> None:
        if on and not self._capture_handles:
            self._capture_handles = [m.register_forward_hook(h) for m, h in self._capture_parts]
        elif not on and self._capture_handles:
            for h in self._capture_handles:
                h.remove()
            self._capture_handles = []

    def detach_all(self) -> None:
        for h in self.handles + self._capture_handles:
            h.remove()
        self.handles, self._capture_handles = [], []
        if self.acts is not None:
            self.acts._detach()

    # -- per-step measurements ----------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.t.control.main_steps

    def loss_series(self, rec) -> str:  # the series of an optimizer's loss, named once per resolve
        name = self._loss_names.get(rec.index)
        if name is None:
            role = rec.net.role if rec.net is not None else None
            name = self._loss_names[rec.index] = LOSS_SERIES.get(
                role, "loss" if len(self.nets) == 1 or role in ("vae", "energy", "model")
                else f"loss_{rec.net.name if rec.net else rec.index}")
        return name

    def loss(self, rec, step: int, t) -> None:
        self.buf.append((self.loss_series(rec), step, t))

    def penalty(self, g) -> None:
        if self.capturing and g.dim() >= 1 and g.shape[0] > 1:  # sampled, as the other per-batch statistics
            import torch  # (torch.linalg.vector_norm: what Tensor.norm(2, dim=1) calls, without its Python layers)

            self.buf.append(("gp_norm", self.step,
                             torch.linalg.vector_norm(g.detach().reshape(g.shape[0], -1), dim=1).mean()))

    def infonce(self, x, y) -> None:
        x, y = x.detach(), y.detach()
        c = x.shape[1]
        pos = x.gather(1, y[:, None]).squeeze(1)
        neg = (x.sum(1) - pos) / max(c - 1, 1)
        s = self.step
        # the softmax over logits is a Boltzmann distribution with energy E = -logit (the temperature inside)
        self.buf += [("infonce_accuracy", s, (x.argmax(1) == y).float().mean()), ("e_pos", s, -pos.mean()),
                     ("e_neg", s, -neg.mean()), ("energy_gap", s, (pos - neg).mean()),
                     ("infonce_chance", s, 1.0 / c)]

    def before_step(self, rec, losses) -> None:
        s = self.step
        if losses:
            name = self.loss_series(rec)
            self.buf += [(name, s, t) for t in losses]
        net = rec.net
        if net is None:
            return
        if net.role == "critic" and not self._clip_checked:  # the program's own clamp_ ran after its last step
            self._clip_checked = True
            self._clipping(net)
        if rec.steps % GRADS == 0:
            self.grads.measure(self.probe, net.name, s)
        if net.role == "critic" and self.leak_check is not None and self.leak_check.due(rec.steps):
            self.leak_check.at_critic_step(s)

    def _clipping(self, critic) -> None:
        """Weight clipping runs after the critic's step, so it is seen at the critic's next step."""
        from ganlint.probe.trace.family import clip_bound, family_of

        self.clip = clip_bound(list(critic.module.parameters()))
        if self.clip is not None and self.family != "wgan-gp":
            kinds = set().union(*(r.kinds for r in critic.optimizers))
            self.family, self.family_why = family_of(set(self.by_role), kinds, self.clip, self.static_families)
            self.probe.family = self.family

    def after_step(self, rec) -> None:
        if self.leak_check is not None:  # the critic's next step is checked when this is due
            self.leak_check.after_step(self.by_role["critic"].optimizers[0].steps)
        if rec.net is not self.main:
            return
        k = self.step
        self.probe.step = k
        self.acts.on_train_batch_end(self.probe, k - 1, {})
        self.acts.on_train_batch_start(self.probe, k)
        self.capturing = k < 20 or k % CAPTURE == 0
        self._capture(self.capturing)
        if k % FLUSH == 0:
            self.flush()
        if k % ACTS == 0:
            self.params.check(self.probe, k)
            if self.probe.events:
                self.t.control.stop_reason = "non-finite"
        if k % SAMPLES == 0:
            self.evaluate(k)
            if self.t.on_watch is not None:
                if self.evaluator is not None and self.evaluator.pending:
                    self._watch_due = True  # judged when this evaluation lands (land)
                else:
                    self.t.on_watch(self)
        elif self.evaluator is not None and self.evaluator.pending:
            self.land()

    # -- forward hooks on the networks ---------------------------------------------------------------------
    def _gen_hook(self, module, args, output) -> None:
        if not self.capturing:
            return
        out = tensors_in(output)
        if out and out[0].is_floating_point() and out[0].dim() >= 2:
            x = out[0]
            self.fake_ptrs.append((storage_ptr(x), x))
            self._keep(self.fake, "fake", self.features(x), FAKE_KEEP)
            self.kept += 1

    def _critic_hook(self, module, args, output) -> None:
        if not self.capturing:
            return
        ins, outs = tensors_in(args), tensors_in(output)
        if not ins or not outs:
            return
        x, d = ins[0], outs[0].detach()
        fake_ptrs = {p for p, _ in self.fake_ptrs}
        if storage_ptr(x) in fake_ptrs:
            kind = "fake"
        elif not x.requires_grad and x.grad_fn is None:
            kind = "real"
            # a real batch is comparable with what G draws only when shaped alike (not, e.g., the batch's
            # moments that some critics are fed instead of samples)
            if self.fake_ptrs and x.dim() >= 2 and tuple(x.shape[1:]) == tuple(self.fake_ptrs[-1][1].shape[1:]):
                self._keep(self.real, "real", self.features(x), REAL_KEEP)
        else:
            return  # interpolates of a penalty
        if self.family == "gan" and d.numel() == len(x):
            import torch

            p = d.float() if self.d_sigmoid else torch.sigmoid(d.float())
            self.buf.append((f"d_{kind}", self.step, p.mean()))
            self.buf.append(("d_accuracy", self.step, ((p > 0.5) if kind == "real" else (p < 0.5)).float().mean()))

    def _vae_hook(self, module, args, output) -> None:
        import torch

        if not (module.training and torch.is_grad_enabled()):
            return  # the program's own evaluation passes
        mu, lv = output[self.mu_idx[0]].detach(), output[self.mu_idx[1]].detach()
        kl_dim = 0.5 * (mu.pow(2) + lv.exp() - 1.0 - lv).mean(0)  # Kingma & Welling 2014, appendix B, per dim
        s = self.step
        self.buf.append(("kl", s, kl_dim.sum()))
        if s % GRADS == 0 and (not self.kl_dims or self.kl_dims[-1][0] != s):
            self.kl_dims.append((s, kl_dim))
            # active units (Burda et al. 2016): variance over the data of the posterior mean above 0.01 (the inactive-latent rule's active_var)
            self.buf += [("active_units", s, (mu.var(0) > self.active_var).float().mean()), ("log_var_min", s, lv.min()),
                         ("log_var_max", s, lv.max())]

    def _keep(self, buf: deque, side: str, feats, limit: int) -> None:
        buf.append(feats)  # the newest batches: the oldest go while the rest still hold `limit` rows
        rows = self.kept_rows[side] + feats.shape[0]
        while rows - buf[0].shape[0] >= limit:
            rows -= buf.popleft().shape[0]
        self.kept_rows[side] = rows

    # -- read back, evaluate -----------------------------------------------------------------------------
    def _push(self, names, step: int, value) -> None:
        """An instrument's statistic(s), left on their device until the next flush: names is one series
        name (a 0-d tensor or a float) or a tuple of names (a 1-D tensor holding one value per name)."""
        self.buf.append((names, step, value))

    def flush(self) -> None:
        """Everything measured since the last flush to the CPU: one copy per device, then the series."""
        from ganlint.probe.trace.instruments import read_back

        buf, self.buf = self.buf, []
        if not buf or self.probe is None:
            return
        vals = read_back(buf)
        bad = None
        for (names, step, v), got in zip(buf, vals):
            names = (names,) if isinstance(names, str) else names
            for name, x in zip(names, got if got is not None else [float(v)]):
                self.probe.record(name, step, x)
                if math.isfinite(x) or name in ("log_var_min", "log_var_max"):
                    continue
                if name.startswith(("grad/", "gradnorm/")):  # as the recipe mode's GradNorms: an event, no stop
                    role, _, layer = name.partition("/")[2].partition("/")
                    self.probe.non_finite(step, f"gradient of {role} layer {layer}" if layer else
                                          f"gradient norm of {role}", x)
                elif bad is None:
                    bad = (name, step, x)
        if bad is not None:
            self.probe.non_finite(bad[1], f"{bad[0]}", bad[2])
            self._non_finite_layer(bad[1])
            self.t.control.stop_reason = "non-finite"
        self.kl_dims = [(s, d.tolist() if hasattr(d, "tolist") else d) for s, d in self.kl_dims[-40:]]

    def _non_finite_layer(self, step: int) -> None:
        import torch

        for n in self.nets:
            for lname, params in self.probe.layers(n.name):
                for p in params:
                    what = ("parameter", p) if not bool(torch.isfinite(p).all()) else \
                        ("gradient", p.grad) if p.grad is not None and not bool(torch.isfinite(p.grad).all()) else None
                    if what:
                        self.probe.non_finite(step, f"{what[0]} of {n.name} layer {lname}", float("nan"))
                        return

    def evaluate(self, step: int, final: bool = False) -> None:
        """Hand the kept features to the sample evaluator (evaluation.py: off the training thread); at the
        end, wait for every evaluation."""
        if self.evaluator is None:
            from ganlint.probe.detectors import instrument_needs
            from ganlint.probe.trace.evaluation import SampleEvaluator

            samples = instrument_needs(None, self.probe.rule_options, any_family=True).get("samples", {})
            self.evaluator = SampleEvaluator(self.t.seed, samples.get("min_share", 0.25))
        n_real, n_fake = self.kept_rows["real"], self.kept_rows["fake"]
        if n_real >= 64 and n_fake >= 64 and "generator" in self.by_role:
            self.evaluator.submit(step, list(self.real), list(self.fake))
            self.evals += 1
            self.kept_at_eval = self.kept
        if final:
            self.land(wait=True)

    def land(self, wait: bool = False) -> None:
        """Record the finished evaluations; --watch re-judges once a scheduled one has landed."""
        if self.evaluator is None:
            return
        if self.evaluator.collect(self.probe, wait=wait) and self._watch_due and self.t.on_watch is not None:
            self._watch_due = False
            self.t.on_watch(self)
