"""Mutated real-style projects through `ganlint fix --in-place` on scratch copies (in-process CLI): no
crash, under the time bound, no file left behind or half-written, settings no fix names keep their bytes,
comments/BOM/CRLF/mode kept, and a second run changes nothing. Derandomized hypothesis, few examples:
fix parses code with libcst and costs ~1 s an input."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_corpus import all_projects
from fuzz_mutate import OPS, Mutation, apply, write_project
from fuzz_oracle import fix_project, integrity, snapshot

PROJECTS = all_projects()
BROKEN = sorted(n for n in PROJECTS if not n.endswith("_healthy"))  # something to fix
N = int(os.environ.get("GANLINT_FUZZ_FIX_EXAMPLES", "8"))
LIMIT_S = 10.0
SAFE_OPS = tuple(op for op in OPS if op not in ("repeat_file", "duplicate_line"))  # size growth: benchmarks/fuzz.py


@pytest.fixture(autouse=True, scope="module")
def _warm():
    """Import fix's editors (libcst, ruamel.yaml, tomlkit) once, so no example is charged for it."""
    import ganlint.fix.edits.code  # noqa: F401
    import ganlint.fix.edits.toml_doc  # noqa: F401
    import ganlint.fix.edits.yaml_doc  # noqa: F401


def _fix(name: str, mutations: list[Mutation]) -> list[str]:
    files = apply(PROJECTS[name], mutations, max_repeat=2)
    with tempfile.TemporaryDirectory(prefix="ganlint-fuzzfix-") as tmp:
        root = Path(tmp) / "p"
        write_project(root, files)
        problems, _ = fix_project(root, LIMIT_S)
    return problems


@settings(max_examples=N, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(BROKEN), st.lists(
    st.builds(Mutation, st.sampled_from(SAFE_OPS), st.integers(0, 20), st.floats(0, 1), st.integers(0, 10**6)),
    min_size=1, max_size=2))
def test_fix_keeps_its_promises_on_mutated_projects(name, mutations):
    problems = _fix(name, mutations)
    assert not problems, (name, mutations, problems)


def test_fix_on_the_unmutated_seeds_is_clean_and_idempotent():
    for name in ("fixture_wgan_gp_000_broken", "wgan_gp_hydra", "energy_pyproject"):
        assert _fix(name, []) == [], name


def test_the_integrity_oracle_sees_a_rewritten_setting(tmp_path):
    """Not blind: bytes rewritten without a new value, a lost comment and a dropped BOM are all reported."""
    old = "\ufeff# training\nlr: 1.0e-3\nsizes: [1,    2]\n".encode()
    new = "lr: 1.0e-4\nsizes: [1, 2]\n".encode()
    (tmp_path / "c.yaml").write_bytes(new)
    problems = integrity(tmp_path, "c.yaml", (old, 0o644), (new, 0o600))
    text = " | ".join(problems)
    assert "sizes rewritten '[1,    2]' -> '[1, 2]'" in text
    assert not any(" lr rewritten" in p for p in problems)  # a new value is what a fix is for
    assert "comment lines lost" in text and "BOM dropped" in text and "mode 0o644 became 0o600" in text
    assert snapshot(tmp_path)["c.yaml"][0] == new
