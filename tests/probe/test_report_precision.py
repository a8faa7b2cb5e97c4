"""`metrics.precision` of a probe report is k-NN precision (Kynkäänniemi et al. 2019, k = 5) of the report's own
`samples`: recomputed here by brute force, sharing no code with ganlint."""
import json

import numpy as np
import pytest

from ganlint.probe import run_probe

from .conftest import FIXTURES, SCENARIOS


def knn_precision(real: np.ndarray, fake: np.ndarray, k: int = 5) -> float:
    d_rr = np.sqrt(((real[:, None, :] - real[None, :, :]) ** 2).sum(-1))
    radius = np.sort(d_rr, axis=1)[:, k]  # column 0 is the point itself
    d_fr = np.sqrt(((fake[:, None, :] - real[None, :, :]) ** 2).sum(-1))
    return float((d_fr <= radius[None, :]).any(1).mean())


@pytest.mark.parametrize("case", ["wgan_gp_000_broken", "entry_point"])
def test_precision_matches_the_reports_own_samples(case, tmp_path):
    if case == "entry_point":
        run_probe([str(SCENARIOS / case)], entry="nets:make", steps=200, out_dir=str(tmp_path), threads=1)
    else:
        run_probe([str(FIXTURES / case)], steps=200, out_dir=str(tmp_path), threads=1)
    rep = json.loads((tmp_path / "report.json").read_text())
    real, fake = np.asarray(rep["samples"]["real"]), np.asarray(rep["samples"]["fake"])
    assert len(real) >= 300 and len(fake) >= 300
    mine = knn_precision(real, fake)
    print(f"{case}: metrics.precision {rep['metrics']['precision']:.3f}, recomputed {mine:.3f}")
    assert abs(rep["metrics"]["precision"] - mine) <= 0.15, (rep["metrics"]["precision"], mine)
    # and the report's words follow it: no "covered" mode without generated points on it
    for mode in rep["samples"]["stats"].get("per_mode", []):
        if mode["covered"]:
            assert mode["share"] > 0
