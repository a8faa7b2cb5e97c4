"""The settings the probe uses: the shared reading layer's Settings (ganlint.reading), with the probe's
own names for constructor parameters (canonical_of) where the shared vocabulary has none.

Everything is resolved to canonical names (DEVELOPERS.md) with a role where the key says it
(`nn_gen` -> generator's hidden_sizes, `d_lr` -> critic's learning_rate, `vae_lr` -> vae's).
"""
from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from ganlint.core.types import Location, Setting

# -- the probe's names for constructor parameters and keys the shared vocabulary leaves unnamed --------
ROLE_PREFIXES = [
    ("generator", ("generator", "gen", "g", "netg")),
    ("critic", ("critic", "discriminator", "disc", "d", "netd")),
    ("encoder", ("encoder", "enc")),
    ("decoder", ("decoder", "dec")),
    ("vae", ("vae",)),
    ("energy", ("energy", "ebm")),
]
ROLE_WORDS = {w: role for role, words in ROLE_PREFIXES for w in words}

ALIASES: dict[str, tuple[str, ...]] = {
    "learning_rate": ("lr", "learning_rate", "learningrate", "lr_rate"),
    "batch_size": ("batch_size", "batchsize", "batch", "bs"),
    "latent_dim": ("z_dim", "zdim", "latent_dim", "nz", "noise_dim", "latent_size", "z_size", "dim_z"),
    "hidden_sizes": ("hidden_sizes", "hidden_dims", "hidden_layers", "hidden", "nn", "layers", "widths", "dims"),
    "hidden_dim": ("hidden_dim", "hidden_size", "width", "n_hidden", "hdim"),
    "activation": ("activation", "non_linearity", "nonlinearity", "act", "activation_fn", "act_fn"),
    "n_critic": ("n_critic", "critic_iters", "n_critic_steps", "d_steps", "n_disc", "critic_steps", "d_iters"),
    "gp_weight": ("gp_weight", "grad_penalty", "lambda_gp", "gp_lambda", "lambda", "gradient_penalty", "gp"),
    "clip_value": ("clip_value", "weight_clip", "clamp", "clip", "weight_clipping"),
    "grad_clip": ("grad_clip", "grad_norm_clip", "max_grad_norm", "clip_grad_norm", "gradient_clip_val", "grad_norm"),
    "kl_weight": ("kl_weight", "beta", "kld_weight", "kl_beta", "vae_alpha", "kl_coef", "kl_coeff"),
    "kl_anneal_steps": ("kl_anneal_steps", "anneal_steps", "kl_warmup_steps", "kl_anneal"),
    "optim_alpha": ("optim_alpha", "rmsprop_alpha", "alpha"),
    "betas": ("betas",),
    "beta1": ("beta1", "b1", "adam_beta1"),
    "beta2": ("beta2", "b2", "adam_beta2"),
    "eps": ("eps", "optim_eps", "adam_eps", "epsilon"),
    "optimizer": ("optimizer", "optimiser", "optim"),
    "temperature": ("temperature", "tau", "temp"),
    "warmup_steps": ("warmup_steps", "warmup", "lr_warmup_steps"),
    "label_smoothing": ("label_smoothing", "smooth", "real_label"),
    "normalize": ("normalize", "normalise", "standardize", "standardise", "whiten"),
    "energy_scale": ("energy_scale",),
    "energy_offset": ("energy_offset",),
    "seed": ("seed", "random_seed"),
    "steps": ("steps", "max_steps", "n_steps", "iterations", "num_steps", "t_max"),
    "epochs": ("epochs", "max_epochs", "n_epochs", "num_epochs"),
    "weight_decay": ("weight_decay", "wd"),
    "data_dim": ("input_dim", "data_dim", "x_dim", "in_dim", "input_size", "obs_dim"),
}
_ALIAS_TO_CANON = {a: c for c, names in ALIASES.items() for a in names}


def canonical_of(key: str) -> tuple[str | None, str | None]:
    """('learning_rate', 'critic') for 'd_lr'; ('hidden_sizes', 'generator') for 'nn_gen'; (None, None) if unknown."""
    leaf = key.rsplit(".", 1)[-1].lower()
    if leaf in _ALIAS_TO_CANON:
        role = None
        parent = key.lower().split(".")[:-1]
        for p in reversed(parent):
            if p in ROLE_WORDS:
                role = ROLE_WORDS[p]
                break
        return _ALIAS_TO_CANON[leaf], role
    if leaf.endswith("vae_alpha") or leaf.endswith("kl_alpha"):  # PyMARL's omg_vae_alpha = KL weight
        return "kl_weight", "vae"
    parts = [p for p in re.split(r"[_\-]", leaf) if p]
    # role prefix or suffix: g_lr, gen_hidden, critic_lr, lr_g, nn_gen, nn_disc, omg_vae_alpha
    for i in range(len(parts)):
        if parts[i] in ROLE_WORDS:
            rest = "_".join(parts[:i] + parts[i + 1:])
            tail = "_".join(parts[i + 1:])
            for cand in (rest, tail):
                if cand in _ALIAS_TO_CANON:
                    return _ALIAS_TO_CANON[cand], ROLE_WORDS[parts[i]]
                if cand in ("", "net", "hidden", "layers", "arch"):
                    return "hidden_sizes", ROLE_WORDS[parts[i]]
    for alias, canon in sorted(_ALIAS_TO_CANON.items(), key=lambda kv: -len(kv[0])):
        if len(alias) > 3 and leaf.endswith("_" + alias):
            return canon, None
    return None, None


def parse_value(v: Any) -> Any:
    """String-lists "[256,256]" and numbers written as strings become Python values."""
    if isinstance(v, str):
        t = v.strip()
        if t[:1] in "[(" and t[-1:] in "])":
            try:
                return list(ast.literal_eval(t))
            except (ValueError, SyntaxError):
                return v
        try:
            return int(t)
        except ValueError:
            pass
        try:
            return float(t)
        except ValueError:
            return v
    return v


@dataclass
class ProbeSettings:
    """Settings by canonical name and role, the user's raw keys, and the `data:` section."""

    settings: list[Setting] = field(default_factory=list)
    data_section: dict[str, Any] | None = None
    data_location: Location | None = None
    facts: Any = None  # the ProjectFacts these settings came from (families, code facts)

    def find(self, canonical: str, role: str | None = "any") -> Setting | None:
        hits = [s for s in self.settings if s.canonical == canonical]
        if role != "any":
            exact = [s for s in hits if s.role == role]
            # a VAE's settings serve its encoder and decoder; role-less ones serve anyone
            if not exact and role in ("encoder", "decoder"):
                exact = [s for s in hits if s.role == "vae"]
            hits = exact or [s for s in hits if s.role is None]
        return hits[-1] if hits else None

    def value(self, canonical: str, role: str | None = "any", default: Any = None) -> Any:
        s = self.find(canonical, role)
        return default if s is None else parse_value(s.value)

    def by_key(self, key: str) -> Setting | None:
        hits = [s for s in self.settings if s.key == key or s.leaf == key]
        return hits[-1] if hits else None

    def used(self, canonical: str, role: str | None = "any", default: Any = None) -> tuple[Any, str]:
        """(value, origin) where origin is 'file:line (key)' or 'default'."""
        s = self.find(canonical, role)
        if s is None:
            return default, "default"
        return parse_value(s.value), f"{s.location.file}:{s.location.line} ({s.key})"


# -- reading ---------------------------------------------------------------------------------------
def read_settings(files: list[str]) -> ProbeSettings:
    """The shared reading layer's Settings (what `check` reads), plus the probe's own names for keys the
    vocabulary leaves unnamed (input_dim -> data_dim), and the `data:` section as a dict for the data sets.
    Unreadable files are check's business: their errors are not the probe's to report."""
    from ganlint.reading.project import read_files

    facts = read_files(files).facts
    out = ProbeSettings(facts=facts)
    data: dict[str, Any] = {}
    for s in facts.settings:
        if s.key.startswith("data."):
            _nest(data, s.key.split(".")[1:], s.value)
            out.data_location = out.data_location or s.location
            continue
        s = dataclasses.replace(s)  # facts keep what check read; the probe's additions go on copies
        if s.canonical is None:
            s.canonical, role = canonical_of(s.key)
            s.role = s.role or role
        s.value = parse_value(s.value)
        out.settings.append(s)
    out.data_section = data or None
    return out


def _nest(tree: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(part, {})
    tree.setdefault(path[-1], value)  # the first file that sets a data key wins, as before
