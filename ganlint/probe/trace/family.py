"""The family from what the loss does (seen by the loss wrappers, attributed to the optimizer stepped next).

| evidence in the critic's phase                                   | family   |
| `autograd.grad(..., create_graph=True)` (a gradient penalty)     | wgan-gp  |
| its weights clamped to one bound (weight clipping, checked live) | wgan     |
| BCE / BCE-with-logits / least squares (mse) / softplus           | gan      |
| none of these: the critic's raw outputs are averaged             | wgan     |
A (mu, logvar) encoder makes a vae; an InfoNCE cross-entropy (B x B or 2B x (2B-1) logits whose targets are
the positives' columns) an energy model. What the static reader says decides only what this leaves open.
"""
from __future__ import annotations

GAN_LOSSES = {"bce": "BCE", "bce_logits": "BCE-with-logits", "mse": "least squares (LSGAN)", "softplus": "softplus (logistic)"}


def gan_family(critic_kinds: set[str], clipped: float | None, static: set[str]) -> tuple[str, str]:
    """(family, why) for a generator + critic pair."""
    if "grad_penalty" in critic_kinds:
        return "wgan-gp", "the critic's loss has a gradient penalty (autograd.grad with create_graph=True)"
    if clipped is not None:
        return "wgan", f"the critic's weights are clipped to ±{clipped:g}"
    named = [GAN_LOSSES[k] for k in ("bce_logits", "bce", "mse", "softplus") if k in critic_kinds]
    if named:
        return "gan", f"the critic's loss is {named[0]}"
    for fam in ("wgan-gp", "wgan", "gan"):
        if fam in static:
            return fam, f"the code reads as {fam} (static reading)"
    return "wgan", "the critic's raw outputs are averaged (no BCE, least squares or penalty seen)"


def family_of(roles: set[str], critic_kinds: set[str], clipped: float | None, static: set[str]) -> tuple[str | None, str]:
    if {"generator", "critic"} <= roles:
        return gan_family(critic_kinds, clipped, static)
    if "vae" in roles:
        return "vae", "an encoder returns (mu, logvar)"
    if "energy" in roles:
        return "energy", "an InfoNCE cross-entropy over in-batch logits"
    only = [f for f in static if f in ("gan", "wgan", "wgan-gp", "vae", "energy")]
    if len(only) == 1:
        return only[0], "static reading"
    return None, "not recognised"


def clip_bound(params) -> float | None:
    """The weight-clipping bound c when every weight tensor of the critic lies in [-c, c] and at least two
    tensors reach the same c (< 1): what `p.data.clamp_(-c, c)` after each critic step leaves."""
    import torch

    with torch.no_grad():
        tensors = [p.detach() for p in params if p.numel() > 1]
        if len(tensors) < 2:
            return None
        dev = tensors[0].device  # one copy to the host, not one per tensor
        peaks = [t.abs().max().float() for t in tensors]
        amax = torch.stack([a if a.device == dev else a.to(dev) for a in peaks]).tolist()
    c = max(amax)
    if not (0 < c < 1):
        return None
    at_bound = sum(1 for a in amax if abs(a - c) <= 1e-6 * max(c, 1e-12) + 1e-9)
    return round(c, 6) if at_bound >= 2 else None
