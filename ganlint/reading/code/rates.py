"""The learning rate an optimizer trains at, when the code says it as one value: a literal, torch's default for
the class, or a setting of one value (a key that several config variants chosen at run time hold is unknown)."""
from __future__ import annotations

from typing import Any

from ganlint.reading.code.links import numeric


def optimizer_rate(facts, opt: Any) -> float | None:
    arg = opt.kwargs.get("lr")
    if arg is None:
        return opt.default_lr
    if arg.has_literal:
        return float(arg.literal) if numeric(arg.literal) else None
    if arg.ref is None:
        return None
    key = arg.ref.key
    hits = [s for s in facts.settings if s.key == key] or [s for s in facts.settings if s.leaf == key]
    values = {float(s.value) if numeric(s.value) else None for s in hits}
    return values.pop() if len(values) == 1 else None


def critic_and_generator_rates(facts, file: str) -> tuple[float, float] | None:
    """(critic lr, generator lr) of the file's optimizers (the project's when the file builds none), when each
    role trains at one known rate; None otherwise."""
    opts = [o for o in facts.code.optimizers if o.location.file == file] or list(facts.code.optimizers)
    rates = []
    for role in ("critic", "generator"):
        values = {optimizer_rate(facts, o) for o in opts if o.role == role}
        if len(values) != 1 or None in values:
            return None
        rates.append(values.pop())
    return rates[0], rates[1]
