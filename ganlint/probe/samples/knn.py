"""k-NN manifold measures of generated against real samples.

- Improved precision and recall (Kynkäänniemi et al., "Improved Precision and Recall Metric for Assessing
  Generative Models", NeurIPS 2019): each real point x carries a ball of radius NND_k(x), its distance to its
  k-th nearest real neighbour; precision is the share of generated points inside at least one real ball,
  recall the share of real points inside at least one generated ball (radii from the generated set).
- Density and coverage (Naeem et al., "Reliable Fidelity and Diversity Metrics for Generative Models",
  ICML 2020): density = (1 / kM) sum_j sum_i 1[y_j in B(x_i, NND_k(x_i))], coverage = share of real balls
  that hold at least one generated point.

k = 5 everywhere (the papers' choices: 3 and 5). The k-NN radii come from scipy's cKDTree; ball membership is
a chunked distance computation, O(N * M * D) once per evaluation, never D x D.
"""
from __future__ import annotations

from typing import Any

import numpy as np

K = 5
_CHUNK = 1024


def as_array(x: Any) -> np.ndarray:
    """(N, D) float64 array from a tensor, array or nested list."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64)
    return a.reshape(len(a), -1)


def knn_radii(x: np.ndarray, k: int = K) -> np.ndarray:
    """NND_k: each point's distance to its k-th nearest neighbour in the same set (itself excluded)."""
    from scipy.spatial import cKDTree

    k = min(k, len(x) - 1)
    if k < 1:
        return np.zeros(len(x))
    dist, _ = cKDTree(x).query(x, k=k + 1)  # column 0 is the point itself
    return dist[:, k]


def _ball_counts(query: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query point: in how many balls B(centre, radius) it lies; for each centre: whether any query
    point lies in its ball."""
    hits_per_query = np.zeros(len(query), dtype=np.int64)
    centre_hit = np.zeros(len(centres), dtype=bool)
    c2 = (centres ** 2).sum(1)
    r2 = radii ** 2
    for s in range(0, len(query), _CHUNK):
        q = query[s: s + _CHUNK]
        d2 = (q ** 2).sum(1)[:, None] + c2[None, :] - 2.0 * q @ centres.T
        inside = d2 <= r2[None, :] + 1e-12 * (1.0 + r2[None, :])
        hits_per_query[s: s + _CHUNK] = inside.sum(1)
        centre_hit |= inside.any(0)
    return hits_per_query, centre_hit


def manifold_measures(real: Any, fake: Any, k: int = K) -> dict[str, float]:
    """precision, recall (Kynkäänniemi 2019), density, coverage (Naeem 2020) at k nearest neighbours."""
    r, f = as_array(real), as_array(fake)
    f = f[np.isfinite(f).all(1)]
    if len(r) <= k or len(f) <= k:
        return {}
    real_r = knn_radii(r, k)
    fake_r = knn_radii(f, k)
    in_real_balls, real_ball_hit = _ball_counts(f, r, real_r)
    real_in_fake_balls, _ = _ball_counts(r, f, fake_r)
    return {"precision": float((in_real_balls > 0).mean()),
            "recall": float((real_in_fake_balls > 0).mean()),
            "density": float(in_real_balls.sum() / (k * len(f))),
            "coverage": float(real_ball_hit.mean())}


def precision(real: Any, fake: Any, k: int = K) -> float:
    return manifold_measures(real, fake, k).get("precision", float("nan"))
