"""The capacity comparison's reading of the two players' sizes: which generator a critic is compared with
(its size variant, the script that builds both), whether the shape read holds for how the project builds it,
and the gap."""
from __future__ import annotations

import re
from collections import Counter

from ganlint.reading.code.capacity_forms import affine_gap, family as _family, hidden, projection_gap
from ganlint.core.types import Location
from ganlint.reading.import_graph import imports_of
from ganlint.reading.code.facts import Construction, Network


# the role word of a network's name; what is left is its variant (Generator32 -> "32", ResGenerator32 -> "res32")
_ROLE_WORD = re.compile(r"generator|discriminator|critic|gen|disc|net_?[gd](?![a-z])|(?<![a-z])[gd](?![a-z])", re.I)
_SIZE = re.compile(r"\d\d|mnist|cifar|celeba|lsun|svhn|imagenet|stl|ffhq", re.I)  # an image size or data set


def variant(name: str) -> str | None:
    """The size variant a name says ("" for the plain Generator/Discriminator), None when it names none:
    `G_shared` / `D1` are parts of coupled players (CoGAN), not size variants of whole networks."""
    rest, n = _ROLE_WORD.subn("", name, count=1)
    key = rest.strip("_").lower()
    return key if n and (not key or _SIZE.search(key)) else None


def _pool_index(pool: list, cache: dict) -> tuple[dict, dict]:
    """(generators by size variant, generators by the file that builds them) of a pool, made once per pool:
    per critic, a scan of every generator was quadratic on files of many networks."""
    idx = cache.get(id(pool))
    if idx is None:
        by_variant: dict = {}
        by_build: dict = {}
        for g in pool:
            by_variant.setdefault(variant(g.name), []).append(g)
            if g.built_at is not None:
                by_build.setdefault(g.built_at.file, []).append(g)
        idx = cache[id(pool)] = (by_variant, by_build)
    return idx


def opponent(critic, pool: list, cache: dict, other_files: bool = False, facts=None):
    """The generator a critic is compared with: the only one; of a file with several, the one of the same
    size variant (ResGenerator32 / ResDiscriminator32), else the only one the critic's training script
    builds (an `--arch` default picking from tables of classes); of other files' generators, the one of the
    same named variant (Cifar10Discriminator / Cifar10Generator), else (with `facts`) the only one the
    script building the critic builds (`G = resnet96.Generator(); D = resnet96_light.DiscriminatorLight()`);
    None when none is singled out."""
    if len(pool) == 1 and not other_files:
        return pool[0]
    by_variant, by_build = _pool_index(pool, cache)
    key = variant(critic.name)
    same = by_variant.get(key, []) if key is not None and (key or not other_files) else []
    if len(same) == 1:
        return same[0]
    if critic.built_at is not None and not other_files:
        built = by_build.get(critic.built_at.file, [])
        if len(built) == 1:
            return built[0]
    if critic.built_at is not None and other_files and facts is not None:
        scripts = cache.get(("scripts", id(pool)))
        if scripts is None:  # file -> the generators its calls build (once per pool)
            scripts = cache[("scripts", id(pool))] = {}
            for g in pool:
                for f in {c.location.file for c in build_sites(facts, g)}:
                    scripts.setdefault(f, []).append(g)
        built = scripts.get(critic.built_at.file, [])
        if len(built) == 1:
            return built[0]
    return None


def _passes(c: Construction, net: Network, params: list[str]) -> bool:
    given = set(net.params[: len(c.positional)]) | set(c.keywords)
    return bool(given & set(params))


def shape_test_site(c: Construction) -> bool:
    """A call in a shape smoke test (`def test(): disc = Discriminator(3, 8); assert disc(x).shape == ...`,
    a tests/ file): it checks the shapes with toy sizes, it is not how the project trains the network."""
    fn = (c.scope or "").rsplit(".", 1)[-1]
    path = c.location.file.replace("\\", "/")
    base = path.rsplit("/", 1)[-1]
    return fn.startswith(("test", "_test")) or base.startswith("test_") or any(
        d in f"/{path}" for d in ("/tests/", "/test/"))


def build_sites(facts, net: Network) -> list[Construction]:
    """The calls that build `net` for training (shape smoke tests left out). Where several files define a
    class of its name (a Generator per model file), a call in a file that imports some of them and not
    `net`'s file builds another one (`import models.cifar_resnet as m; m.Discriminator()`)."""
    sites = [c for c in facts.code.constructions_of(net.name) if not shape_test_site(c)]
    homes = _homes(facts).get(net.name, set())
    if len(homes) < 2:
        return sites
    imports = imports_of(facts)
    own = net.location.file
    out = []
    for c in sites:
        f = c.location.file
        seen = {f} & homes or imports.get(f, set()) & homes  # the file's own class, else the ones it imports
        if not seen or own in seen:
            out.append(c)
    return out


def _homes(facts) -> dict[str, set[str]]:
    """Class name -> the files defining a network of that name (once per facts)."""
    return facts.code.indexed("networks_all", _files_by_name)


def _files_by_name(networks: list[Network]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for n in networks:
        out.setdefault(n.name, set()).add(n.location.file)
    return out


def _name_counts(facts) -> Counter:
    """How many networks of the project bear each class name (counted once per facts, not per network)."""
    return facts.code.indexed("networks_all", _count_names)


def _count_names(networks: list[Network]) -> Counter:
    return Counter(n.name for n in networks)


def shape_trusted(facts, net: Network) -> bool:
    """The widths/parameter count read for `net` hold for how the project builds it: no other call site
    (with other arguments) and no call passing a parameter whose default the shape was read with."""
    if net.layer_widths is None and net.param_count is None and net.param_floor is None:
        return False
    sites = build_sites(facts, net)
    # bare calls build one shape only when the name is one class (four scripts' own `Generator()` are not)
    single = _name_counts(facts)[net.name] == 1
    bare = [c for c in sites if not c.positional and not c.keywords] if single else []
    for c in sites:
        if net.built_at is not None:
            if c.location != net.built_at and c.location not in net.built_alike and not (
                    c in bare and any(b.location == net.built_at for b in bare)):
                return False  # another call with other arguments (two `Generator()` build the same shape)
        elif _passes(c, net, net.assumed_defaults):
            return False
    return True


def capacity_gap(critic: Network, gen: Network, ratio: float) -> str | None:
    """Why the critic is weaker than the generator, or None. Widths decide when both have as many hidden
    layers (a DCGAN's mirrored 64/128/256/512 channels are equal, not weaker); otherwise the parameter
    counts do (different depths, conv stacks against a Linear projection)."""
    ch, gh = hidden(critic.layer_widths, critic.output_layers), hidden(gen.layer_widths, gen.output_layers)
    if ch is not None and gh is not None and len(ch) == len(gh) and not _bottleneck(ch) and _alike(critic, gen):
        if sum(ch) < ratio * sum(gh):
            return f"hidden widths {ch} are weaker than generator `{gen.name}`'s {gh} ({sum(ch)} vs {sum(gh)} units)"
        return None
    mirrored = projection_gap(critic, gen, ratio) if ch is not None and not _bottleneck(ch) else None
    if mirrored is not None:
        return mirrored or None
    first = gen.input_layer.kind if gen.input_layer is not None else ""
    if first.startswith("Conv") and not first.startswith("ConvTranspose"):
        return None  # an image-to-image generator (U-Net, ResNet) against a patch critic: not this comparison
    if _blocks_mirrored(critic, gen, first, ratio):
        return None
    cp, gp = critic.param_count, gen.param_count
    if cp is None and gp is None:
        gap = affine_gap(critic, gen, ratio)
        if gap is None:
            return None
        (a, b), (c, d) = gap
        shape = f" (widths {ch} vs {gh})" if ch is not None and gh is not None else ""
        return (f"has fewer parameters than generator `{gen.name}` for any image size n ({_count(b)} + {a}n "
                f"vs {_count(d)} + {c}n){shape}")
    at_least = ""
    if gp is None and gen.param_floor:
        gp, at_least = gen.param_floor, "at least "  # a lower bound suffices: the critic has fewer still
    if cp is not None and gp is not None and gp > 0 and cp < ratio * gp:
        shape = f" (widths {ch} vs {gh})" if ch is not None and gh is not None else ""
        return (f"has about {_count(cp)} parameters, fewer than generator `{gen.name}`'s "
                f"{at_least}{_count(gp)}{shape}")
    return None


def _blocks_mirrored(critic: Network, gen: Network, first: str, ratio: float) -> bool:
    """Networks of residual blocks whose channels mirror each other (the reference SNGAN / WGAN-GP ResNets: 128-
    filter critic blocks against 128-filter generator blocks): as strong, though the generator's Linear
    projection of z (and its first block reading the projected map) give it more parameters. The critic's
    channels without its score layer against the generator's without that projection and its image layer."""
    cw, gw = critic.channel_widths, gen.channel_widths
    if not cw or not gw or gen.input_layer is None or first != "Linear":
        return False  # a generator starting with ConvTranspose2d(nz, 128, 4) blocks: its parameters decide
    blocks = list(gw)
    if gen.input_layer.width in blocks:
        blocks.remove(gen.input_layer.width)  # the projection of z
    if blocks and min(blocks) <= 4:
        blocks.remove(min(blocks))  # the image layer (1, 3 or 4 channels)
    hidden = [w for w in cw if w > 1]  # not the score layer
    return bool(blocks and hidden) and sum(hidden) >= ratio * sum(blocks)


def _alike(critic: Network, gen: Network) -> bool:
    """Hidden layers of the same families, layer by layer: a Linear's 4096 units projecting to a 4x4x256
    map are not 4096 channels, so against a conv stack the parameters decide, not the summed widths."""
    ck, gk = critic.layer_kinds, gen.layer_kinds
    if ck is None or gk is None:
        return True
    return [_family(k) for k in ck[:len(ck) - critic.output_layers]] == \
        [_family(k) for k in gk[:len(gk) - gen.output_layers]]


def _bottleneck(widths: list[int]) -> bool:
    """Widths that narrow to a code and widen again (an autoencoder critic: EBGAN, BEGAN): its wide
    decoder layers carry few parameters each, so summed widths overstate it; its parameters decide."""
    return any(widths[i] < widths[0] and widths[i] < max(widths[i + 1:]) for i in range(1, len(widths) - 1))


def comparable(critic: Network, gen: Network) -> bool:
    """capacity_gap can decide: widths at equal depth, or both parameter counts."""
    ch, gh = hidden(critic.layer_widths, critic.output_layers), hidden(gen.layer_widths, gen.output_layers)
    if ch is not None and gh is not None and len(ch) == len(gh) and _alike(critic, gen):
        return True
    if critic.param_affine is not None and gen.param_affine is not None:
        return True
    return critic.param_count is not None and (gen.param_count is not None or bool(gen.param_floor))


def base_width_gap(facts, critic: Network, gen: Network, ratio: float):
    """(message, location) when the critic's base channel default (ndf=128) is below the generator's
    (ngf=256) and no call passes either: the blocks they scale are opaque, their multiplier is not."""
    if not critic.base_widths or not gen.base_widths:
        return None
    cname, (cw, cloc) = next(iter(critic.base_widths.items()))
    gname, (gw, _gloc) = next(iter(gen.base_widths.items()))
    for net, param in ((critic, cname), (gen, gname)):
        if any(_passes(c, net, [param]) for c in build_sites(facts, net)):
            return None
    if cw < ratio * gw:
        return f"base width {cname}={cw} is below generator `{gen.name}`'s {gname}={gw}", cloc
    return None


def _count(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k" if n >= 1e3 else str(n)


def first_layer(net: Network) -> Location:
    """Where the critic's first weighted layer is written; a layer a module-level helper makes
    (`*block(784, 512)`) is reported at the critic's stack that calls it."""
    for st in net.stacks:
        for l in st.layers:
            if l.weighted:
                helper = not _inside(l.location, net.location) and _inside(st.location, net.location)
                return st.location if helper else l.location  # a base class's stack: its own layer
    return next((l.location for l in net.attr_layers.values() if l.weighted), net.location)


def _inside(loc: Location, span: Location) -> bool:
    end = span.end_line or span.line
    return loc.file == span.file and span.line <= loc.line <= end


def fake_making_decoders(facts) -> list[Network]:
    """The decoders whose batches a critic judges (a VAE-GAN's: `x_p = decoder(z_p); D(x_p)`): the generator
    of the capacity comparison, in files that define no network named as a generator. A decoder whose output
    no critic judges (an AAE's critic judges latent codes) is not one."""
    code = facts.code
    made = {(file, maker.removesuffix(".forward").split(".")[0]) for file, maker in code.fake_makers}
    if not made:
        return []
    classes = {c.cls for c in code.constructions if (c.location.file, (c.var or "").split(".")[0]) in made}
    with_gen = {g.location.file for g in code.networks_with_role("generator")}
    return [n for n in code.networks_with_role("decoder") if n.name in classes and n.location.file not in with_gen]
