"""Forms of the two players' sizes the capacity comparison uses besides equal-depth widths and known counts:
a DCGAN generator's Linear projection read as the channels its first conv takes, and MLP counts affine in an
unknown image size."""
from __future__ import annotations

from ganlint.reading.code.facts import Network


def hidden(widths: list | None, outputs: int = 1) -> list[int] | None:
    """The widths of every weighted layer but the output ones (an ACGAN critic's two heads), when all are known."""
    if not widths or len(widths) < outputs + 1:
        return None
    out = widths[:len(widths) - outputs]
    return out if all(isinstance(w, int) for w in out) else None


def affine_gap(critic: Network, gen: Network, ratio: float) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The image size unknown (built from a data module's shape), two MLPs: the critic's count is a*n + b in its input
    width n, the generator's c*n + d in its output width, the same n (the critic reads what the generator
    makes); weaker for every size n >= 1 when a <= ratio*c and a + b < ratio*(c + d)."""
    ca, ga = critic.param_affine, gen.param_affine
    if ca is None or ga is None or ca[2] != "in" or ga[2] != "out":
        return None
    if critic.built_at is None or gen.built_at is None:
        return None  # classes nothing is seen building (a library of models): not how anything trains
    if any(k != "Linear" for net in (critic, gen) for k in (net.layer_kinds or ["?"])):
        return None  # MLPs on the flattened image only: a conv pair's projection and blocks mirror each other
    (a, b, _), (c, d, _) = ca, ga
    if a <= ratio * c and a + b < ratio * (c + d):
        return (a, b), (c, d)
    return None


def projected(gen: Network) -> list[int] | None:
    """The generator's hidden channels when a Linear projection is reshaped into its first conv's input:
    that conv's in-channels stand for the projection (Linear(100, 1024*4*4) -> ConvTranspose2d(1024, ...));
    hidden Linear layers before it keep their units (InfoGAN's Linear(74, 1024), Linear(1024, 128*7*7))."""
    gh, kinds, c = hidden(gen.layer_widths, gen.output_layers), gen.layer_kinds, gen.projected_channels
    if gh is None or kinds is None or not isinstance(c, int) or c <= 0 or kinds[0] != "Linear":
        return None
    n = _run(kinds, "Linear")
    if n > len(gh) or not all(family(k) == "conv" for k in kinds[n:]):
        return None
    return gh[:n - 1] + [c] + gh[n:]


def _run(kinds: list[str], fam: str) -> int:
    """How many of the first layers are of the family `fam`."""
    n = 0
    while n < len(kinds) and family(kinds[n]) == fam:
        n += 1
    return n


def family(kind: str) -> str:
    return "conv" if kind.startswith("Conv") else kind


def projection_gap(critic: Network, gen: Network, ratio: float) -> str | None:
    """A conv critic against a generator whose Linear projection is viewed as a map: its channels mirror the
    critic's convs. The message when the critic is weaker, "" when it is not, None when not this form."""
    ch, proj = hidden(critic.layer_widths, critic.output_layers), projected(gen)
    kinds, n = critic.layer_kinds, critic.output_layers
    # the critic's hidden layers are convs, then maybe Linear layers on the flattened map (InfoGAN's 1024
    # units, the mirror of the generator's hidden Linear); its score layer (and an ACGAN's class head beside
    # it) may be a Linear head on that map, the mirror of the generator's projection (the reference DCGAN /
    # WGAN-GP shapes): neither is a hidden layer
    if ch is None or proj is None or len(ch) != len(proj) or kinds is None:
        return None
    body = kinds[:-n]
    convs = _run(body, "conv")
    if not convs or not all(k == "Linear" for k in body[convs:]) or \
            any(family(k) not in ("conv", "Linear") for k in kinds[-n:]):
        return None
    if sum(ch) < ratio * sum(proj):
        return f"hidden widths {ch} are weaker than generator `{gen.name}`'s {proj} ({sum(ch)} vs {sum(proj)} channels)"
    return ""
