import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def ganlint_cmd():
    """The installed `ganlint` console script of this environment (real subprocess runs)."""
    exe = Path(sys.executable).with_name("ganlint")
    assert exe.exists(), f"ganlint is not installed in {sys.prefix}"
    return [str(exe)]


@pytest.fixture
def clean_env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def pytest_collection_modifyitems(session, config, items):
    """The tests that judge a long background run (longruns.py) go last, so the run overlaps everything else."""
    from longruns import judges_a_long_run

    late = [item for item in items if judges_a_long_run(item)]
    if late and len(late) < len(items):
        items[:] = [item for item in items if not judges_a_long_run(item)] + late


@pytest.fixture(scope="session", autouse=True)
def long_runs(request, tmp_path_factory):
    """Starts, in the background, the long runs (longruns.RUNS) that the selected tests ask for."""
    from longruns import Runs, needed

    names = needed(request.session.items)
    runs = Runs(tmp_path_factory.mktemp("longruns"), names).start() if names else None
    yield runs
    if runs is not None:
        runs.stop()
