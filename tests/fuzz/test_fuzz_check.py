"""Mutated real-style projects through `ganlint check` (in-process CLI): exit 0/1/2, no internal error, no
traceback, under the time bound. Hypothesis draws the seed and 1-3 mutations; derandomized, so CI runs
the same inputs every time (GANLINT_FUZZ_EXAMPLES raises the count for a local run; benchmarks/fuzz.py
is the long run)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_corpus import all_projects
from fuzz_mutate import OPS, Mutation, apply, write_project
from fuzz_oracle import check_project

PROJECTS = all_projects()
N = int(os.environ.get("GANLINT_FUZZ_EXAMPLES", "40"))
LIMIT_S = 10.0  # the issue's bound for one input
MUTATIONS = st.lists(
    st.builds(Mutation, st.sampled_from(OPS), st.integers(0, 20), st.floats(0, 1), st.integers(0, 10**6)),
    min_size=1, max_size=3,
)
FUZZ = settings(max_examples=N, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check(name: str, mutations: list[Mutation]) -> list[str]:
    files = apply(PROJECTS[name], mutations, max_repeat=4)
    with tempfile.TemporaryDirectory(prefix="ganlint-fuzz-") as tmp:
        root = Path(tmp) / "p"
        write_project(root, files)
        problems, _ = check_project(root, LIMIT_S)
    return problems


@FUZZ
@given(st.sampled_from(sorted(PROJECTS)), MUTATIONS)
def test_check_survives_mutated_projects(name, mutations):
    problems = _check(name, mutations)
    assert not problems, (name, mutations, problems)


@settings(max_examples=max(4, N // 4), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(sorted(PROJECTS)), st.sampled_from(["number", "value", "structure", "pyproject"]),
       st.floats(0, 1), st.integers(0, 10**6))
def test_check_survives_the_issue_payloads(name, op, at, payload):
    """The payload pools alone (numbers beyond range, tag tricks, deep nesting, bad options), one at a time."""
    problems = _check(name, [Mutation(op, 0, at, payload)])
    assert not problems, (name, op, at, payload, problems)


def test_the_oracle_sees_an_internal_error(monkeypatch):
    """The oracle is not blind: a rule that raises is reported as an internal error."""
    from ganlint.checking import registry

    rules = list(registry.all_rules())
    broken = next(r for r in rules if r.code == "GL104")
    monkeypatch.setattr(type(broken), "check", lambda self, facts, opts: 1 / 0)
    problems = _check("fixture_wgan_gp_000_broken", [Mutation("indent", 0, 0.0, 2)])
    assert any("internal error in rule GL104" in p for p in problems), problems
