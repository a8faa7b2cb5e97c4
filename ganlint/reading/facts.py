"""ProjectFacts: everything `check` knows about the user's files, gathered without running them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ganlint.core.types import Setting
from ganlint.reading.code.facts import CodeFacts


@dataclass
class ProjectFacts:
    settings: list[Setting] = field(default_factory=list)
    code: CodeFacts = field(default_factory=CodeFacts)
    files: list[str] = field(default_factory=list)  # every file read, in order
    texts: dict[str, str] = field(default_factory=dict)  # file -> source text (for suppressions, fixes)

    # -- settings -------------------------------------------------------------------------
    def settings_for(self, canonical: str, role: str | None = "any") -> list[Setting]:
        """Settings whose vocabulary name is `canonical`.

        role="any": all of them; role=None: only role-less ones; role="critic": only the critic's.
        """
        out = [s for s in self.settings if s.canonical == canonical]
        if role != "any":
            out = [s for s in out if s.role == role]
        return out

    def setting(self, canonical: str, role: str | None = "any") -> Setting | None:
        """The last-written setting of that name (later files/lines override earlier ones)."""
        found = self.settings_for(canonical, role)
        return found[-1] if found else None

    def value(self, canonical: str, role: str | None = "any", default: Any = None) -> Any:
        s = self.setting(canonical, role)
        return default if s is None else s.value

    def setting_by_key(self, key: str) -> Setting | None:
        """A setting by the user's own key (full dotted key or its last part)."""
        hits = [s for s in self.settings if s.key == key] or [s for s in self.settings if s.leaf == key]
        return hits[-1] if hits else None

    # -- families -------------------------------------------------------------------------
    def families(self) -> set[str]:
        """Model families present: from the code (losses, penalties, classes) and the settings."""
        fams = set(self.code.families())
        canon = {s.canonical for s in self.settings if s.canonical}
        if "gp_weight" in canon:
            fams.add("wgan-gp")
        if "kl_weight" in canon and not fams & {"gan", "wgan", "wgan-gp"}:
            fams.add("vae")
        if "temperature" in canon and "energy" in {s.role for s in self.settings} | fams:
            fams.add("energy")
        if {"n_critic"} & canon and not fams & {"wgan", "wgan-gp"}:
            # n_critic alone says "some WGAN"; the clip value or penalty says which.
            fams.add("wgan-gp" if "gp_weight" in canon else ("wgan" if "clip_value" in canon else "wgan-gp"))
        return fams

    def is_family(self, *names: Iterable[str]) -> bool:
        return bool(self.families() & set(names))
