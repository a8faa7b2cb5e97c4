"""Writing fixed files: atomically (temp file + os.replace), all or nothing, in the style of the file they
come from: its permission bits, its UTF-8 byte-order mark and its CRLF line endings (the reader drops the
BOM and edits insert plain "\n" lines). A file with no source gets the umask's mode, as `open` would."""
from __future__ import annotations

import difflib
import os
import re
import shutil
import tempfile

from ganlint.core.errors import GanlintError


class WriteError(GanlintError):
    pass


def fixed_name(path: str) -> str:
    """config.yaml -> config.fixed.yaml; model.py -> model.fixed.py."""
    root, ext = os.path.splitext(path)
    if root.endswith(".fixed"):
        return path
    return f"{root}.fixed{ext}"


def unified_diff(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))


def common_root(files: list[str]) -> str:
    dirs = [os.path.dirname(os.path.abspath(f)) for f in files]
    return os.path.commonpath(dirs) if dirs else os.getcwd()


def _umask_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def styled(text: str, source: str | None) -> tuple[str, int]:
    """`text` with the source file's BOM and CRLF endings put back; the mode bits to give the written file."""
    if not source or not os.path.isfile(source):
        return text, _umask_mode()
    try:
        with open(source, "rb") as fh:
            raw = fh.read()
        mode = os.stat(source).st_mode & 0o7777
    except OSError:
        return text, _umask_mode()
    if raw.startswith(b"\xef\xbb\xbf") and not text.startswith("\ufeff"):
        text = "\ufeff" + text
    if b"\r\n" in raw and not re.search(rb"(?<!\r)\n", raw):  # consistently CRLF: new lines too
        text = re.sub(r"(?<!\r)\n", "\r\n", text)
    return text, mode


def write_all(targets: dict[str, str], *, sources: dict[str, str] | None = None,
              _fail_after: int | None = None) -> None:
    """Write every target (path -> text) or none: temp files first, then os.replace each; on any error the
    files already replaced are restored from their backups and the temp files removed.

    `sources` (target -> the input file it is a fixed version of) gives each target its input's style; a
    target without one keeps the style of the file it replaces, if any.
    `_fail_after` (tests only) raises after that many replacements, to prove the rollback.
    """
    staged: list[tuple[str, str]] = []  # (temp, final)
    backups: list[tuple[str, str | None]] = []  # (final, backup temp or None when the file was new)
    try:
        for final, text in targets.items():
            d = os.path.dirname(os.path.abspath(final)) or "."
            os.makedirs(d, exist_ok=True)
            text, mode = styled(text, (sources or {}).get(final) or final)
            fd, tmp = tempfile.mkstemp(prefix=".ganlint-", suffix=".tmp", dir=d)
            staged.append((tmp, final))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.chmod(tmp, mode)
            except OSError:
                pass
        for i, (tmp, final) in enumerate(staged):
            if _fail_after is not None and i >= _fail_after:
                raise OSError("simulated failure while replacing files")
            backup = None
            if os.path.exists(final):
                fd, backup = tempfile.mkstemp(prefix=".ganlint-bak-", dir=os.path.dirname(os.path.abspath(final)) or ".")
                os.close(fd)
                shutil.copy2(final, backup)
            backups.append((final, backup))
            os.replace(tmp, final)
    except (OSError, UnicodeError) as exc:
        for final, backup in reversed(backups):
            try:
                if backup is not None:
                    os.replace(backup, final)
                else:
                    os.unlink(final)
            except OSError:
                pass
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise WriteError(f"nothing written: {getattr(exc, 'strerror', None) or exc}",
                         getattr(exc, "filename", None)) from None
    for _, backup in backups:
        if backup is not None and os.path.exists(backup):
            os.unlink(backup)
