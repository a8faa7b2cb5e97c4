"""Key aliases -> canonical setting names and roles. Data first: extend the tables, not the code.

How a key is classified (``classify(path)``, path = the key's parts, outermost first):

1. The last part is split into lower-case tokens (``_``, ``.``, ``-``, camelCase: ``lrG`` -> lr, g).
2. ``EXACT`` holds whole names (``critic_iters``, ``nn_gen``, ``omg_vae_alpha`` ...) with their role.
3. Otherwise one role token is stripped from the front or the back (``g_lr``, ``lr_D``, ``vae_lr``,
   ``energy_learning_rate``) and the rest is looked up in ``BASE``; a few neutral qualifiers
   (``adam_``, ``train_``, ``num_``) may be dropped too.
4. Names that mean something only in context (``alpha``, ``beta``, ``LAMBDA``, ``tau``, ``temp``) are
   left unknown here and resolved per file by ``apply_context`` (see ``CONTEXTUAL``).
5. The role, when the name does not say one, comes from the innermost parent section that names a
   role (``generator: {lr: ...}``, ``[energy]``).

Precision first: a key that is not in the tables stays unknown (canonical None); rules ignore it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

# -- roles ------------------------------------------------------------------------------------
from ganlint.core.roles import ROLE_TOKENS  # noqa: E402  (the one role table: ganlint.core.roles)

# Section names that give their children a role (`G: {lr: ...}`, `[energy]`, `discriminator: ...`).
SECTION_ROLES: dict[str, str] = dict(ROLE_TOKENS)

# -- whole names (checked first) -> (canonical, role) ---------------------------------------------
EXACT: dict[str, tuple[str | None, str | None]] = {
    # hidden widths
    "nn_gen": ("hidden_sizes", "generator"), "nn_disc": ("hidden_sizes", "critic"),
    "nn_critic": ("hidden_sizes", "critic"), "nn_dis": ("hidden_sizes", "critic"),
    "ngf": ("hidden_sizes", "generator"), "ndf": ("hidden_sizes", "critic"),
    # critic updates per generator step
    "n_critic": ("n_critic", None), "critic_iters": ("n_critic", None), "critic_iter": ("n_critic", None),
    "critic_iterations": ("n_critic", None), "n_critic_iters": ("n_critic", None),
    "num_critic": ("n_critic", None), "critic_steps": ("n_critic", None), "critic_updates": ("n_critic", None),
    "d_steps": ("n_critic", None), "d_iters": ("n_critic", None), "d_iter": ("n_critic", None),
    "d_updates": ("n_critic", None), "disc_iters": ("n_critic", None), "disc_steps": ("n_critic", None),
    "n_dis": ("n_critic", None), "n_disc": ("n_critic", None), "n_d": ("n_critic", None),
    "num_d_steps": ("n_critic", None), "n_critic_steps": ("n_critic", None), "d_step": ("n_critic", None),
    "discriminator_steps": ("n_critic", None), "discriminator_iters": ("n_critic", None),
    "critic_cycles": ("n_critic", None),  # CRITIC_CYCLES = 5: critic updates per generator update
    "glr": ("learning_rate", "generator"), "dlr": ("learning_rate", "critic"),  # latent: MorvanZhou, devnag
    "n_ideas": ("latent_dim", "generator"), "g_input_size": ("latent_dim", "generator"),
    "g_input_dim": ("latent_dim", "generator"),  # the generator's input: its noise (WGAN_GP(G_input_dim=4))
    # generator updates per iteration: not the run's total steps
    "g_steps": (None, None), "g_iters": (None, None), "gen_steps": (None, None), "gen_iters": (None, None),
    "generator_steps": (None, None), "generator_iters": (None, None), "g_updates": (None, None),
    # other penalties and schedules that look like ours
    "lambda_l1": (None, None), "lambda_cycle": (None, None), "r1_gamma": (None, None), "max_lr": (None, None),
    "beta_start": (None, None), "beta_end": (None, None), "beta_schedule": (None, None), "log_steps": (None, None),
    "eval_steps": (None, None), "save_steps": (None, None),
    "eval_batch_size": (None, None), "test_batch_size": (None, None), "val_batch_size": (None, None),
    # gradient penalty weight
    "grad_penalty": ("gp_weight", None), "gradient_penalty": ("gp_weight", None),
    "lambda_gp": ("gp_weight", None), "gp_lambda": ("gp_weight", None), "gp_weight": ("gp_weight", None),
    "gp_coef": ("gp_weight", None), "gp_coeff": ("gp_weight", None), "gp": ("gp_weight", None),
    "lambda_grad_penalty": ("gp_weight", None), "gradient_penalty_weight": ("gp_weight", None),
    "grad_penalty_weight": ("gp_weight", None), "lambda_gradient_penalty": ("gp_weight", None),
    "gp_scale": ("gp_weight", None), "penalty_weight": ("gp_weight", None),
    # weight clipping (WGAN) vs gradient-norm clipping
    "clip_value": ("clip_value", None), "weight_clip": ("clip_value", None),
    "weight_clip_value": ("clip_value", None), "weight_clipping": ("clip_value", None),
    "clip_weights": ("clip_value", None), "clamp_value": ("clip_value", None),
    "grad_clip": ("grad_clip", None), "grad_norm_clip": ("grad_clip", None), "max_grad_norm": ("grad_clip", None),
    "clip_grad_norm": ("grad_clip", None), "clip_grad": ("grad_clip", None), "grad_clip_norm": ("grad_clip", None),
    "gradient_clip_val": ("grad_clip", None), "gradient_clip": ("grad_clip", None),
    "clip_norm": ("grad_clip", None), "grad_max_norm": ("grad_clip", None), "max_norm": ("grad_clip", None),
    "gradient_clipping": ("grad_clip", None), "grad_clipping": ("grad_clip", None),
    # VAE KL weight and its annealing
    "kl_weight": ("kl_weight", None), "kl_coef": ("kl_weight", None), "kl_coeff": ("kl_weight", None),
    "kl_beta": ("kl_weight", None), "beta_kl": ("kl_weight", None), "kl_alpha": ("kl_weight", None),
    "kld_weight": ("kl_weight", None), "kl_scale": ("kl_weight", None), "kl_lambda": ("kl_weight", None),
    "lambda_kl": ("kl_weight", None), "kl_w": ("kl_weight", None), "kl_loss_weight": ("kl_weight", None),
    "vae_alpha": ("kl_weight", "vae"), "vae_beta": ("kl_weight", "vae"), "beta_vae": ("kl_weight", "vae"),
    "kl_anneal_steps": ("kl_anneal_steps", None), "kl_warmup": ("kl_anneal_steps", None),
    "kl_warmup_steps": ("kl_anneal_steps", None), "kl_anneal": ("kl_anneal_steps", None),
    "kl_annealing_steps": ("kl_anneal_steps", None), "kl_anneal_iters": ("kl_anneal_steps", None),
    "kl_annealing": ("kl_anneal_steps", None), "beta_warmup": ("kl_anneal_steps", None),
    "kl_anneal_epochs": ("kl_anneal_steps", None), "anneal_steps": ("kl_anneal_steps", None),
    # optimizer internals
    "optim_alpha": ("optim_alpha", None), "rmsprop_alpha": ("optim_alpha", None),
    "optimizer_alpha": ("optim_alpha", None), "rms_alpha": ("optim_alpha", None),
    "optim_eps": ("eps", None), "optimizer_eps": ("eps", None), "adam_eps": ("eps", None),
    "rmsprop_eps": ("eps", None),
    # energy head
    "energy_scale": ("energy_scale", "energy"), "energy_offset": ("energy_offset", "energy"),
    # InfoNCE
    "infonce_temperature": ("temperature", None), "nce_temperature": ("temperature", None),
    "infonce_tau": ("temperature", None), "nce_tau": ("temperature", None),
    # names that look like ours but are not (false friends)
    "d_model": (None, None), "d_ff": (None, None), "d_in": (None, None), "d_out": (None, None),
    "lr_decay": (None, None), "lr_scheduler": (None, None), "lr_schedule": (None, None),
    "lr_step": (None, None), "lr_gamma": (None, None), "lr_min": (None, None), "min_lr": (None, None),
    "batch_norm": (None, None), "batchnorm": (None, None),
}

# -- base names (after a role token was stripped) -> canonical ------------------------------------
BASE: dict[str, str] = {}


def _base(canonical: str, *names: str) -> None:
    for name in names:
        BASE[name] = canonical


_base("learning_rate", "lr", "learning_rate", "learningrate", "lr_rate", "base_lr", "init_lr", "initial_lr",
      "lr0", "peak_lr", "base_learning_rate", "lrate", "learn_rate", "lr_base")
_base("batch_size", "batch_size", "bs", "batchsize", "batch", "mini_batch_size", "minibatch_size",
      "minibatch", "batch_sz", "mb_size", "mbsize")
_base("latent_dim", "z_dim", "nz", "zdim", "noise_dim", "latent_dim", "latent_size", "dim_z", "z_size",
      "latent", "n_z", "latent_dims", "nlatent", "n_latent", "latent_dimension", "noise_size", "z_dimension",
      "dim_latent", "dim_noise", "num_latent", "latent_variable_size", "latent_variable_dim")
# a convolutional latent's channel count (the latent is channels x a small map): a lower bound on its size,
# never the size itself, so only an upper-bound rule may read it as a latent size (`channels` alone is no latent)
_base("latent_channels", "latent_channels", "z_channels", "latent_ch", "latent_chans", "n_latent_channels",
      "num_latent_channels", "latent_channel", "z_ch", "nz_channels")
_base("hidden_sizes", "hidden", "hidden_dims", "hidden_sizes", "hidden_dim", "hidden_size",
      "hidden_layers", "hidden_units", "hidden_layer_sizes", "layer_sizes", "hidden_channels", "n_hidden",
      "num_hidden", "hdim", "h_dim", "layers_sizes")
_base("activation", "non_linearity", "nonlinearity", "activation", "act", "activation_fn", "act_fn",
      "hidden_activation", "activation_function", "act_func", "nonlin", "non_lin")
_base("betas", "betas", "adam_betas")
_base("beta1", "beta1", "beta_1", "b1", "adam_beta1")
_base("beta2", "beta2", "beta_2", "b2", "adam_beta2")
_base("optimizer", "optimizer", "optim", "optimiser", "optimizer_name", "optimizer_type", "optim_type",
      "opt")
_base("eps", "eps", "epsilon", "adam_epsilon")
_base("temperature", "temperature")
_base("warmup_steps", "warmup_steps", "warmup", "warmup_iters", "lr_warmup_steps", "warmup_epochs",
      "n_warmup_steps", "num_warmup_steps", "warm_up", "warmup_step")
_base("label_smoothing", "label_smoothing", "label_smooth", "smooth_label", "smoothing", "real_label_smooth",
      "one_sided_label_smoothing")
_base("normalize", "normalize", "normalise", "standardize", "standardise", "normalization",
      "normalisation", "normalize_data", "standardize_data", "normalise_data", "data_normalize", "norm_data")
_base("seed", "seed", "random_seed", "manual_seed", "rng_seed")
_base("steps", "steps", "max_steps", "num_steps", "n_steps", "iterations", "iters", "max_iters",
      "num_iters", "n_iters", "total_steps", "train_steps", "training_steps", "max_iter", "num_iterations",
      "n_iterations", "total_iters")
_base("epochs", "epochs", "max_epochs", "n_epochs", "num_epochs", "nepochs", "train_epochs")
_base("weight_decay", "weight_decay", "wd", "l2_reg", "l2_weight")

# Neutral qualifiers that may be dropped in front of a base name ("adam_beta1", "train_batch_size").
QUALIFIERS = {"adam", "rmsprop", "optim", "optimizer", "train", "training", "num", "total", "default",
              "model", "net", "cfg", "config", "hp", "infonce", "nce", "contrastive"}

# -- names whose meaning depends on context (resolved by apply_context, per file) -----------------
# name -> the context it needs: "optimizer" | "vae" | "gan" | "energy"
CONTEXTUAL: dict[str, tuple[str, str]] = {
    "alpha": ("optimizer", "optim_alpha"),  # RMSprop's smoothing constant, only near an optimizer
    "beta": ("vae", "kl_weight"),  # beta-VAE weight; Adam's are betas / beta1 / beta2
    "lambda": ("gan", "gp_weight"),  # LAMBDA = .1 in WGAN-GP scripts (next to CRITIC_ITERS)
    "lam": ("gan", "gp_weight"),
    "lmbda": ("gan", "gp_weight"),
    "tau": ("energy", "temperature"),  # tau is also the soft-update rate in RL: only with InfoNCE
    "temp": ("energy", "temperature"),
}
OPTIMIZER_SECTIONS = {"optimizer", "optim", "optimiser", "opt", "optimizers", "optimizer_kwargs",
                      "optim_args", "optimizer_args", "optimizer_params", "rmsprop", "adam"}
CONTEXT_SECTIONS: dict[str, set[str]] = {
    "optimizer": OPTIMIZER_SECTIONS,
    "vae": {"vae", "encoder", "decoder", "kl", "loss_vae", "betavae", "beta_vae"},
    "gan": {"gan", "wgan", "wgan_gp", "wgangp", "critic", "discriminator", "disc", "penalty", "gp"},
    "energy": {"energy", "ebm", "infonce", "nce", "contrastive", "info_nce"},
}

# -- family from a setting's value (gan_mode: vanilla, loss: wgan-gp, model_type: vae) ------------
FAMILY_KEYS = {"gan_mode", "gan_type", "gan_loss", "loss_type", "loss", "model_type", "model", "arch",
               "architecture", "family", "objective", "mode", "type", "adversarial_loss", "method"}
FAMILY_VALUES: dict[str, str] = {
    "vanilla": "gan", "gan": "gan", "dcgan": "gan", "nsgan": "gan", "ns_gan": "gan", "non_saturating": "gan",
    "standard_gan": "gan", "bce_gan": "gan",
    "wgan": "wgan", "wgan_clip": "wgan", "wgan_wc": "wgan", "wgan_weight_clipping": "wgan",
    "wgan_gp": "wgan-gp", "wgangp": "wgan-gp", "wgan_div": "wgan-gp",
    "vae": "vae", "beta_vae": "vae", "betavae": "vae",
    "ebm": "energy", "energy": "energy", "infonce": "energy", "energy_infonce": "energy",
}

TARGET_KEYS = {"_target_", "class_path", "model_class", "_class_"}


def _family_from_class(path: str) -> str | None:
    """The family a class's name says: ``BetaVAE`` -> vae, ``WGAN_GP`` -> wgan-gp, ``DCGAN`` -> gan."""
    toks = set(tokens(path.replace(":", ".").rsplit(".", 1)[-1]))
    if toks & {"vae", "betavae"}:
        return "vae"
    if "wgangp" in toks or ("wgan" in toks and "gp" in toks):
        return "wgan-gp"
    if "wgan" in toks:
        return "wgan"
    if toks & {"gan", "dcgan", "nsgan"}:
        return "gan"
    if toks & {"ebm"}:
        return "energy"
    return None


GAN_ONLY_VALUES = {"vanilla", "non_saturating", "ns", "standard_gan"}

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def tokens(name: str) -> list[str]:
    """Lower-case tokens of a key: split on _ . - space and camelCase (``lrG`` -> [lr, g])."""
    return list(_tokens(str(name)))


@lru_cache(maxsize=8192)
def _tokens(name: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in re.split(r"[_.\-\s/]+", str(name)):
        if not part:
            continue
        if part.isupper() or part.islower() or part.isdigit():
            out.append(part.lower())
        else:
            pieces = _CAMEL.findall(part)
            out.extend(p.lower() for p in pieces) if pieces else out.append(part.lower())
    return tuple(out)


def _join(toks: list[str]) -> str:
    return "_".join(toks)


def _lookup_leaf(toks: list[str]) -> tuple[str | None, str | None, bool]:
    """(canonical, role, known): known=True when a table decided (even if it decided 'unknown')."""
    return _lookup(tuple(toks))


@lru_cache(maxsize=8192)
def _lookup(toks: tuple[str, ...]) -> tuple[str | None, str | None, bool]:
    if not toks:
        return None, None, False
    joined = _join(toks)
    compact = "".join(toks)
    if joined in EXACT:
        canonical, role = EXACT[joined]
        return canonical, role, True
    if compact in EXACT and compact != joined:
        canonical, role = EXACT[compact]
        return canonical, role, True
    if joined in BASE:
        return BASE[joined], None, True
    if compact in BASE:
        return BASE[compact], None, True
    # *_vae_alpha / *_vae_beta: the VAE's KL weight (PyMARL's omg_vae_alpha)
    if len(toks) >= 2 and toks[-2] == "vae" and toks[-1] in {"alpha", "beta"}:
        return "kl_weight", "vae", True
    # strip one role token at the front or at the back
    for role_tok, rest in ((toks[0], toks[1:]), (toks[-1], toks[:-1])):
        role = ROLE_TOKENS.get(role_tok)
        if role is None or not rest:
            continue
        canonical, inner_role, known = _lookup_leaf(rest)
        if canonical is not None:
            return canonical, inner_role or role, True
        if _join(rest) in CONTEXTUAL and role_tok not in {"g", "d"}:
            # vae_beta / energy_tau / critic_lambda: the role itself is the context
            ctx, canonical = CONTEXTUAL[_join(rest)]
            if (ctx, role) in {("vae", "vae"), ("vae", "encoder"), ("energy", "energy"), ("gan", "critic")}:
                return canonical, role, True
    # drop a neutral qualifier in front
    if len(toks) >= 2 and toks[0] in QUALIFIERS:
        canonical, role, known = _lookup_leaf(toks[1:])
        if canonical is not None:
            return canonical, role, True
    return None, None, False


# Sections whose values are not the training run's (evaluation batch, Hydra's own settings, EMA beta, ...).
EXCLUDED_SECTIONS = {
    "eval", "evaluation", "test", "testing", "val", "valid", "validation", "inference", "sample", "sampling",
    "sampler", "visualization", "visualisation", "viz", "plot", "plotting", "logging", "logger", "log", "metrics",
    "hydra", "wandb", "tensorboard", "ema", "fid", "pretrain", "pretraining", "baseline", "teacher",
}


def classify(path: Iterable[Any]) -> tuple[str | None, str | None]:
    """(canonical, role) of a key given as its parts (``["model", "generator", "lr"]``).

    The parent and the leaf are first read together (``z: {dim: 3}`` -> z_dim, ``warmup: {steps: 5}`` ->
    warmup_steps, ``lr: {generator: 1e-4}`` -> generator learning rate), then the leaf alone. Keys under
    an evaluation / logging / Hydra / EMA section are not training settings (None).
    """
    parts = [str(p) for p in path if not (isinstance(p, int) or str(p).isdigit())]
    if not parts:
        return None, None
    leaf = tokens(parts[-1])
    excluded = {_join(tokens(p)) for p in parts[:-1]} & EXCLUDED_SECTIONS
    if excluded:  # SimCLR keeps its contrastive run under `pretrain:`: a temperature there is InfoNCE's
        return ("temperature", None) if excluded <= {"pretrain", "pretraining"} and leaf == ["temperature"] else (None, None)
    if len(parts) >= 2:
        canonical, role, _known = _lookup_leaf(tokens(parts[-2]) + leaf)
        if canonical is not None:
            return canonical, role or section_role(parts[:-2])
    canonical, role, _known = _lookup_leaf(leaf)
    if canonical is None:
        return None, None
    if role is None:
        role = section_role(parts[:-1])
    return canonical, role


def section_role(parents: Iterable[str]) -> str | None:
    """The role named by the innermost parent section that names one."""
    role = None
    for parent in parents:
        toks = tokens(parent)
        found = None
        joined = _join(toks)
        if joined in SECTION_ROLES:
            found = SECTION_ROLES[joined]
        elif len(toks) >= 2 and toks[0] in QUALIFIERS | {"opt", "optim", "optimizer"} and _join(toks[1:]) in SECTION_ROLES:
            found = SECTION_ROLES[_join(toks[1:])]
        elif len(toks) >= 2 and toks[-1] in {"net", "network", "model", "optimizer", "optim", "opt", "cfg", "config"} \
                and _join(toks[:-1]) in SECTION_ROLES:
            found = SECTION_ROLES[_join(toks[:-1])]
        if found:
            role = found
    return role


def contextual_name(path: Iterable[Any]) -> str | None:
    """The CONTEXTUAL entry a key's last part names ('alpha', 'beta', 'lambda', ...), if any."""
    parts = [str(p) for p in path]
    if not parts:
        return None
    joined = _join(tokens(parts[-1]))
    return joined if joined in CONTEXTUAL else None


def family_from_value(key: str, value: Any) -> str | None:
    """A family named by a setting's value (``gan_mode: vanilla`` -> gan), or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    leaf_raw = key.rsplit(".", 1)[-1]
    if leaf_raw in TARGET_KEYS:  # Hydra `_target_: src.models.BetaVAE`, Lightning `class_path: ...WGANGP`
        return _family_from_class(value)
    leaf_tokens = tokens(leaf_raw)
    if _join(leaf_tokens) not in FAMILY_KEYS:
        return None
    family = FAMILY_VALUES.get(_join(tokens(value)))
    if family and _join(tokens(value)) in GAN_ONLY_VALUES and not {"gan", "adversarial"} & set(leaf_tokens):
        return None  # "vanilla" says GAN only under a GAN key (gan_mode), not under loss/type/method
    return family


def apply_context(settings: list) -> None:
    """Resolve CONTEXTUAL names in one file's settings, in place (see the module docstring).

    - ``alpha`` -> optim_alpha inside an optimizer section, or next to an ``optimizer`` key in the same
      section;
    - ``beta`` -> kl_weight inside a VAE section, or when the file says VAE elsewhere (a role vae /
      encoder / decoder key, a KL key); never inside an optimizer section;
    - ``LAMBDA`` / ``lam`` -> gp_weight inside a GAN section, or when the file also sets n_critic;
    - ``tau`` / ``temp`` -> temperature inside an energy / InfoNCE section, or when the file has
      energy-role keys.
    """
    pending = [s for s in settings if s.canonical is None and contextual_name(s.key.split("."))]
    if not pending:
        return
    canon = {s.canonical for s in settings if s.canonical}
    roles = {s.role for s in settings if s.role}
    keys_tokens = set()
    for s in settings:
        keys_tokens.update(tokens(s.key))
    file_context = {
        "vae": bool(roles & {"vae"} or canon & {"kl_anneal_steps"} or "vae" in keys_tokens),
        "gan": bool(canon & {"n_critic"} or roles & {"generator", "critic"}),
        "energy": bool(roles & {"energy"} or keys_tokens & {"infonce", "ebm"}),
    }
    for s in pending:
        parts = s.key.split(".")
        name = contextual_name(parts)
        need, canonical = CONTEXTUAL[name]
        parents = [_join(tokens(p)) for p in parts[:-1] if not p.isdigit()]
        in_opt = any(p in OPTIMIZER_SECTIONS for p in parents)
        ok = False
        if need == "optimizer":
            prefix = s.key.rsplit(".", 1)[0] if "." in s.key else ""
            sibling_opt = any(
                o.canonical == "optimizer" and (o.key.rsplit(".", 1)[0] if "." in o.key else "") == prefix
                for o in settings
            )
            ok = in_opt or sibling_opt
        elif in_opt:
            ok = False
        elif any(p in EXCLUDED_SECTIONS for p in parents):
            ok = False
        elif any(p in CONTEXT_SECTIONS[need] for p in parents):
            ok = True
        else:
            ok = not parents and file_context[need]  # a nested key needs its own section to say it
        if ok:
            s.canonical = canonical
            if s.role is None:
                s.role = section_role(parts[:-1])
