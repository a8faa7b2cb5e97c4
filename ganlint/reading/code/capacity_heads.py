"""Critics split into parts: InfoGAN's shared body with small head modules on its features. The critic is the
body with its score head; a head is not a critic of its own."""
from __future__ import annotations

from dataclasses import replace

from ganlint.reading.code.facts import Network


FEATURE_WIDTH = 8  # a body's output that heads read is a feature map this wide at least, not an image's channels


def heads(networks: list[Network]) -> tuple[set[int], dict[int, Network | None]]:
    """(ids of the head modules, body id -> the critic it makes with its score head, or None) among one file's
    networks. A head is a small module fed another module's features, not images (InfoGAN's `DHead` / `QHead`
    on a shared `Discriminator` body): its first layer takes the channels the body's last layer makes, and it
    has fewer parameters than the body. A critic body with its one critic-named head is the critic; a body
    whose score head is not singled out is not compared."""
    out_ids: set[int] = set()
    bodies: dict[int, Network | None] = {}
    by_input: dict[int, list[Network]] = {}  # in width of the first layer -> the networks (one pass, not n^2)
    for h in networks:
        if h.role != "generator" and h.input_layer is not None and h.layer_widths and \
                isinstance(h.input_layer.in_width, int):
            by_input.setdefault(h.input_layer.in_width, []).append(h)
    for body in networks:
        w = body.layer_widths
        if body.role not in ("critic", None) or not w or not isinstance(w[-1], int) or w[-1] < FEATURE_WIDTH:
            continue
        fed = [h for h in by_input.get(w[-1], []) if h is not body and _smaller(h, body)]
        if not fed:
            continue
        out_ids |= {id(h) for h in fed}
        scorers = [h for h in fed if h.role == "critic"]
        if body.role == "critic":
            bodies[id(body)] = _with_head(body, scorers[0]) if len(scorers) == 1 else None
    for i in out_ids:
        bodies.pop(i, None)
    return out_ids, bodies


def as_critics(networks: list[Network]) -> dict[int, Network | None]:
    """id of a network -> the critic it stands for when not itself: a body with its score head, None for a
    head or a body whose score head is not singled out (heads, file by file)."""
    in_file: dict[str, list[Network]] = {}
    for n in networks:
        in_file.setdefault(n.location.file, []).append(n)
    out: dict[int, Network | None] = {}
    for nets in in_file.values():
        head_ids, bodies = heads(nets)
        out.update(bodies)
        out.update(dict.fromkeys(head_ids))
    return out


def _smaller(head: Network, body: Network) -> bool:
    return head.param_count is not None and body.param_count is not None and head.param_count < body.param_count


def _with_head(body: Network, head: Network) -> Network:
    """The critic a body and its score head make: the body's layers, all hidden, then the head's."""
    kinds = body.layer_kinds + head.layer_kinds if body.layer_kinds and head.layer_kinds else None
    count = body.param_count + head.param_count if body.param_count and head.param_count else None
    return replace(body, layer_widths=body.layer_widths + head.layer_widths, layer_kinds=kinds, param_count=count,
                   param_floor=None, param_affine=None, output_layers=head.output_layers)
