"""Projects written to a temp folder and checked; `# expect GLnnn` marks each line where that finding must be
reported (shared by the real-pattern tests of this folder)."""
from __future__ import annotations

import re

from ganlint.checking.runner import check_paths

_EXPECT = re.compile(r"#\s*expect((?:\s+GL\d{3})+)")


def _check(tmp_path, files: dict[str, str], codes: set[str], errors: int = 0):
    """(result, findings of `codes` as (code, file name, line), the marked ones); `errors`: how many files
    may fail to read (a project with one file that does not parse)."""
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    res = check_paths([str(tmp_path)])
    assert len(res.errors) == errors, res.errors
    found = {(f.code, f.location.file.rsplit("/", 1)[-1], f.location.line) for f in res.findings if f.code in codes}
    expected = set()
    for name, text in files.items():
        for i, line in enumerate(text.splitlines(), 1):
            m = _EXPECT.search(line)
            if m:
                expected |= {(c, name.rsplit("/", 1)[-1], i) for c in m.group(1).split() if c in codes}
    return res, found, expected
