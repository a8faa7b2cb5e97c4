"""The edit engine: Edits (fixes as data) applied to the user's files, each file kept as the user wrote it.

    new_texts = apply_edits({path: text}, edits)   # only changed files are returned; raises EditError
    new_texts, applied, failed = apply_fixes(texts, [edits_of_fix1, edits_of_fix2, ...])  # a plan: one parse per file

Config files: YAML (ruamel.yaml round-trip), TOML (tomlkit), JSON (textual: only the value token changes),
Python settings (LibCST). Code: the rules' textual edits, then the planner's LibCST transforms.
"""
from __future__ import annotations

import os
from typing import Iterable

from ganlint.core.types import Edit
from ganlint.fix.edits.base import ConfigDoc, EditError, Entry

SETTING_KINDS = ("set-setting", "remove-setting", "rename-setting", "add-setting")
TEXT_KINDS = ("replace-code", "insert-code")
TRANSFORM_KIND = "transform-code"

__all__ = ["apply_edits", "apply_fixes", "load_doc", "too_deep", "EditError", "Entry", "ConfigDoc", "SETTING_KINDS", "TEXT_KINDS", "TRANSFORM_KIND"]


def load_doc(path: str, text: str) -> ConfigDoc:
    ext = os.path.splitext(path)[1].lower()
    if ext in (".yaml", ".yml"):
        from ganlint.fix.edits.yaml_doc import YamlDoc

        return YamlDoc(path, text)
    if ext == ".toml":
        from ganlint.fix.edits.toml_doc import TomlDoc

        return TomlDoc(path, text)
    if ext == ".json":
        from ganlint.fix.edits.json_doc import JsonDoc

        return JsonDoc(path, text)
    if ext == ".py":
        from ganlint.fix.edits.py_doc import PyDoc

        return PyDoc(path, text)
    raise EditError("no editor for this kind of file", path)


def _apply_setting(doc: ConfigDoc, e: Edit) -> bool:
    if e.kind == "set-setting":
        return doc.set(e.target, e.new)
    if e.kind == "remove-setting":
        return doc.remove(e.target)
    if e.kind == "rename-setting":
        return doc.rename(e.target, e.new)
    if e.kind == "add-setting":
        near = e.old if isinstance(e.old, str) else None  # add-setting: `old` may name the key to add it after
        return doc.add(e.target, e.new, near=near)
    raise EditError(f"unknown edit kind {e.kind!r}", e.file)


MAX_VALUE_CHARS = 10_000  # the longest value a setting edit writes (as Python writes it)


def _value_budget(e: Edit) -> None:
    """EditError for a new value too long to write: a fix's list as wide as a fuzzed 50,000-entry one (fuzz
    input 7050) took ruamel.yaml 30 s to load and dump; no setting a fix proposes is that long."""
    if e.kind not in ("set-setting", "add-setting") or isinstance(e.new, (bool, float, type(None))):
        return
    try:
        size = len(repr(e.new))
    except ValueError:  # an int past Python's 4300-digit str() limit
        size = MAX_VALUE_CHARS + 1
    if size > MAX_VALUE_CHARS:
        raise EditError(f"the new value of {e.target} is {size:,} characters long: too long to write as a fix "
                        f"(at most {MAX_VALUE_CHARS:,}); set it by hand")


def apply_setting(doc: ConfigDoc, e: Edit, path: str) -> bool:
    """One setting edit on a loaded document; its error names the file and the edit's line."""
    try:
        _value_budget(e)
        return _apply_setting(doc, e)
    except EditError as exc:
        exc.file = exc.file or path
        if exc.line is None and e.location is not None:
            exc.line = e.location.line
        raise


def too_deep(path: str, text: str) -> EditError:
    """The error for a file the editors' recursive walks cannot follow (LibCST, ruamel.yaml, tomlkit)."""
    from ganlint.core.errors import nesting_line

    return EditError("too deeply nested to edit (past Python's recursion limit)", path, nesting_line(text))


def apply_file(path: str, text: str, edits: Iterable[Edit]) -> str:
    try:
        return _apply_file(path, text, list(edits))
    except RecursionError:
        raise too_deep(path, text) from None


def _apply_file(path: str, text: str, edits: list[Edit]) -> str:
    text_edits = [e for e in edits if e.kind in TEXT_KINDS]
    setting_edits = [e for e in edits if e.kind in SETTING_KINDS]
    transforms = [e for e in edits if e.kind == TRANSFORM_KIND]
    unknown = [e for e in edits if e.kind not in (*TEXT_KINDS, *SETTING_KINDS, TRANSFORM_KIND)]
    if unknown:
        raise EditError(f"unknown edit kind {unknown[0].kind!r}", path)
    if text_edits:
        from ganlint.fix.edits.code import apply_text_edits

        text = apply_text_edits(path, text, text_edits)
    if setting_edits:
        doc = load_doc(path, text)
        for e in setting_edits:
            apply_setting(doc, e, path)
        text = doc.dump()
    if transforms:
        from ganlint.fix.edits.code import apply_transforms

        text = apply_transforms(path, text, transforms)
    return text


def apply_edits(texts: dict[str, str], edits: Iterable[Edit]) -> dict[str, str]:
    """New text of every file the edits change (nothing written). Raises EditError on the first failure."""
    by_file: dict[str, list[Edit]] = {}
    for e in edits:
        by_file.setdefault(e.file, []).append(e)
    out: dict[str, str] = {}
    for path, file_edits in by_file.items():
        if path not in texts:
            raise EditError("edit for a file that was not read", path)
        new = apply_file(path, texts[path], file_edits)
        if new != texts[path]:
            out[path] = new
    return out


def apply_fixes(texts: dict[str, str], fixes: list[list[Edit]]) -> tuple[dict[str, str], list[int], list[tuple[int, str]]]:
    """Several fixes in turn, each applied whole or not at all, every file parsed once (batch.EditBatch):
    (the changed files' new texts, the indexes of the fixes applied, (index, why) of those that could not)."""
    from ganlint.fix.edits.batch import EditBatch

    batch = EditBatch(texts)
    applied: list[int] = []
    failed: list[tuple[int, str]] = []
    for i, edits in enumerate(fixes):
        try:
            batch.apply(list(edits))
        except EditError as exc:
            failed.append((i, str(exc)))
            continue
        applied.append(i)
    return batch.changed(), applied, failed
