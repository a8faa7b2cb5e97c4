"""absl / gflags flagfiles (`--flagfile=train.flags`): one flag per line, as on a command line.

    # WGAN-GP on CIFAR
    --lr=1e-4
    --batch_size 64
    --gp_weight=10.0
    --nouse_ema            (a boolean set to False)
    --train                (a boolean set to True)
    --flagfile=common.flags (nested: read when it is checked too, not followed here)

Values are read as the command line would give them: numbers become numbers, `[256, 256]` a list,
anything else a string. Comments start with `#` or `//`. A file is a flagfile when its first
non-comment lines are flags (`looks_like_flagfile`), so an INI `setup.cfg` is not mistaken for one.
"""
from __future__ import annotations

import re

from ganlint.core.errors import InputError
from ganlint.core.types import Setting
from ganlint.reading.config.values import coerce_string, finish, make_setting
from ganlint.reading.vocabulary import classify

FLAGFILE_SUFFIXES = (".flags", ".flagfile", ".cfg", ".txt")
_STRICT_FLAG = re.compile(r"--[A-Za-z_][\w.\-]*(=.*)?")  # `--name=value` / `--name`: what a `.txt` must hold
_FLAG = re.compile(r"(-{1,2})([A-Za-z_][\w.\-]*)(?:(\s*=\s*|\s+)(.*?))?\s*$")
_SKIP_FLAGS = {"flagfile", "helpfull", "help", "helpshort"}


def _code(line: str) -> str:
    """The line without its comment (a `#` or `//` outside quotes, at the start or after a space)."""
    s = line.strip()
    if s.startswith(("#", "//")):
        return ""
    m = re.search(r"\s(#|//)", s)
    if m and s[: m.start()].count('"') % 2 == 0 and s[: m.start()].count("'") % 2 == 0:
        s = s[: m.start()].rstrip()
    return s


def looks_like_flagfile(text: str, strict: bool = False) -> bool:
    """Every code line of the first 50 starts with `--` (at least one). `strict` (a `.txt`, which is
    usually something else: requirements, notes): every code line is `--name=value` or `--name`."""
    seen = 0
    for line in text.splitlines() if strict else text.splitlines()[:200]:
        code = _code(line)
        if not code:
            continue
        if strict:
            if not _STRICT_FLAG.fullmatch(code):
                return False
            seen += 1
            continue
        if not code.startswith("--"):
            return False
        seen += 1
        if seen >= 50:
            break
    return seen > 0


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def is_flagfile_path(path: str, peek: int = 4096) -> bool:
    """A `.flags` file, or a `.cfg` / `.flagfile` whose first lines are flags (peeks at the file's start)."""
    low = path.lower()
    if not low.endswith(FLAGFILE_SUFFIXES):
        return False
    if low.endswith(".flags"):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(peek).decode("utf-8", "replace")
    except OSError:
        return False
    if low.endswith(".txt"):  # the peek may end mid-line: judge its complete lines
        head = head if len(head) < peek else head.rsplit("\n", 1)[0]
        return looks_like_flagfile(head, strict=True)
    return looks_like_flagfile(head)


def read_flagfile(path: str, text: str) -> list[Setting]:
    out: list[Setting] = []
    for i, line in enumerate(text.splitlines(), 1):
        code = _code(line)
        if not code:
            continue
        m = _FLAG.fullmatch(code)
        if m is None:
            raise InputError(f"not a flag: {code[:60]!r} (a flagfile line is --name=value)", path, i)
        name, value_text = m.group(2), m.group(4)
        if name in _SKIP_FLAGS:
            continue
        key = name.replace("-", "_")
        col = line.index(code) + 1
        if value_text is None or value_text == "":
            if key.startswith("no") and len(key) > 2 and classify([key])[0] is None:
                value, key = False, key[2:]  # --nouse_ema; but --normalize is normalize=True
            else:
                value = True
            out.append(make_setting([key], value, path, i, col, style="flagfile", raw=None))
            continue
        raw = value_text
        start = line.index(raw, col - 1 + len(m.group(1)) + len(name)) + 1
        if raw.lower() in ("true", "false"):
            value, vstyle = raw.lower() == "true", None
        else:
            value, vstyle = coerce_string(_unquote(raw))
        out.append(make_setting([key], value, path, i, start, i, start + len(raw), style="flagfile", raw=raw,
                                value_style=vstyle))
    return finish(out)
