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


@pytest.fixture(scope="session")
def seed000_verified(tmp_path_factory):
    """One real `fix --verify` of seed 000 at the full 2000 steps (2 search trials, sqlite study), shared by the
    tests that judge it (test_acceptance, test_verify_holds_up): the longest run of the suite, made once.
    Returns (completed process, fix-report.json, output folder)."""
    import json
    import subprocess

    base = tmp_path_factory.mktemp("seed000")
    d, out = base / "wgan_gp_000_broken", base / "out"
    shutil.copytree(FIXTURES / "wgan_gp_000_broken", d)
    (d / "expected.toml").unlink(missing_ok=True)
    ganlint = str(Path(sys.executable).with_name("ganlint"))
    r = subprocess.run([ganlint, "fix", "--verify", "-o", str(out), "--report-dir", str(out / "fix-report"),
                        "--workers", "2", "--trials", "2", "--storage", f"sqlite:///{base / 'study.db'}", str(d)],
                       capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return r, json.loads((out / "fix-report" / "fix-report.json").read_text()), out


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
