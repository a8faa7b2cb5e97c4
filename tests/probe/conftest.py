import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def expected(name: str) -> dict:
    return tomllib.loads((FIXTURES / name / "expected.toml").read_text())


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)
