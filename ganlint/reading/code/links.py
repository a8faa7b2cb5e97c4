"""Helpers for rules that read CodeFacts: code <-> config links and code edits as data."""
from __future__ import annotations

from bisect import bisect_left
from functools import lru_cache
from typing import Any

from ganlint.core.types import Edit, Location, Setting
from ganlint.reading.code.annotated_roles import annotated_role
from ganlint.reading.code.facts import ConfigRef, Construction, Network


@lru_cache(maxsize=8)
def _lines(text: str) -> list[str]:  # one split per file, not one per finding (a 1 MB file has hundreds)
    return text.splitlines(keepends=True)


def segment(texts: dict[str, str], loc: Location) -> str:
    """The source text a Location spans (1-based columns, exclusive end), '' when unknown."""
    text = texts.get(loc.file)
    if text is None or loc.end_column is None:
        return ""
    lines = _lines(text)
    end_line = loc.end_line or loc.line
    if not (0 < loc.line <= len(lines)) or end_line > len(lines):
        return ""
    if loc.line == end_line:
        return lines[loc.line - 1][loc.column - 1 : loc.end_column - 1]
    return "".join([lines[loc.line - 1][loc.column - 1 :], *lines[loc.line : end_line - 1],
                    lines[end_line - 1][: loc.end_column - 1]])


def replace_code(loc: Location, old: str, new: str) -> Edit:
    return Edit("replace-code", loc.file, old=old, new=new, location=loc)


def insert_code(after: Location, new: str, anchor: str | None = None) -> Edit:
    """Insert `new` as statement(s) after the line `after`. `anchor` (text that line contains) lets the
    engine find the line again when earlier fixes have moved it."""
    first = anchor.strip().splitlines()[0].strip() if anchor and anchor.strip() else None
    return Edit("insert-code", after.file, old=first, new=new, location=Location(after.file, after.line, 1))


def add_kwarg(call_src: str, kwarg: str) -> str | None:
    """`f(a, b=1)` + "c=2" -> `f(a, b=1, c=2)`; None when the text is not a call."""
    text = call_src.rstrip()
    if not text.endswith(")"):
        return None
    body = text[:-1].rstrip()
    if body.endswith(","):
        body = body[:-1].rstrip()
    sep = "" if body.endswith("(") else ", "
    return f"{body}{sep}{kwarg})"


def numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def keys_feeding(facts, net: Network, param: str) -> list[tuple[ConfigRef, Construction]]:
    """Config keys passed to `param` of `net` wherever the code constructs it."""
    out = []
    for c in facts.code.constructions_of(net.name):
        ref = c.keys_by_param(net.params).get(param)
        if ref is not None:
            out.append((ref, c))
    return out


def setting_for_key(facts, key: str, file: str | None = None) -> Setting | None:
    """The setting a config read names; `file`: the reading script's own flag first (two scripts of one
    repository each parse a `--beta1` of their own, with their own defaults)."""
    if file is not None:
        leaf = key.rsplit(".", 1)[-1]
        own = [s for s in facts.settings if s.location.file == file and s.key in (key, leaf)] or \
            [s for s in facts.settings if s.location.file == file and s.leaf in (key, leaf)]
        if own:
            return own[-1]
    s = facts.setting_by_key(key)
    if s is None and "." in key:
        s = facts.setting_by_key(key.rsplit(".", 1)[-1])
    return s


def used_keys(facts) -> set[str]:
    """Keys (full and last part) the code reads."""
    keys = set(facts.code.config_keys)
    return keys | {k.rsplit(".", 1)[-1] for k in keys}


_READ_BY_NAME = ("argparse", "flagfile", "yaml", "json", "toml", "hydra")  # read as cfg.key / cfg['key'] only


def setting_unread(facts, s: Setting) -> bool:
    """Nothing in the code reads the setting: its key is loaded nowhere (as `cfg.key`, `cfg['key']`,
    `cfg.get('key')`) but in copies `self.x = cfg.key` whose attribute nothing loads, and no function has a
    parameter of its name (`Trainer(**vars(args))` would hand it over). Only for settings a program reads by
    name (flags, config files): a Python constant is read as a bare name, which is not counted."""
    if s.style not in _READ_BY_NAME:
        return False
    code = facts.code
    leaf = s.leaf
    if leaf in code.param_names:
        return False
    loads = code.attr_loads
    copied_from: dict[str, int] = {}  # name -> copies whose value loads it
    attrs = []
    for key, attr in code.config_copies:
        copied_from[key] = copied_from.get(key, 0) + 1
        if key == leaf:
            attrs.append(attr)
    for name in (leaf, *attrs):
        if loads.get(name, 0) > copied_from.get(name, 0) or (name != leaf and name in code.param_names):
            return False
    return True


def kl_annealed(facts) -> bool:
    """Annealing anywhere: an annealed weight in the code, a KL schedule function, or an anneal setting."""
    code = facts.code
    if facts.settings_for("kl_anneal_steps"):
        return True
    if any(w.annealed for w in code.kl_weights):
        return True
    return bool(code.kl_annealing)


def kl_weight_sources(facts) -> list[tuple[str, Any, Location, Any]]:
    """(kind, value, location, setting-or-weight) for each constant KL weight: settings first, literals in the loss."""
    out = []
    seen = set()
    for w in facts.code.kl_weights:
        if w.annealed:
            continue
        if w.ref is not None:
            s = setting_for_key(facts, w.ref.key)
            if s is not None and numeric(s.value) and s.location not in seen:
                seen.add(s.location)
                out.append(("setting", s.value, s.location, s))
        elif w.literal is not None and w.location not in seen:
            seen.add(w.location)
            out.append(("literal", w.literal, w.location, w))
        elif w.param_of is not None:
            for kind, value, loc, src in _parameter_weights(facts, w):
                if loc not in seen:
                    seen.add(loc)
                    out.append((kind, value, loc, src))
    for s in facts.settings_for("kl_weight"):
        if numeric(s.value) and s.location not in seen:
            seen.add(s.location)
            out.append(("setting", s.value, s.location, s))
    return out


def _parameter_weights(facts, w) -> list[tuple[str, Any, Location, Any]]:
    """The constant values a KL weight that is a parameter of its loss function (`def elbo_loss(...,
    beta=1)`) takes at the function's calls (call_sites.parameter_values), as KL weight sources."""
    from ganlint.reading.code.call_sites import parameter_values
    from ganlint.reading.code.facts import KLWeight

    batch = [x.param_of for x in facts.code.kl_weights if x.param_of]  # one pass over the texts for them all
    out: list[tuple[str, Any, Location, Any]] = []
    for kind, value, loc, s in parameter_values(facts, w.param_of, w.attr or "", w.param_index, w.default, batch):
        if kind == "setting":
            out.append(("setting", value, loc, s))
        else:
            out.append(("literal", value, loc, KLWeight(loc, w.attr or "", False, literal=value, param_of=w.param_of,
                                                        default=w.default if kind == "default" else None)))
    return out


def read_only_by_tensor_search(facts, s) -> bool:
    """The learning-rate setting is passed as `lr=` only to optimizers over plain tensors (the latent codes of
    a GAN inversion: `Adam([latent_in] + noises, lr=args.lr)`), in its own file when it is a Python setting:
    that is the search's rate, not a GAN player's."""
    py = s.location.file.endswith(".py")
    readers = [o for o in facts.code.optimizers if (not py or o.location.file == s.location.file)
               and "lr" in o.kwargs and o.kwargs["lr"].ref is not None and o.kwargs["lr"].ref.leaf == s.leaf]
    return bool(readers) and all(o.tensors for o in readers)


def energy_optimizers(facts):
    """Optimizers that may train the energy model: the energy network's (and unnamed ones in files that show
    the energy training), else any whose network is not named, else, in a project with no VAE, an encoder's
    (SimCLR / MoCo train an `encoder` by InfoNCE). A regression model's optimizer beside the EBM's is not one."""
    named, unnamed, encoders = [], [], []
    for o in facts.code.optimizers:
        role = o.role or _role_in_file(facts.code, o.network_var, o.location.file, facts.texts.get(o.location.file, ""))
        (named if role == "energy" else unnamed if role is None else encoders if role == "encoder" else []).append(o)
    if named:  # beside the energy network's own optimizer, an unnamed one counts where its file shows the training
        shown = {m.location.file for m in [*facts.code.langevin, *facts.code.infonce]}
        return sorted(named + [o for o in unnamed if o.location.file in shown],
                      key=lambda o: (o.location.file, o.location.line))
    return unnamed or (encoders if "vae" not in facts.code.families() else [])


def _role_in_file(code, var: str | None, file: str, text: str = "") -> str | None:
    """The role of the network `var` holds where the optimizer is built: that file's own `model = SimCLR(...)`
    decides, not another script's `model = LinearProbe(...)` under the same (plain, script-local) name; nor
    does it where the file annotates the parameter (`def train(net: BaseEnergyModel, ...)`): the class does."""
    from ganlint.core.roles import role_from_name

    elsewhere = False
    for c in code.constructions:
        if var and c.var == var:
            if c.location.file != file:
                elsewhere = True
                continue
            net = code.network(c.cls)
            return (net.role if net is not None else None) or role_from_name(c.cls)
    annotated = annotated_role(code, var, text)
    if annotated is not None:
        return annotated
    if elsewhere and "." not in var:  # `model = SimCLR(...).cuda()` here: only the name speaks for it
        return role_from_name(var)
    return code.role_of_var(var)


# -- which facts belong to the program a network is part of ----------------------------------------
class _ProgramIndex:
    """Per-project lookups built once (rules ask per network: linear, not networks x constructions)."""

    def __init__(self, facts):
        code = facts.code
        nets = code.networks
        self.homes: dict[str, set[str]] = {}
        for n in code.networks_all:
            self.homes.setdefault(n.name, set()).add(n.location.file)
        self.built_in: dict[str, set[str]] = {}
        for c in code.constructions:
            self.built_in.setdefault(c.cls, set()).add(c.location.file)
        names = {n.name for n in nets}
        claimed = {n.location.file for n in nets} | {c.location.file for c in code.constructions if c.cls in names}
        self.orphans = set(facts.files) - claimed  # scripts that neither define nor build a network
        self.losses: dict[str, list] = {}
        for l in code.losses:
            self.losses.setdefault(l.location.file, []).append(l)
        self.bce: dict[str, list] = {}  # per file, in line order (bisect finds the nearest)
        for f, ls in self.losses.items():
            self.bce[f] = sorted((l for l in ls if l.kind == "bce"), key=lambda l: l.location.line)
        self.bce_lines = {f: [l.location.line for l in ls] for f, ls in self.bce.items()}
        self.critic_files = {n.location.file for n in nets if n.role == "critic"}
        self._imports: dict[str, set[str]] = {}
        self._carriers: dict[str, set[str]] | None = None

    def carriers(self, facts) -> dict[str, set[str]]:
        """Network class -> the files of the role-less project modules built with it as an argument: a
        LightningModule `GAN(cfg, model_G, model_D)` trains the networks it is handed (its losses are theirs)."""
        if self._carriers is None:
            self._carriers = _carrier_files(facts, self.homes)
        return self._carriers

    def imported_models(self, facts, file: str) -> set[str]:
        """The project files defining a critic that `file` imports (parsed once, only for scripts asked about)."""
        if file not in self._imports:
            self._imports[file] = _imported_files(facts.texts.get(file, ""), self.critic_files)
        return self._imports[file]


def _carrier_files(facts, homes: dict[str, set[str]]) -> dict[str, set[str]]:
    import re

    code = facts.code
    roles = {n.name: n.role for n in code.networks_all}
    by_scope: dict[tuple, list[Construction]] = {}
    for c in code.constructions:
        if c.cls in roles:
            by_scope.setdefault((c.location.file, c.scope), []).append(c)
    out: dict[str, set[str]] = {}
    for built in by_scope.values():
        named = {p.var: p for p in built if roles[p.cls] and p.var}
        inline = sorted((p for p in built if roles[p.cls] and not p.var), key=lambda p: (p.location.line, p.location.column))
        starts = [(p.location.line, p.location.column) for p in inline]
        if not named and not inline:
            continue
        for c in built:
            if roles[c.cls]:
                continue
            handed = [named[w] for w in re.findall(r"(?<![\w.])[A-Za-z_][\w.]*", segment(facts.texts, c.location))
                      if w in named]
            end = (c.location.end_line or c.location.line, c.location.end_column or 0)
            i = bisect_left(starts, (c.location.line, c.location.column))
            while i < len(inline) and starts[i] <= end:  # GAN(cfg, Generator(cfg), Critic(cfg))
                handed.append(inline[i])
                i += 1
            for p in handed:
                out.setdefault(p.cls, set()).update(homes.get(c.cls, ()))
    return out


def _imported_files(text: str, candidates: set[str]) -> set[str]:
    """The files among `candidates` whose module path an import of `text` names (by its trailing parts)."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.extend(a.name for a in node.names)  # from . import models
    out = set()
    for f in candidates:
        parts = f[:-3].replace("\\", "/").split("/") if f.endswith(".py") else []
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        for name in names:
            mod = name.split(".")
            if parts and len(mod) <= len(parts) and parts[-len(mod):] == mod:
                out.add(f)
                break
    return out


_INDEX: dict[tuple, tuple[object, _ProgramIndex]] = {}


def _index(facts) -> _ProgramIndex:
    code = facts.code
    key = (id(facts), len(facts.files), len(code.networks_all), len(code.constructions), len(code.losses))
    hit = _INDEX.get(key)  # type: ignore[call-overload]
    if hit is None or hit[0] is not facts:
        _INDEX.clear()
        hit = _INDEX[key] = (facts, _ProgramIndex(facts))  # type: ignore[index]
    return hit[1]


def program_files(facts, net: Network) -> set[str]:
    """The network's own file, the files that construct it, and the scripts that build no network: a
    penalty or a loss in another model's files (a repository of several models) does not train it. A call
    in a file that defines its own class of that name builds that one, not this one."""
    ix = _index(facts)
    homes = ix.homes.get(net.name, set())
    files = {net.location.file}
    from ganlint.reading.code.qualified_builds import builds_another  # `wgan.Discriminator()`: another module's

    files |= {f for f in ix.built_in.get(net.name, ()) if f == net.location.file
              or (f not in homes and not builds_another(facts, f, net.name, net.location.file, homes))}
    files |= ix.carriers(facts).get(net.name, set())
    return files | ix.orphans


def penalties_for(facts, net: Network) -> list:
    """The penalties of the network's program. A script that builds no network itself but imports the
    models module of another critic (`import models.wgan_gp as models`) penalises that critic, not this one."""
    files = program_files(facts, net)
    ix = _index(facts)
    out = []
    for g in facts.code.penalties:
        f = g.location.file
        if f not in files:
            continue
        if f in ix.orphans and f != net.location.file:
            models = ix.imported_models(facts, f)
            if models and net.location.file not in models:
                continue  # the script trains the critic of the module it imports
        out.append(g)
    return out


def bce_losses_for(facts, net: Network, most: int = 4) -> list:
    """The BCE losses of the network's program; of a file with many, the `most` nearest to the network."""
    ix = _index(facts)
    out = []
    for f in sorted(program_files(facts, net)):
        found = ix.bce.get(f, [])
        if len(found) > most:
            line = net.location.line if f == net.location.file else 0
            at = bisect_left(ix.bce_lines[f], line)
            lo = max(0, min(at - most // 2, len(found) - most))
            found = found[lo: lo + most]
        out.extend(found)
    return out


def wasserstein(facts, net: Network) -> bool:
    """The critic is trained as a Wasserstein critic: a gradient penalty or weight clipping in its program
    and no BCE loss there (a BCE discriminator with a penalty is a DRAGAN-style classifier)."""
    files = program_files(facts, net)
    ix = _index(facts)
    if any(l.kind in ("bce", "bce_logits") for f in files for l in ix.losses.get(f, ())):
        return False
    code = facts.code
    if any(w.location.file in files for w in code.weight_clips) or penalties_for(facts, net):
        return True
    # no WGAN code in its program: the family came from the settings, unless the code has it elsewhere
    return not code.weight_clips and not code.penalties
