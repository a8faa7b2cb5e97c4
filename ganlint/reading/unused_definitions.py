"""Definitions nothing uses: the top-level functions and classes of a library module that no code of the project
names (an import alone does not use, a package's re-export does), directly or through another used definition
of that module. A vendored CycleGAN/pix2pix `networks.py` beside a score model defines `cal_gradient_penalty`,
`GANLoss` and `define_D -> NLayerDiscriminator` while the project only borrows its building blocks: those pieces show no
family, since a family is shown by code that runs (a penalty called in a step, a critic built and trained).

Only modules that train nothing themselves (no optimizer, backward or step), that some project file imports,
of a project that trains somewhere are read so: a training script's hooks are called by frameworks that never
name them (`training_step`), a module nobody here imports serves a notebook, and a models file with nothing
beside it (a rule's example) is judged by what it defines.
Names are whole words of the texts (comments, strings and configuration files count as a use: precision first),
found in one pass over each text; linear in the project's size."""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter

from ganlint.core.types import Location

_IDENT = re.compile(r"[A-Za-z_]\w*")
# an import statement (a parenthesised or backslash-continued one too): it names what it imports, uses nothing
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+(?:\([^)]*\)|(?:[^\n\\]|\\\n)*)", re.M)
_TOP_DEF = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)")


def unused_spans(facts) -> dict[str, list[tuple[int, int]]]:
    """file -> (first line, last line) of each top-level definition nothing uses (cached on the facts)."""
    cached = facts.__dict__.get("_unused_spans")
    if cached is not None:
        return cached
    cached = {}
    training = facts.training_files()
    library = []
    if training:
        from ganlint.reading.import_graph import import_graph

        importers = import_graph(facts)  # a module nobody here imports serves a notebook: its uses are unseen
        library = [f for f in facts.texts if f.endswith(".py") and f not in training and importers.get(f)]
    if library:
        # a package's `__init__.py` exports what it imports: a name a trainer looks up by a setting's string
        # (`get_class('algos', cfg.algo)`) is used through it
        words = {f: set(_IDENT.findall(t if f.rsplit("/", 1)[-1] == "__init__.py" else _IMPORT.sub(" ", t)))
                 for f, t in facts.texts.items()}
        files_naming = Counter(w for ws in words.values() for w in ws)
        for f in library:
            spans = _unused_in(facts.texts[f], words[f], files_naming)
            if spans:
                cached[f] = spans
    facts.__dict__["_unused_spans"] = cached
    return cached


def _unused_in(text: str, own_words: set[str], files_naming: Counter) -> list[tuple[int, int]]:
    """The spans of the definitions of one module that neither another file, nor the module's own top-level
    code, nor a used definition of it names."""
    text = _IMPORT.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # keep line numbers
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line[:1] and not line[:1].isspace() and line[0] != "#"]
    starts.append(len(lines))
    defs: dict[str, tuple[int, int, set[str]]] = {}
    top: set[str] = set()
    for i, start in enumerate(starts[:-1]):
        chunk = "\n".join(lines[start:starts[i + 1]])
        m = _TOP_DEF.match(lines[start])
        names = set(_IDENT.findall(chunk))
        if m and m.group(1) not in defs:
            end = starts[i + 1]
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            defs[m.group(1)] = (start + 1, end, names - {m.group(1)})
        else:
            top |= names  # top-level code, a decorator, a second definition of a name: all uses
    used = [n for n in defs if n in top or files_naming[n] > (1 if n in own_words else 0)]
    seen = set(used)
    while used:
        for n in defs[used.pop()][2]:
            if n in defs and n not in seen:
                seen.add(n)
                used.append(n)
    return [(s, e) for n, (s, e, _) in defs.items() if n not in seen]


def in_unused_definition(facts, where) -> bool:
    """The fact (anything with a location, or a Location) lies in a definition nothing uses."""
    loc = where if isinstance(where, Location) else getattr(where, "location", None)
    if loc is None:
        return False
    spans = unused_spans(facts).get(loc.file)
    if not spans:
        return False
    i = bisect_right(spans, (loc.line, float("inf"))) - 1  # the last span starting at or before the line (in order)
    return i >= 0 and spans[i][0] <= loc.line <= spans[i][1]


# the code facts the family reading (reading/code/code_families.py) looks at
_FAMILY_EVIDENCE = ("networks_all", "constructions", "grad_calls", "weight_clips", "losses", "sigmoid_bces",
                    "critic_bces", "undetached_fakes", "judged_fakes", "kl_terms", "reparameterisations",
                    "logvar_exps", "infonce", "langevin")


def live_code(facts):
    """The project's code facts without the family evidence that lies in definitions nothing uses (the facts
    themselves when there is none): what the project's families are read from."""
    code = facts.code
    if not unused_spans(facts):
        return code
    import dataclasses

    changed = {}
    for name in _FAMILY_EVIDENCE:
        items = getattr(code, name)
        kept = [x for x in items if not in_unused_definition(facts, x)]
        if len(kept) != len(items):
            changed[name] = kept
    return dataclasses.replace(code, **changed) if changed else code
