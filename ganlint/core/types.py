"""The one vocabulary shared by check, probe and fix (see README: Architecture).

Plain dataclasses, no torch: importing this must stay cheap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        return cls[text.strip().upper()]

    def __str__(self) -> str:
        return self.name.lower()


# Roles a network (or a setting) can have. None = not said by the name.
ROLES = ("generator", "critic", "encoder", "decoder", "vae", "energy")
# Families of models; a project may contain several.
FAMILIES = ("wgan-gp", "wgan", "gan", "vae", "energy")


@dataclass(frozen=True, order=True)
class Location:
    file: str  # as given on the command line (relative paths stay relative)
    line: int  # 1-based
    column: int = 1  # 1-based
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        from ganlint.core.display import shown

        return f"{shown(self.file)}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line if self.end_line is not None else self.line,
            "end_column": self.end_column,
        }


@dataclass
class Setting:
    """One configuration value, wherever and however it was written."""

    key: str  # as written, dotted for nested trees: "model.gen.lr", "vae_lr", "LAMBDA"
    value: Any  # parsed: numbers are numbers, string-lists "[256,256]" become lists
    location: Location  # the line the user must change
    style: str  # yaml | json | toml | py-dict | py-attr | py-const | argparse | dataclass | hydra
    canonical: str | None = None  # vocabulary name: learning_rate, batch_size, ... (None = unknown key)
    role: str | None = None  # generator | critic | encoder | decoder | vae | energy | None
    raw: str | None = None  # the value's source text, e.g. '"[256,256]"' (kept for round-trip fixes)
    value_style: str | None = None  # "string-list" when a list was written as a string

    @property
    def leaf(self) -> str:
        return self.key.rsplit(".", 1)[-1]


@dataclass
class Edit:
    """A fix as data: what to change, where. Applied by ganlint.fix, never by rules.

    kind:
      - "set-setting": change a Setting's value (target = setting key, new = value)
      - "remove-setting": drop a key (target = setting key)
      - "rename-setting": rename a key (target = old key, new = new key)
      - "add-setting": add a key next to the others in `file` (target = key, new = value)
      - "replace-code": replace the source text between location..end with `new`
      - "insert-code": insert `new` as a statement after location.line (same indentation)
    """

    kind: str
    file: str
    target: str | None = None
    old: Any = None
    new: Any = None
    location: Location | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "target": self.target,
            "old": _jsonable(self.old),
            "new": _jsonable(self.new),
            "location": self.location.to_dict() if self.location else None,
        }


@dataclass
class Fix:
    """What a rule proposes: a message, a safety class, and edits (possibly none when not automatable)."""

    message: str
    edits: list[Edit] = field(default_factory=list)
    safe: bool = True  # unsafe = changes behaviour beyond the rule's intent; needs --unsafe-fixes
    stage: int | None = None  # staged-fix table of RULES.md; None = outside the staged plan
    display_only: bool = False  # shown (message, edits) but never applied: the user must decide

    @property
    def safety(self) -> str:
        """The three levels: "safe" (applied by `fix`), "unsafe" (needs --unsafe-fixes), "display-only"
        (never applied: a fix without edits, or one a person must check)."""
        if self.display_only or not self.edits:
            return "display-only"
        return "safe" if self.safe else "unsafe"

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "safe": self.safe,
            "safety": self.safety,
            "stage": self.stage,
            "edits": [e.to_dict() for e in self.edits],
        }


@dataclass
class Finding:
    code: str
    slug: str
    severity: Severity
    message: str
    location: Location
    related: list[Location] = field(default_factory=list)
    fix: Fix | None = None
    evidence: dict[str, Any] = field(default_factory=dict)  # runtime numbers, or the static facts used
    family: str | None = None

    def sort_key(self) -> tuple:
        return (self.location.file, self.location.line, self.location.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "slug": self.slug,
            "severity": str(self.severity),
            "message": self.message,
            **self.location.to_dict(),
            "related": [r.to_dict() for r in self.related],
            "fix": self.fix.to_dict() if self.fix else None,
            "evidence": _jsonable(self.evidence),
            "family": self.family,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return repr(value)
