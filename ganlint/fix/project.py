"""The project as a rule's fix sees it: the files' texts, the check's facts, and helpers that build Edits.

A rule's `fixes(project, findings, opts)` (ganlint.checking.rule) reads the facts its check used and returns
complete Fixes; these helpers only spare it the boilerplate:

    project.find("learning_rate", ("generator", "critic"))   -> [Knob]   the settings, as the vocabulary names them
    set_edit(knob, 1e-4)                                      -> Edit      set that setting
    project.transform_edits("hidden-sigmoid", classes=[...])  -> [Edit]    a LibCST transform, per file it changes

Nothing here knows a rule code or a threshold: those belong to the rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ganlint.core.errors import GanlintError
from ganlint.core.types import Edit, Fix, Setting
from ganlint.reading.facts import ProjectFacts

TRANSFORM_KIND = "transform-code"


@dataclass
class Knob:
    """A setting as a fix uses it: the reading layer's Setting, flattened (file, key, value)."""

    key: str
    file: str
    value: Any
    canonical: str | None
    role: str | None
    line: int

    @classmethod
    def of(cls, s: Setting) -> "Knob":
        return cls(s.key, s.location.file, s.value, s.canonical, s.role, s.location.line)


def facts_from_texts(files: list[str], texts: dict[str, str]) -> ProjectFacts:
    """ProjectFacts of in-memory texts (a candidate project in `fix --verify`, a file after a transform);
    an unparsable text is skipped, as check skips an unreadable file."""
    from ganlint.reading.project import read_files

    return read_files(files, texts).facts


class Project:
    """The files, their texts and the reading layer's facts about them (settings, code, families).

    make_plan passes the facts of its own check run; without them (verify's candidate texts) they are read
    from `texts`. `family` is the family the plan fixes for (`--family`, else the first one present)."""

    def __init__(self, files: list[str], texts: dict[str, str], facts: ProjectFacts | None = None,
                 family: str | None = None):
        self.files = files
        self.texts = texts
        self.facts = facts if facts is not None else facts_from_texts(files, texts)
        self.settings: list[Knob] = [Knob.of(s) for s in self.facts.settings if s.location.file in texts]
        self.family = family

    @property
    def code_files(self) -> list[str]:
        return [f for f in self.files if f.endswith(".py") and _looks_like_code(self.texts[f])]

    @property
    def config_files(self) -> list[str]:
        return [f for f in self.files if not f.endswith(".py") or not _looks_like_code(self.texts[f])]

    def code(self) -> str:
        return "\n".join(self.texts[f] for f in self.code_files)

    def find(self, canonical: str, role: str | None | tuple = "any") -> list[Knob]:
        out = [s for s in self.settings if s.canonical == canonical]
        if role != "any":
            roles = role if isinstance(role, tuple) else (role,)
            out = [s for s in out if s.role in roles]
        return out

    def knob(self, setting: Setting) -> Knob:
        return Knob.of(setting)

    def families(self) -> set[str]:
        return self.facts.families()

    def anchor(self, file: str, *canonicals: str) -> str | None:
        """A key in `file` to add a new setting next to (the first of canonicals present, else the last key)."""
        for c in canonicals:
            for s in self.settings:
                if s.file == file and s.canonical == c:
                    return s.key
        keys = [s.key for s in sorted((s for s in self.settings if s.file == file), key=lambda s: s.line)]
        return keys[-1] if keys else None

    def main_config(self, near: str | None = None) -> str | None:
        if near:
            hits = [s.file for s in self.settings if s.canonical == near]
            if hits:
                return hits[0]
        cfgs = [f for f in self.config_files if any(s.file == f for s in self.settings)]
        return cfgs[0] if cfgs else None

    def key_is_read(self, key: str) -> bool:
        """Whether the code reads `key`: the code facts' config reads, or (kept on purpose) any quoted or
        attribute mention of its last part in the code text. Removing a key is only safe when nothing
        mentions it; the facts record the config containers the reader recognises, not `getattr(args, name)`
        or a key passed on by name, so the text search stays as the conservative half."""
        from ganlint.reading.code.links import used_keys

        leaf = key.rsplit(".", 1)[-1]
        if key in used_keys(self.facts) or leaf in used_keys(self.facts):
            return True
        return bool(re.search(r"[\"'.]" + re.escape(leaf) + r"\b", self.code()))

    def transform_edits(self, name: str, files: list[str] | None = None, why: list[str] | None = None,
                        **params) -> list[Edit]:
        """One `transform-code` edit per code file the transform changes (none where it changes nothing:
        a fix never writes a no-op edit). A file the transform cannot handle is skipped, its reason added
        to `why`."""
        from ganlint.fix.edits.code import apply_transforms

        edits = []
        for f in files if files is not None else self.code_files:
            if f not in self.texts:
                continue
            e = transform_edit(f, name, **params)
            try:
                if apply_transforms(f, self.texts[f], [e]) != self.texts[f]:
                    edits.append(e)
            except GanlintError as exc:
                if why is not None:
                    why.append(exc.message if hasattr(exc, "message") else str(exc))
                continue
        return edits


    def optimizer_lr_args(self, roles: tuple | None = None) -> list:
        """(optimizer, lr Arg) of the optimizers in the code (of `roles`, when given; None = role-less)."""
        out = []
        for o in getattr(self.facts.code, "optimizers", None) or []:
            role = o.role or self.facts.code.role_of_var(o.network_var)
            if roles is not None and role not in roles:
                continue
            arg = (o.kwargs or {}).get("lr")
            if arg is not None:
                out.append((o, arg))
        return out

    def lr_is_read(self, knob: Knob, roles: tuple | None = None) -> bool:
        """Whether an optimizer can read this learning-rate setting. False when the code's optimizers (of
        `roles`) all pass a literal (`Adam(..., lr=1e-3)`) or name another value: an edit of the setting
        would change nothing the training uses. True when the code builds no optimizer the files show."""
        args = self.optimizer_lr_args(roles)
        if not args:
            return True
        leaf = knob.key.rsplit(".", 1)[-1]
        for _o, arg in args:
            if arg.has_literal:
                continue
            if arg.ref is not None and arg.ref.key.rsplit(".", 1)[-1] == leaf:
                return True
            if re.search(r"(?<![\w.])" + re.escape(leaf) + r"\b|[\"'.]" + re.escape(leaf) + r"\b", arg.src):
                return True
        return False

    def lr_fixes(self, rule, findings: list, opts: dict[str, Any]) -> list[Fix]:
        """A learning-rate range rule's fixes (ganlint.checking.declarative.SettingRangeRule), each edit where
        an optimizer reads the rate: a setting no optimizer reads is not edited; then the optimizer calls'
        own literal `lr=` is, where the rule's range (its `direction`, `proposal`, options) rejects it."""
        roles = getattr(rule, "roles", None)
        out: list[Fix] = []
        unread: list[Knob] = []
        literal_sites = {e.location for f in findings if f.fix for e in f.fix.edits if e.kind == "replace-code"}
        for f in findings:
            if f.fix is None:
                continue
            kept = []
            for e in f.fix.edits:
                knob = next((k for k in self.settings if k.file == e.file and k.key == e.target), None)
                if e.kind == "set-setting" and knob is not None and not self.lr_is_read(knob, roles):
                    unread.append(knob)
                    continue
                kept.append(e)
            if kept:
                out.append(f.fix if kept == f.fix.edits else Fix(f.fix.message, kept, f.fix.safe, f.fix.stage))
        if not unread:
            return out
        names = ", ".join(k.key for k in unread)
        for o, arg in self.optimizer_lr_args(roles):
            value = number(arg.literal) if arg.has_literal else None
            if value is None or arg.location in literal_sites:
                continue
            direction = rule.direction(value, opts)
            if direction is None:
                continue
            site = Setting(key=f"{o.var or o.cls}.lr", value=arg.literal, location=arg.location, style="code",
                           canonical="learning_rate", role=o.role, raw=arg.src)
            new = rule.proposal(site, direction, opts)
            if new is None:
                continue
            out.append(Fix(f"set the lr {o.cls}() is given to {new:g} (it does not read {names})",
                           [Edit("replace-code", arg.location.file, target=site.key, old=arg.src, new=f"{new:g}",
                                 location=arg.location)], stage=rule.fix_stage))
        if not out:
            out.append(refused(f"set {names}", "no optimizer in the code reads it; change the rate the optimizer is given"))
        return out

    def facts_after(self, new_texts: dict[str, str]) -> ProjectFacts:
        """The facts of the project with some files' texts replaced (what a rule's check would see)."""
        return facts_from_texts(self.files, {**self.texts, **new_texts})

    def transform_or_edits(self, rule, findings: list, opts: dict[str, Any], name: str, confine: bool = True,
                           **params) -> list[Edit]:
        """A rule's choice between its findings' own code edits and a LibCST transform, file by file: the
        transform where it changes the file and leaves the rule's own check nothing to report there (it
        covers every finding, and more of the statement than a textual edit can, e.g. a clamp statement
        before every use), else the findings' edits. Setting edits of the findings are always kept.
        `confine`: the transform may only change the top-level classes and functions that hold a finding
        (a fix changes only what its finding names); off for a rewrite whose consequences are part of the fix
        (the logits rewrite of every log D(x))."""
        from ganlint.fix.edits.code import apply_transforms

        own: dict[str, list[Edit]] = {}
        for f in findings:
            for e in (f.fix.edits if f.fix else []):
                own.setdefault(e.file, []).append(e)
        out: list[Edit] = []
        files = sorted({*own, *self.code_files})
        for file in files:
            code_edits = [e for e in own.get(file, []) if e.kind in ("replace-code", "insert-code")]
            other = [e for e in own.get(file, []) if e not in code_edits]
            out.extend(other)
            if file not in self.code_files or not (code_edits or file in {f.location.file for f in findings}):
                out.extend(code_edits)
                continue
            e = transform_edit(file, name, **params)
            try:
                new = apply_transforms(file, self.texts[file], [e])
            except GanlintError:
                new = self.texts[file]
            if code_edits and _leaves_nothing(file, self.texts[file], code_edits, e):
                out.extend(code_edits)  # the findings' edits already do all the transform would
                continue
            where = {f.location.line for f in findings if f.location.file == file} | \
                {e.location.line for e in code_edits if e.location is not None}
            covered = new != self.texts[file] and (not confine or _changes_within(self.texts[file], new, where)) \
                and not any(f.location.file == file for f in rule.check(self.facts_after({file: new}), opts))
            out.extend([e] if covered else code_edits)
        return out


def _changes_within(old: str, new: str, lines: set[int]) -> bool:
    """Whether every line `new` changes lies in a top-level statement (class, def, ...) holding one of `lines`."""
    import ast
    import difflib

    try:
        spans = [(n.lineno, n.end_lineno or n.lineno) for n in ast.parse(old).body]
    except (SyntaxError, ValueError):
        return False

    def span(line: int):
        return next((s for s in spans if s[0] <= line <= s[1]), None)

    allowed = {span(n) for n in lines} - {None}
    a, b = old.splitlines(), new.splitlines()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        touched = range(i1 + 1, i2 + 1) if i2 > i1 else [max(i1, 1)]  # an insertion: after line i1
        if any(span(n) not in allowed for n in touched):
            return False
    return True


def _leaves_nothing(file: str, text: str, edits: list[Edit], transform: Edit) -> bool:
    """Whether the transform, run after `edits`, changes nothing more."""
    from ganlint.fix.edits.code import apply_text_edits, apply_transforms

    try:
        after = apply_text_edits(file, text, edits)
    except GanlintError:
        return False
    try:
        return apply_transforms(file, after, [transform]) == after
    except GanlintError:
        return True


def _looks_like_code(text: str) -> bool:
    return bool(re.search(r"^\s*(class|def)\s", text, re.M))


def number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def widths(v: Any) -> list[int] | None:
    from ganlint.fix.edits.values import parse_string_list

    if isinstance(v, str):
        v = parse_string_list(v)
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, int) for x in v):
        return list(v)
    return None


def set_edit(k: Knob, new: Any) -> Edit:
    return Edit("set-setting", k.file, target=k.key, old=k.value, new=new)


def transform_edit(file: str, name: str, **params) -> Edit:
    return Edit(TRANSFORM_KIND, file, target=name, new=params)


def refused(message: str, reason: str) -> Fix:
    """A fix the rule will not write, and why: shown as manual, never applied (display-only)."""
    return Fix(f"{message}: not applied automatically: {reason}", [], display_only=True)


__all__ = ["refused", "Project", "Knob", "facts_from_texts", "number", "widths", "set_edit", "transform_edit"]
