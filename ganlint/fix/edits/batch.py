"""A plan's fixes applied one after another on shared parsed documents: each config file is parsed once per
plan (and dumped once at the end), however many fixes edit it; fix by fix was one parse and one dump per fix,
which on a 500 KB YAML file is seconds each.

    batch = EditBatch(texts)
    batch.apply(fix.edits)     # all of one fix or nothing: raises EditError, the files as before this fix
    batch.changed()            # {path: new text} of the files the applied fixes changed

The result is the text the fixes give applied one by one (`apply_edits` in turn): within a fix a file gets its
text edits, then its setting edits, then its code transforms; a file whose later fix needs text (a code edit)
is dumped first and parsed again only when a setting edit follows.
"""
from __future__ import annotations

from ganlint.core.types import Edit
from ganlint.fix.edits.base import ConfigDoc, EditError


class EditBatch:
    def __init__(self, texts: dict[str, str]):
        self.base = dict(texts)
        self.texts = dict(texts)  # each file's text, except where a loaded doc holds newer edits
        self.docs: dict[str, ConfigDoc] = {}  # files with setting edits applied on a loaded document
        self.log: dict[str, list[list[Edit]]] = {}  # per file, the edits of every applied fix (for a rollback)
        self.loads = 0  # documents parsed (tests hold it to one per file)
        # a text whose load failed, and why: every later fix on it fails the same way without a new parse
        # (a 250 KB YAML file with a duplicate key was loaded, and refused, once per fix: 35 s, fuzz input 5535)
        self.unloadable: dict[tuple[str, str], EditError] = {}

    def apply(self, edits: list[Edit]) -> None:
        by_file: dict[str, list[Edit]] = {}
        for e in edits:
            by_file.setdefault(e.file, []).append(e)
        for path in by_file:
            if path not in self.texts:
                raise EditError("edit for a file that was not read", path)
        started: list[str] = []
        try:
            for path, file_edits in by_file.items():
                started.append(path)
                self._apply_file(path, file_edits)
        except EditError:
            for path in started:  # this fix is left out: its files go back to the applied fixes' state
                self._replay(path)
            raise
        for path, file_edits in by_file.items():
            self.log.setdefault(path, []).append(file_edits)

    def changed(self) -> dict[str, str]:
        from ganlint.fix.edits import too_deep

        for path in list(self.docs):
            try:
                self._text(path)
            except RecursionError:  # dumping a tree thousands deep: the file is left as it was
                self.texts[path] = self.base[path]
                raise too_deep(path, self.base[path]) from None
        return {p: t for p, t in self.texts.items() if t != self.base[p]}

    # -- one file -------------------------------------------------------------------------------------
    def _apply_file(self, path: str, edits: list[Edit]) -> None:
        from ganlint.fix.edits import too_deep

        try:
            self._apply_edits(path, edits)
        except RecursionError:
            raise too_deep(path, self.texts[path]) from None

    def _apply_edits(self, path: str, edits: list[Edit]) -> None:
        from ganlint.fix.edits import SETTING_KINDS, TEXT_KINDS, TRANSFORM_KIND, apply_setting

        unknown = [e for e in edits if e.kind not in (*TEXT_KINDS, *SETTING_KINDS, TRANSFORM_KIND)]
        if unknown:
            raise EditError(f"unknown edit kind {unknown[0].kind!r}", path)
        text_edits = [e for e in edits if e.kind in TEXT_KINDS]
        setting_edits = [e for e in edits if e.kind in SETTING_KINDS]
        transforms = [e for e in edits if e.kind == TRANSFORM_KIND]
        if text_edits:
            from ganlint.fix.edits.code import apply_text_edits

            text = self._text(path)
            if text != self.base[path]:  # the edits' lines are the planned text's: where they are now
                text_edits = moved(text_edits, self.base[path], text)
            self.texts[path] = apply_text_edits(path, text, text_edits)
        if setting_edits:
            doc = self._doc(path, setting_edits)
            for e in setting_edits:
                apply_setting(doc, e, path)
        if transforms:
            from ganlint.fix.edits.code import apply_transforms

            self.texts[path] = apply_transforms(path, self._text(path), transforms)

    def _text(self, path: str) -> str:
        doc = self.docs.pop(path, None)
        if doc is not None:
            self.texts[path] = doc.dump()
        return self.texts[path]

    def _doc(self, path: str, edits: list[Edit]) -> ConfigDoc:
        from ganlint.fix.edits import load_doc

        doc = self.docs.get(path)
        if doc is not None and doc.needs_reload(edits):
            self._text(path)  # the edits name keys this doc placed itself: read them from its own output
            doc = None
        if doc is None:
            text = self.texts[path]
            known = self.unloadable.get((path, text))
            if known is not None:
                raise EditError(known.message, known.file, known.line)
            self.loads += 1
            try:
                doc = self.docs[path] = load_doc(path, text)
            except EditError as exc:
                self.unloadable[(path, text)] = exc
                raise
        return doc

    def _replay(self, path: str) -> None:
        self.docs.pop(path, None)
        self.texts[path] = self.base[path]
        for file_edits in self.log.get(path, []):
            self._apply_file(path, file_edits)


def moved(edits: list[Edit], planned: str, now: str) -> list[Edit]:
    """`edits` (located in the `planned` text) moved to where their line now is, after earlier fixes inserted
    or removed lines: the nearest line of the current text that is the edit's planned line, character for
    character. Relocating by the edit's own text (`D(fake)`) picked the nearest copy of that fragment, and in
    a script pasted many times, once the shift exceeded the gap, that was the generator step's `D(fake)`
    instead of the discriminator step's (fuzz input 3500): detaching it there stops the generator learning.
    An edit whose line is gone is left where it was (the engine then looks for its text)."""
    from bisect import bisect_left
    from dataclasses import replace

    old, new = planned.splitlines(), now.splitlines()
    where: dict[str, list[int]] = {}
    for i, line in enumerate(new):
        where.setdefault(line, []).append(i)
    out = []
    for e in edits:
        loc = e.location
        if loc is None or not 0 < loc.line <= len(old):
            out.append(e)
            continue
        at = where.get(old[loc.line - 1])
        if not at or (loc.line <= len(new) and new[loc.line - 1] == old[loc.line - 1]):
            out.append(e)
            continue
        k = bisect_left(at, loc.line - 1)
        line = min(at[max(0, k - 1):k + 1], key=lambda i: (abs(i - (loc.line - 1)), i)) + 1
        shift = line - loc.line
        out.append(replace(e, location=replace(loc, line=line, end_line=None if loc.end_line is None else loc.end_line + shift)))
    return out
