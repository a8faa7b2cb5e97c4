"""Critics split into parts: InfoGAN's shared body with small head modules on its features. The critic is the
body with its score head; a head is not a critic of its own."""
from __future__ import annotations

from bisect import bisect_left
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
                isinstance(h.input_layer.in_width, int) and h.param_count is not None:
            by_input.setdefault(h.input_layer.in_width, []).append(h)
    # the heads a body feeds are those of its output width with fewer parameters: a prefix of that width's
    # candidates sorted by parameter count (bisect, not a scan per body: 1,400 same-width blocks were n^2)
    ranked: dict[int, tuple[list[int], list[Network], list[int], Network | None]] = {}
    for width, cands in by_input.items():
        cands = sorted(cands, key=lambda h: h.param_count)
        critics, seen = [], 0
        for h in cands:
            seen += h.role == "critic"
            critics.append(seen)  # critic-named heads among the first i + 1
        first = next((h for h in cands if h.role == "critic"), None)  # the one a prefix with one critic holds
        ranked[width] = ([h.param_count for h in cands], cands, critics, first)
    fed_upto: dict[int, int] = {}  # width -> the longest prefix some body feeds (prefixes nest: their union)
    for body in networks:
        w = body.layer_widths
        if body.role not in ("critic", None) or not w or not isinstance(w[-1], int) or w[-1] < FEATURE_WIDTH \
                or body.param_count is None or w[-1] not in ranked:
            continue
        counts, cands, critics, first = ranked[w[-1]]
        k = bisect_left(counts, body.param_count)  # strictly fewer parameters: never the body itself
        if not k:
            continue
        fed_upto[w[-1]] = max(fed_upto.get(w[-1], 0), k)
        if body.role == "critic":
            bodies[id(body)] = _with_head(body, first) if critics[k - 1] == 1 else None  # its one critic-named head
    for width, k in fed_upto.items():
        out_ids.update(id(h) for h in ranked[width][1][:k])
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


def _with_head(body: Network, head: Network) -> Network:
    """The critic a body and its score head make: the body's layers, all hidden, then the head's."""
    kinds = body.layer_kinds + head.layer_kinds if body.layer_kinds and head.layer_kinds else None
    count = body.param_count + head.param_count if body.param_count and head.param_count else None
    return replace(body, layer_widths=body.layer_widths + head.layer_widths, layer_kinds=kinds, param_count=count,
                   param_floor=None, param_affine=None, output_layers=head.output_layers)
