"""CodeFacts: what the model/training code says, read from its syntax tree (never executed).

PLACEHOLDER SHAPE: the code-reading work fills this in (networks, optimizers, losses, penalties, ...).
Rules read these fields; keep them plain data.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CodeFacts:
    def families(self) -> set[str]:
        return set()

    def merge(self, other: "CodeFacts") -> None:
        pass
