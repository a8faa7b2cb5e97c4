"""Training recipes per family, with the user's hyperparameters. Each `step(i)` is one training iteration
(for GANs: n_critic critic updates then one generator update) and reports to the Probe through its hooks.

- wgan-gp: critic loss D(fake) - D(real) + λ (‖∇D(x̂)‖ - 1)², x̂ = a·real + (1-a)·fake; generator -D(G(z)).
- wgan: the same without the penalty, critic weights clamped to [-c, c] after each critic step.
- gan: BCE on logits (or on probabilities when the discriminator ends in a Sigmoid, as the user's code does);
  the generator minimises log(1 - D(G(z))) when the code says so (minimax), else -log D(G(z)).
- vae: MSE reconstruction + w·KL, w = kl_weight, annealed min(w, step/T) when kl_anneal_steps is configured.
- energy: in-batch InfoNCE, logits = -E(h_i, a_j)/τ, labels = diagonal; lr × 0.1 during warmup_steps.
"""
from __future__ import annotations

import inspect
import re
from typing import Any

from ganlint.probe.errors import ProbeError

FAMILY_DEFAULTS = {
    "wgan-gp": {"learning_rate": 1e-4, "batch_size": 64, "n_critic": 5, "gp_weight": 10.0, "latent_dim": 16},
    "wgan": {"learning_rate": 5e-5, "batch_size": 64, "n_critic": 5, "clip_value": 0.01, "latent_dim": 16},
    "gan": {"learning_rate": 2e-4, "batch_size": 64, "n_critic": 1, "latent_dim": 16},
    "vae": {"learning_rate": 1e-3, "batch_size": 128, "kl_weight": 1.0},
    "energy": {"learning_rate": 1e-3, "batch_size": 64, "temperature": 0.5},
}


def hyperparams(ps, family: str, built, texts: dict[str, str]) -> dict[str, dict[str, Any]]:
    """name -> {"value", "from"}; 'from' is file:line (key), 'code', 'network', or 'default'."""
    hp: dict[str, dict[str, Any]] = {}
    main_role = {"vae": "vae", "energy": "energy"}.get(family)

    def put(name, canonical=None, role="any", default=None):
        v, origin = ps.used(canonical or name, role, None)
        if v is None and main_role:
            v, origin = ps.used(canonical or name, main_role, None)
        if v is None:
            v, origin = default, "default"
        if v is not None:
            hp[name] = {"value": v, "from": origin}

    d = FAMILY_DEFAULTS.get(family, {})
    put("learning_rate", default=d.get("learning_rate"))
    for role in ("generator", "critic"):
        s = ps.find("learning_rate", role)
        if s is not None and s.role == role:
            hp[f"learning_rate_{role}"] = {"value": float(s.value), "from": f"{s.location.file}:{s.location.line} ({s.key})"}
    put("batch_size", default=d.get("batch_size"))
    for name in ("n_critic", "gp_weight", "clip_value", "kl_weight", "temperature"):
        put(name, default=d.get(name))
    for name in ("grad_clip", "kl_anneal_steps", "warmup_steps", "label_smoothing", "eps", "optim_alpha",
                 "beta1", "beta2", "weight_decay", "normalize"):
        put(name)
    put("betas")
    text = "\n".join(texts.values())
    if "betas" not in hp:
        m = re.search(r"betas\s*=\s*\(\s*([0-9.eE+-]+)\s*,\s*([0-9.eE+-]+)\s*\)", text)
        if m:
            hp["betas"] = {"value": [float(m.group(1)), float(m.group(2))], "from": "code"}
        elif "beta1" in hp or "beta2" in hp:
            hp["betas"] = {"value": [float(hp.get("beta1", {"value": 0.9})["value"]),
                                     float(hp.get("beta2", {"value": 0.999})["value"])], "from": "config"}
    opt, origin = ps.used("optimizer", "any", None)
    if opt is None:
        m = re.search(r"optim\.(Adam|AdamW|RMSprop|SGD)\(", text)
        opt, origin = (m.group(1), "code") if m else ("Adam", "default")
    hp["optimizer"] = {"value": str(opt), "from": origin}
    if "grad_clip" not in hp and family != "energy" and re.search(r"clip_grad_norm_?\(", text):
        pass  # a clip whose value is not in the config: we cannot know it; left out
    # latent dimension: the generator's built argument, the setting, or the first layer's width
    if family in ("gan", "wgan", "wgan-gp"):
        z = None
        for pname, a in built.info.get("generator", {}).get("args", {}).items():
            from ganlint.probe.settings import canonical_of

            if canonical_of(pname)[0] == "latent_dim":
                z = {"value": int(a["value"]), "from": a["from"]}
        if z is None:
            v, origin = ps.used("latent_dim", "generator", None)
            if v is not None:
                z = {"value": int(v), "from": origin}
        if z is None:
            first = _first_linear(built.networks["generator"])
            if first is None:
                raise ProbeError("cannot tell the generator's input (latent) size: set z_dim/latent_dim in the config")
            z = {"value": int(first.in_features), "from": "network"}
        hp["latent_dim"] = z
    return hp


def _first_linear(net):
    import torch.nn as nn

    for m in net.modules():
        if isinstance(m, nn.Linear):
            return m
    return None


def _val(hp, name, default=None):
    return hp[name]["value"] if name in hp else default


def make_optimizer(params, hp, lr):
    import torch

    name = str(_val(hp, "optimizer", "Adam")).lower()
    kw: dict[str, Any] = {"lr": float(lr)}
    if _val(hp, "eps") is not None:
        kw["eps"] = float(_val(hp, "eps"))
    if _val(hp, "weight_decay") is not None:
        kw["weight_decay"] = float(_val(hp, "weight_decay"))
    if name in ("rmsprop",):
        if _val(hp, "optim_alpha") is not None:
            kw["alpha"] = float(_val(hp, "optim_alpha"))
        return torch.optim.RMSprop(params, **kw)
    if name == "sgd":
        kw.pop("eps", None)
        return torch.optim.SGD(params, **kw)
    if _val(hp, "betas") is not None:
        b = _val(hp, "betas")
        kw["betas"] = (float(b[0]), float(b[1]))
    return (torch.optim.AdamW if name == "adamw" else torch.optim.Adam)(params, **kw)


class Recipe:
    family = ""

    def __init__(self, nets, hp, data, device, probe):
        self.nets, self.hp, self.data, self.device, self.probe = nets, hp, data, device, probe
        self.batch_size = int(_val(hp, "batch_size", 64))

    def real(self, n):
        return self.data.batch(n).to(self.device)

    def sample(self, n, generator=None):
        return None

    def _clip(self, net):
        gc = _val(self.hp, "grad_clip")
        if gc is not None:
            import torch

            torch.nn.utils.clip_grad_norm_(net.parameters(), float(gc))


class GanRecipe(Recipe):
    def __init__(self, nets, hp, data, device, probe, family="wgan-gp", gan_loss="non-saturating", d_sigmoid=False):
        super().__init__(nets, hp, data, device, probe)
        self.family = family
        self.G, self.D = nets["generator"], nets["critic"]
        lr = float(_val(hp, "learning_rate", 1e-4))
        self.opt_g = make_optimizer(self.G.parameters(), hp, _val(hp, "learning_rate_generator", lr))
        self.opt_d = make_optimizer(self.D.parameters(), hp, _val(hp, "learning_rate_critic", lr))
        self.z_dim = int(_val(hp, "latent_dim"))
        self.n_critic = int(_val(hp, "n_critic", 5 if family != "gan" else 1))
        self.lam = float(_val(hp, "gp_weight", 10.0))
        self.clip = float(_val(hp, "clip_value", 0.01))
        self.gan_loss, self.d_sigmoid = gan_loss, d_sigmoid
        ls = _val(hp, "label_smoothing")
        self.real_label = float(ls) if ls is not None and 0.5 < float(ls) <= 1.0 else 1.0

    def noise(self, n, generator=None):
        import torch

        return torch.randn(n, self.z_dim, generator=generator).to(self.device)

    def sample(self, n, generator=None):
        import torch

        with torch.no_grad():
            return self.G(self.noise(n, generator)).reshape(n, -1)

    def _bce(self, out, target: float):
        import torch
        import torch.nn.functional as F

        t = torch.full_like(out, target)
        if self.d_sigmoid:
            return F.binary_cross_entropy(out.clamp(1e-7, 1 - 1e-7), t)
        return F.binary_cross_entropy_with_logits(out, t)

    def step(self, i):
        import torch

        p, B = self.probe, self.batch_size
        p.on_train_batch_start(i)
        out: dict[str, Any] = {}
        for _ in range(self.n_critic):
            real = self.real(B)
            with torch.no_grad():
                fake = self.G(self.noise(B)).reshape(B, -1)
            d_real, d_fake = self.D(real), self.D(fake)
            if self.family == "gan":
                loss_d = self._bce(d_real, self.real_label) + self._bce(d_fake, 0.0)
            else:
                loss_d = d_fake.mean() - d_real.mean()
            if self.family == "wgan-gp":
                a = torch.rand(B, 1, device=self.device)
                xh = (a * real + (1 - a) * fake).requires_grad_(True)
                g = torch.autograd.grad(self.D(xh).sum(), xh, create_graph=True)[0]
                gn = g.reshape(B, -1).norm(2, dim=1)
                loss_d = loss_d + self.lam * ((gn - 1) ** 2).mean()
                out["gp_norm"] = gn.detach().mean()
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            p.on_after_backward("critic", i)
            self.opt_d.step()
            if self.family == "wgan":
                with torch.no_grad():
                    for prm in self.D.parameters():
                        prm.clamp_(-self.clip, self.clip)
        fake = self.G(self.noise(B)).reshape(B, -1)
        d_gen = self.D(fake)
        if self.family == "gan":
            if self.gan_loss == "minimax":
                prob = d_gen if self.d_sigmoid else torch.sigmoid(d_gen)
                loss_g = torch.log((1 - prob).clamp_min(1e-7)).mean()
            else:
                loss_g = self._bce(d_gen, 1.0)
        else:
            loss_g = -d_gen.mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        p.on_after_backward("generator", i)
        self.opt_g.step()
        out.update(loss_d=loss_d.detach(), loss_g=loss_g.detach())
        if self.family == "gan":
            pr = d_real.detach() if self.d_sigmoid else torch.sigmoid(d_real.detach())
            pf = d_fake.detach() if self.d_sigmoid else torch.sigmoid(d_fake.detach())
            out.update(d_real=pr.mean(), d_fake=pf.mean(), d_accuracy=0.5 * ((pr > 0.5).float().mean() + (pf < 0.5).float().mean()))
        else:
            out.update(d_real=d_real.detach().mean(), d_fake=d_fake.detach().mean(),
                       wasserstein=(d_real.detach().mean() - d_fake.detach().mean()))
        p.on_train_batch_end(i, out)
        return out


def vae_outputs(outputs, x):
    """(recon, mu, log_var) from a VAE's forward output: tuple/list/dict in the common layouts."""
    if isinstance(outputs, dict):
        get = lambda *ks: next((outputs[k] for k in ks if k in outputs), None)  # noqa: E731
        return get("recon", "recons", "x_hat", "reconstruction"), get("mu", "mean"), get("log_var", "logvar", "log_sigma2")
    outs = [o for o in outputs if hasattr(o, "shape")]
    recon = next((o for o in outs if o.shape == x.shape), None)
    rest = [o for o in outs if o is not recon and not (o.shape == x.shape and o is x)]
    lat = [o for o in rest if o.dim() == 2 and o.shape[0] == x.shape[0]]
    if recon is None or len(lat) < 2:
        raise ProbeError("the VAE's forward must return (reconstruction, mu, log_var) (any order of shapes); "
                         "define ganlint_networks(config) or use the Probe API for other layouts")
    return recon, lat[0], lat[1]


class VaeRecipe(Recipe):
    family = "vae"

    def __init__(self, nets, hp, data, device, probe, recon_reduction: str | None = None):
        super().__init__(nets, hp, data, device, probe)
        self.recon_reduction = recon_reduction  # the user's loss shape (ganlint/probe/loss_shape.py); None: mean
        self.vae = nets.get("vae")
        self.enc, self.dec = nets.get("encoder"), nets.get("decoder")
        params = list(self.vae.parameters()) if self.vae is not None else [*self.enc.parameters(), *self.dec.parameters()]
        self.params = params
        self.opt = make_optimizer(params, hp, _val(hp, "learning_rate", 1e-3))
        self.w = float(_val(hp, "kl_weight", 1.0))
        self.anneal = _val(hp, "kl_anneal_steps")

    def forward(self, x):
        import torch

        if self.vae is not None:
            return vae_outputs(self.vae(x), x)
        mu, log_var = self.enc(x)[:2]
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.dec(z), mu, log_var

    def kl_weight(self, i):
        if self.anneal:
            return min(self.w, i / float(self.anneal))
        return self.w

    def step(self, i):
        import torch
        import torch.nn.functional as F

        p = self.probe
        p.on_train_batch_start(i)
        self.data.t = i
        x = self.real(self.batch_size)
        recon, mu, log_var = self.forward(x)
        if self.recon_reduction == "sum":  # summed over the data dimensions, averaged over the batch, as the user's
            recon_loss = F.mse_loss(recon.reshape(x.shape), x, reduction="sum") / len(x)
        else:
            recon_loss = F.mse_loss(recon.reshape(x.shape), x)
        kl = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))
        w = self.kl_weight(i)
        loss = recon_loss + w * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        p.on_after_backward("vae" if self.vae is not None else "encoder", i)
        gc = _val(self.hp, "grad_clip")
        if gc is not None:
            torch.nn.utils.clip_grad_norm_(self.params, float(gc))
        self.opt.step()
        out = {"loss": loss.detach(), "recon": recon_loss.detach(), "kl": kl.detach(), "kl_weight": w,
               "mu": mu.detach(), "log_var": log_var.detach()}
        p.on_train_batch_end(i, out)
        return out


class EnergyRecipe(Recipe):
    family = "energy"

    def __init__(self, nets, hp, data, device, probe):
        super().__init__(nets, hp, data, device, probe)
        self.E = nets["energy"]
        self.lr = float(_val(hp, "learning_rate", 1e-3))
        self.opt = make_optimizer(self.E.parameters(), hp, self.lr)
        self.tau = float(_val(hp, "temperature", 0.5))
        self.warmup = _val(hp, "warmup_steps")
        try:
            n_in = len([q for q in inspect.signature(self.E.forward).parameters.values()
                        if q.default is q.empty and q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)])
        except (TypeError, ValueError):
            n_in = 2
        self.two_inputs = n_in >= 2

    def energies(self, h, a):
        import torch

        B = h.shape[0]
        h_rep = h.unsqueeze(1).expand(B, B, h.shape[-1]).reshape(B * B, -1)
        a_rep = a.unsqueeze(0).expand(B, B, a.shape[-1]).reshape(B * B, -1)
        e = self.E(h_rep, a_rep) if self.two_inputs else self.E(torch.cat([h_rep, a_rep], dim=-1))
        return e.reshape(B, B)

    def step(self, i):
        import torch
        import torch.nn.functional as F

        p = self.probe
        p.on_train_batch_start(i)
        if self.warmup:
            scale = 0.1 if i < int(self.warmup) else 1.0
            for g in self.opt.param_groups:
                g["lr"] = self.lr * scale
        h, a = self.data.batch(self.batch_size)
        h, a = h.to(self.device), a.to(self.device)
        E = self.energies(h, a)
        B = E.shape[0]
        labels = torch.arange(B, device=self.device)
        loss = F.cross_entropy(-E / self.tau, labels)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        p.on_after_backward("energy", i)
        self._clip(self.E)
        self.opt.step()
        with torch.no_grad():
            Ed = E.detach()
            pos = Ed.diagonal().mean()
            neg = (Ed.sum() - Ed.diagonal().sum()) / (B * B - B)
            acc = (Ed.argmin(dim=1) == labels).float().mean()
        out = {"loss": loss.detach(), "e_pos": pos, "e_neg": neg, "energy_gap": neg - pos, "infonce_accuracy": acc,
               "infonce_chance": 1.0 / B}
        p.on_train_batch_end(i, out)
        return out


def make_recipe(family, nets, hp, data, device, probe, extras):
    if family in ("wgan-gp", "wgan", "gan"):
        if not {"generator", "critic"} <= set(nets):
            raise ProbeError(f"a {family} needs a generator and a critic/discriminator; found {sorted(nets)}")
        return GanRecipe(nets, hp, data, device, probe, family, extras.get("gan_loss", "non-saturating"),
                         extras.get("d_sigmoid", False))
    if family == "vae":
        if "vae" not in nets and not {"encoder", "decoder"} <= set(nets):
            raise ProbeError(f"a VAE needs a VAE module or an encoder and a decoder; found {sorted(nets)}")
        return VaeRecipe(nets, hp, data, device, probe, extras.get("recon_reduction"))
    if family == "energy":
        if "energy" not in nets:
            raise ProbeError(f"an energy model needs an energy network; found {sorted(nets)}")
        return EnergyRecipe(nets, hp, data, device, probe)
    raise ProbeError(f"unknown family {family!r}: use wgan-gp, wgan, gan, vae or energy")
