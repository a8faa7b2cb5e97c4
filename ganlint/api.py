"""The public Python API of `ganlint check` (the CLI is a thin layer over it).

    import ganlint
    result = ganlint.check(["model.py", "config.yaml"], select=["ALL"], ignore=["gan-batch-small"])
    for f in result.findings:          # ganlint.core.types.Finding, sorted by file/line/column/code
        print(f.location, f.code, f.slug, f.message)
    for e in result.errors:            # unreadable inputs: ganlint.core.errors.GanlintError
        print(e)
    result.exit_code()                 # 0 / 1 / 2, as the CLI would exit

`config`: a pyproject.toml path; None looks for the nearest pyproject.toml with [tool.ganlint] from the
working directory up (as the CLI does); False uses no configuration. A bad configuration raises
ganlint.core.errors.UsageError. Never imports torch or the user's code.
"""
from __future__ import annotations

import os
from typing import Iterable

from ganlint.checking.runner import CheckResult

__all__ = ["check", "CheckResult"]


def check(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    select: Iterable[str] | str | None = None,
    ignore: Iterable[str] | str | None = None,
    config: str | os.PathLike | None | bool = None,
) -> CheckResult:
    from ganlint.checking.options import Options, load_options, split_selectors
    from ganlint.checking.runner import check_paths

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if config is False:
        options = Options()
    else:
        options = load_options(os.fspath(config) if config not in (None, True) else None)
    sel = split_selectors(list(select) if not isinstance(select, str) and select is not None else select)
    ign = split_selectors(list(ignore) if not isinstance(ignore, str) and ignore is not None else ignore)
    _validate(sel + ign, options)
    return check_paths(paths, select=sel if select is not None else None, ignore=ign, options=options)


def _validate(selectors: list[str], options) -> None:
    from ganlint.checking import registry
    from ganlint.checking.options import validate_selectors

    validate_selectors(selectors, registry.known_selectors(options.custom_rules), "the selection")
