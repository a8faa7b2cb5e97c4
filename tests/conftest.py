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
