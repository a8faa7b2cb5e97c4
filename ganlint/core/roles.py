"""Which network a name belongs to: the one role recogniser used by reading, fixing and probing.

    role_from_name("MLPGenerator") -> "generator";  role_from_name("netD") -> "critic"
    role_from_name("SqueezeExcite") -> None         (no role token: not a network of the model's)

Names are split into lower-case tokens (``_``, punctuation, camelCase); the last token that names a role
wins (``VAEEncoder`` -> encoder). ``ROLE_TOKENS`` is also the table config keys are read with
(``g_lr``, ``lr_D``, ``[energy]``: see ganlint.reading.vocabulary).
"""
from __future__ import annotations

import re
from functools import lru_cache

# Role tokens of config keys and sections (`g_lr`, `disc: {lr: ...}`).
ROLE_TOKENS: dict[str, str] = {
    "g": "generator", "gen": "generator", "generator": "generator", "netg": "generator",
    "d": "critic", "disc": "critic", "dis": "critic", "critic": "critic", "discriminator": "critic",
    "netd": "critic",
    "enc": "encoder", "encoder": "encoder",
    "dec": "decoder", "decoder": "decoder",
    "vae": "vae",
    "energy": "energy", "ebm": "energy",
}
# Class and variable names: the same tokens, except `dis` (DisplayBlock, DistillHead are no critics) and
# with `autoencoder` (a class name, never a key token), and the adjectives of `ConvolutionalDiscriminativeNet`.
NAME_ROLE_TOKENS: dict[str, str] = {**{k: v for k, v in ROLE_TOKENS.items() if k != "dis"}, "autoencoder": "vae",
                                    "discriminative": "critic", "generative": "generator"}

# one-token VAE variants: CVAE, TCVAE, BetaVAE written betavae; not VQVAE (no KL term, no posterior variance)
_VAE_VARIANT = re.compile(r"^(?!vq|lar)[a-z]{1,6}vae$")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def name_tokens(name: str) -> list[str]:
    return [t.lower() for part in re.split(r"[_\W]+", name) for t in _CAMEL.findall(part)]


@lru_cache(maxsize=8192)
def role_from_name(name: str) -> str | None:
    """Role a class or variable name says: MLPGenerator -> generator, netD -> critic, EnergyModel -> energy.

    The last token that names a role wins (VAEEncoder -> encoder), up to a "with" after one: what follows it
    is a part the named network holds (DiscriminatorWithAutoencoder -> critic)."""
    role = None
    for tok in name_tokens(name):
        if tok == "with" and role is not None:
            break
        if tok in NAME_ROLE_TOKENS:
            role = NAME_ROLE_TOKENS[tok]
        elif _VAE_VARIANT.match(tok):
            role = "vae"
    if name.lower() in ("netg", "netd"):
        role = NAME_ROLE_TOKENS[name.lower()]
    return role


def is_role(name: str, *roles: str) -> bool:
    return role_from_name(name) in roles


__all__ = ["ROLE_TOKENS", "NAME_ROLE_TOKENS", "role_from_name", "name_tokens", "is_role"]
