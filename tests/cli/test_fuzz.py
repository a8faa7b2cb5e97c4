"""Property tests of the runner's plumbing: suppression parsing, project grouping, escaping."""
from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from ganlint.checking.suppress import apply_suppressions, parse_directives
from ganlint.core.types import Finding, Location, Severity
from ganlint.reading.discovery import group_projects

comment_bits = st.sampled_from(["# ganlint: ignore", "# ganlint: ignore[GL001]", "# noqa", "# noqa: GL001,E501",
                                "# ganlint: ignore-file", "'#'", '"""', "x = 1", "\n", "[", "]", ",", " ", "\\"])
texts = st.one_of(st.text(max_size=300), st.lists(comment_bits, max_size=40).map("".join))


@settings(max_examples=150, deadline=None)
@given(text=texts, name=st.sampled_from(["m.py", "c.yaml", "c.toml", "c.json"]), line=st.integers(1, 20))
def test_suppression_parsing_never_raises(text, name, line):
    directives = parse_directives(name, text)
    n_lines = max(1, len(text.splitlines()))
    for d in directives:
        assert 1 <= d.line <= n_lines + 1
    f = Finding("GL001", "hidden-sigmoid", Severity.WARNING, "m", Location(name, line))
    kept = apply_suppressions([f], {name: text}, report_unused=True, enabled={"gl001", "hidden-sigmoid"})
    assert all(k.code in ("GL001", "GL900") for k in kept)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c"]), min_size=0, max_size=3), min_size=1, max_size=12))
def test_project_groups_partition_the_files(tmp_path_factory, dirs):
    root = tmp_path_factory.mktemp("g")
    files = sorted({os.path.join(str(root), *d, f"f{i}.py") for i, d in enumerate(dirs)})
    groups = group_projects([str(root)], files)
    flat = [f for g in groups for f in g]
    assert sorted(flat) == files  # every file once
    if any(os.path.dirname(f) == str(root) for f in files):
        assert len(groups) == 1


@given(st.text(max_size=60))
def test_github_messages_stay_on_one_line(message):
    from ganlint.report import render

    f = Finding("GL001", "hidden-sigmoid", Severity.INFO, message, Location("a,b:c.py", 3))
    out = render([f], [], "github", root=".")
    assert out.count("\n") == 1 and out.startswith("::notice file=a%2Cb%3Ac.py,line=3,")
