"""Where findings point: the user's class, the line binding a module (`G = nn.Sequential(...)`,
`self.generator = ...`), the first call, or the optimizer's step; never torch's files."""
from __future__ import annotations

import sys
from typing import Any


def _rel(path: str) -> str:
    """`path` relative to the working directory when it lies under it, else as given."""
    import os

    try:
        r = os.path.relpath(path)
        return path if r.startswith("..") else r
    except ValueError:
        return path


def locations(m) -> dict[str, Any]:
    """role -> Location: the user's class, else where the module is bound, else its first call / optimizer."""
    import inspect

    from ganlint.core.types import Location

    locs: dict[str, Any] = {}
    for n in m.nets:
        loc = None
        for part in n.parts:
            try:  # torch's own classes are not read (getsourcelines tokenizes the whole file)
                f = inspect.getsourcefile(type(part))
                if not (f and m.t.frames.is_user(f)):
                    continue
                line = inspect.getsourcelines(type(part))[1]
            except (OSError, TypeError):
                continue
            loc = Location(_rel(f), line)
            break
        if loc is None:  # nn.Sequential & co.: where the user binds it (`G = nn.Sequential(...)`),
            # else the user's line that first called it, else its optimizer's step
            site = next((b for p in n.parts if (b := binding(m, p))), None)
            site = site or next((m.t.flow.call_site.get(id(p)) for p in n.parts
                                 if id(p) in m.t.flow.call_site), None)
            site = site or n.optimizers[0].site
            if site:
                loc = Location(_rel(site[0]), site[1])
        if loc is not None:
            locs[n.name] = loc
            if n.role == "vae":
                locs.setdefault("encoder", loc)
    opt_site = next((r.site for n in m.nets for r in n.optimizers if r.site), None)
    if opt_site:
        locs.setdefault("setting:learning_rate", Location(_rel(opt_site[0]), opt_site[1]))
    main = getattr(m, "main", None)
    if main is not None and main.name in locs:
        locs["default"] = locs[main.name]
    elif locs:
        locs["default"] = next(iter(locs.values()))
    return locs


def binding(m, module) -> tuple[str, int] | None:
    """The user's line assigning this module to a name, found from the live frames' variables."""
    import re

    found: list[tuple[str, str]] = []
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if m.t.frames.is_user(fn):
            for k, v in list(f.f_locals.items()):
                if v is module:
                    found.append((k, fn))
                elif hasattr(v, "named_children") and v is not module:
                    try:
                        found += [(ck, fn) for ck, cv in v.named_children() if cv is module]
                    except Exception:  # noqa: BLE001 - a user object that only looks like a module
                        pass
        f = f.f_back
    for name, fn in found:
        pat = re.compile(rf"^\s*(self\.)?{re.escape(name)}\s*(:[^=]*)?=[^=]")
        try:
            with open(fn, encoding="utf-8-sig") as fh:
                for i, line in enumerate(fh, 1):
                    if pat.match(line):
                        return fn, i
        except OSError:
            continue
    return None

