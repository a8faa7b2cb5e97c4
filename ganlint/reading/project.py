"""Reads the user's files into ProjectFacts. Parses, never imports or executes."""
from __future__ import annotations

import ast
import contextlib
import gc
import os
from dataclasses import dataclass, field

from ganlint.core.errors import GanlintError, InputError
from ganlint.reading.facts import ProjectFacts

CONFIG_SUFFIXES = {".yaml", ".yml", ".json", ".toml"}
PY_SUFFIXES = {".py"}
MAX_BYTES = 5 * 1024 * 1024  # larger files are refused: no real model or config is that big


@dataclass
class ReadResult:
    facts: ProjectFacts
    errors: list[GanlintError] = field(default_factory=list)


def read_text(path: str) -> str:
    """The file's text, or InputError with a clear reason (missing, binary, not UTF-8, huge, empty is ok)."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if size > MAX_BYTES:
        raise InputError(f"file is {size / 1e6:.1f} MB, over the {MAX_BYTES // 2**20} MiB limit", path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if b"\x00" in data[:8192]:
        raise InputError("binary file (contains NUL bytes)", path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", path, line) from None
    return text


def parse_python(path: str, text: str) -> ast.Module:
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise InputError(f"syntax error: {exc.msg}", path, exc.lineno) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise InputError(f"cannot parse: {exc.__class__.__name__}", path) from None


def read_files(files: list[str], texts: dict[str, str] | None = None) -> ReadResult:
    """Read every file; an unreadable one becomes an error and the others are still read.

    `texts` gives in-memory contents for some files (a candidate project of `fix --verify`): those are
    not read from disk."""
    from ganlint.reading.code import read_code
    from ganlint.reading.config import read_config_file, read_python_settings

    facts = ProjectFacts()
    errors: list[GanlintError] = []
    with _collector_paused():
        _read_all(files, texts, facts, errors, read_code, read_config_file, read_python_settings)
    # ganlint's own configuration is not a training setting ([tool.ganlint.rules.GL104] max_lr = 3e-4)
    facts.settings = [s for s in facts.settings if not is_own_config(s)]
    return ReadResult(facts, errors)


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector off while files are read. A syntax tree is hundreds of thousands of
    acyclic objects; every full collection during the parse and the walks traverses all of them, which made
    a 2 MB file's ast.parse 2.5x slower per KB than a 128 KB file's. Reading makes no cycles worth
    collecting early; the collector runs again (as it was) right after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_all(files, texts, facts, errors, read_code, read_config_file, read_python_settings) -> None:
    for path in files:
        try:
            text = texts[path] if texts is not None and path in texts else read_text(path)
            suffix = os.path.splitext(path)[1].lower()
            if suffix in PY_SUFFIXES:
                tree = parse_python(path, text)
                facts.settings.extend(read_python_settings(path, tree, text))
                facts.code.merge(read_code(path, tree, text))
            elif suffix in CONFIG_SUFFIXES:
                facts.settings.extend(read_config_file(path, text))
            else:
                continue
        except GanlintError as exc:
            errors.append(exc)
            continue
        except RecursionError:
            errors.append(InputError("too deeply nested to analyse", path))
            continue
        except Exception as exc:  # noqa: BLE001 - a reader bug on one file: one line naming it, the rest read
            detail = str(exc).splitlines()[0] if str(exc).strip() else ""
            errors.append(InputError(f"cannot analyse ({exc.__class__.__name__}: {detail})"[:200], path))
            continue
        facts.files.append(path)
        facts.texts[path] = text


def is_own_config(setting) -> bool:
    return setting.key == "tool.ganlint" or setting.key.startswith("tool.ganlint.")
