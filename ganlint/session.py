"""One run's view of the user's project: files read and options loaded once, shared by check, fix and probe.

    session = Session(["model.py", "config.yaml"])          # options: the nearest [tool.ganlint]
    result = session.check()                                 # CheckResult, as `ganlint check`
    session.text("config.yaml")                              # the text read for it (read once)
    session.rule_options(rule.code, rule.options)            # a rule's options, as configured

`fix` plans from `session.check()` and `probe` takes its rule options from `session.options`, so the three
commands honour `[tool.ganlint]` alike. `texts` stands in for files on disk (a candidate of `fix --verify`).
"""
from __future__ import annotations

from typing import Any

from ganlint.checking.options import Options
from ganlint.core.errors import GanlintError


class Session:
    def __init__(self, paths: list[str], options: Options | None = None, *, config: str | None = None,
                 texts: dict[str, str] | None = None):
        if options is None:
            from ganlint.checking.options import load_options

            options = load_options(config)  # a bad [tool.ganlint] is a GanlintError: one line, exit 2
        self.paths = list(paths)
        self.options = options
        self._texts: dict[str, str] = dict(texts or {})
        self._read_errors: dict[str, GanlintError] = {}
        self._results: dict[tuple, Any] = {}

    # -- files ----------------------------------------------------------------------------------
    def text(self, path: str) -> str:
        """The file's text, read from disk at most once (InputError when unreadable, every time asked)."""
        if path in self._texts:
            return self._texts[path]
        if path in self._read_errors:
            raise self._read_errors[path]
        from ganlint.reading import project

        try:
            self._texts[path] = project.read_text(path)
        except GanlintError as exc:
            self._read_errors[path] = exc
            raise
        return self._texts[path]

    def texts(self, files: list[str]) -> dict[str, str]:
        """path -> text of every readable file among `files`."""
        out = {}
        for f in files:
            try:
                out[f] = self.text(f)
            except GanlintError:
                continue
        return out

    def read(self, files: list[str]):
        """ReadResult of `files` (parsed once per group; unreadable files are its errors)."""
        key = tuple(files)
        if key not in self._results:
            from ganlint.reading.project import read_files

            known = {f: self._texts[f] for f in files if f in self._texts}
            # the reader reads what the session has not (and keeps each text in facts.texts)
            res = read_files(files, known) if known else read_files(files)
            for f, t in res.facts.texts.items():
                self._texts.setdefault(f, t)
            self._results[key] = res
        return self._results[key]

    # -- options --------------------------------------------------------------------------------
    def rule_options(self, code: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        """A rule's options: its defaults overridden by `[tool.ganlint.rules.<code>]`."""
        return {**(defaults or {}), **self.options.rule_options.get(code, {})}

    def rule(self, code: str):
        """The rule of `code`: the catalog's, else one of the project's custom rules."""
        from ganlint.checking import registry

        found = registry.rule_by_code(code)
        if found is None:
            found = next((r for r in self.options.custom_rules if r.code == code), None)
        return found

    # -- commands -------------------------------------------------------------------------------
    def check(self, select=None, ignore=None, exclude=None, rule_options=None, *,
              report_unused_suppressions: bool | None = None):
        """`ganlint check` on the session's paths (see ganlint.checking.runner.check_paths)."""
        from ganlint.checking.runner import check_paths

        return check_paths(self.paths, select, ignore, exclude, rule_options, options=self.options,
                           report_unused_suppressions=report_unused_suppressions, session=self)


__all__ = ["Session"]
