"""Rendering a new value in the style of the one it replaces (1e-3 -> 1e-4, 0.001 -> 0.0001, "[32,128]" -> "[256,256]")."""
from __future__ import annotations

import math
import re
from typing import Any

_SCI = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _is_sci(raw: str | None) -> bool:
    return bool(raw and _SCI.match(raw.strip().strip("\"'")))


def _looks_float(raw: str | None) -> bool:
    if raw is None:
        return False
    r = raw.strip()
    return "." in r or "e" in r.lower()


def render_sci(value: float) -> str:
    """5e-05 -> '5e-5', 0.0003 -> '3e-4', 1.5e-4 -> '1.5e-4'."""
    if value == 0:
        return "0.0"
    mantissa, exp = f"{value:.12e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exp)}"


def render_decimal(value: float) -> str:
    if value == 0:
        return "0.0"
    if abs(value) >= 1e16 or abs(value) < 1e-12:
        return repr(float(value))
    text = f"{value:.15f}".rstrip("0")
    if text.endswith("."):
        text += "0"
    # drop float noise like 0.30000000000000004
    short = repr(float(value))
    if "e" not in short and len(short) < len(text):
        text = short
    return text


def render_number(value: Any, like: str | None = None) -> str:
    """The text of a number, in the style of `like` (the source text it replaces)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if like is not None and _looks_float(like) and not _is_sci(like):
            return f"{value}.0"
        if _is_sci(like):
            return render_sci(float(value))
        return str(value)
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return repr(value)
    if _is_sci(like):
        return render_sci(value)
    if like is not None and not _looks_float(like) and value.is_integer():
        return str(int(value))
    if like is None and value != 0 and (abs(value) < 1e-3):
        return render_sci(value)
    return render_decimal(value)


def render_list(values: list, like: str | None = None) -> str:
    """A list in the spacing of `like`: '[32,128]' -> '[256,256]', '[32, 128]' -> '[256, 256]'."""
    sep = ", " if like is None or ", " in like else ","
    inner_like = None
    return "[" + sep.join(render_scalar(v, inner_like) for v in values) + "]"


def render_scalar(value: Any, like: str | None = None) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return render_number(value, like)
    if isinstance(value, (list, tuple)):
        return render_list(list(value), like)
    return repr(value) if not isinstance(value, str) else value


def is_string_list(text: Any) -> bool:
    return isinstance(text, str) and text.strip().startswith("[") and text.strip().endswith("]")


def parse_string_list(text: str) -> list | None:
    import ast

    try:
        val = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return None
    return list(val) if isinstance(val, (list, tuple)) else None


def coerce_like(new: Any, old: Any) -> Any:
    """Keep the value's style: a list replacing a string-list becomes a string-list in the same spacing."""
    if isinstance(new, (list, tuple)) and is_string_list(old):
        return render_list(list(new), old)
    return new
