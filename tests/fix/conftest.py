import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parents[1]
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def project(tmp_path):
    """A copy of a fixture folder in a temp dir (tests never touch fixtures/)."""

    def make(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(FIXTURES / name, dest)
        (dest / "expected.toml").unlink(missing_ok=True)
        return dest

    return make


def _verified(long_runs, name):
    """A finished background `fix --verify` (tests/longruns.py holds the commands)."""
    assert long_runs is not None
    return long_runs.result(name)


@pytest.fixture(scope="session")
def seed000_verified(long_runs):
    """One real `fix --verify` of seed 000 at the full 2000 steps (2 search trials, sqlite study), shared by the
    tests that judge it (test_acceptance, test_verify_holds_up): the longest run of the suite, made once, in the
    background from the session's start, then the written config trained for 2000 steps by independent_wgan_gp.py.
    Returns a longruns.Verified (process, fix-report.json, output folder, independent-loop judgement)."""
    return _verified(long_runs, "seed000_verified")


@pytest.fixture(scope="session")
def vae003_verified(long_runs):
    """`fix --verify --steps 2000 --stage 2` of vae_003_broken (report under the project copy)."""
    return _verified(long_runs, "vae003_verified")


@pytest.fixture(scope="session")
def energy004_verified(long_runs):
    """`fix --verify --steps 500 --trials 3 --stage 2` of energy_004_broken (report under the project copy)."""
    return _verified(long_runs, "energy004_verified")


@pytest.fixture(scope="session")
def helper_sigmoid_verified(long_runs):
    """`fix --verify --trials 2` of heldout/wgan_gp_helper_sigmoid (report under -o DIR), then the written config
    trained for 2000 steps by independent_wgan_gp.py."""
    return _verified(long_runs, "helper_sigmoid_verified")


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server on localhost (temp cluster). Skipped only when the binaries are absent, and
    never under CI (CI=true or GANLINT_REQUIRE_POSTGRES=1): there a missing server is a failure."""
    from pg import Cluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("GANLINT_REQUIRE_POSTGRES") == "1" or os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) not found under CI: run scripts/ci_postgres.sh first")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql to run this test")
    cluster = Cluster(bindir)
    try:
        url = cluster.start()
    except Exception as exc:  # noqa: BLE001
        cluster.stop()
        pytest.fail(f"could not start a PostgreSQL test cluster: {exc}")
    yield url
    cluster.stop()
