"""Modes of the real data and how generated samples sit on them.

Counting modes: G-means (Hamerly & Elkan, "Learning the k in k-means", NIPS 2003). Start from one cluster;
split a cluster in two (2-means seeded along its principal direction) and keep the split only when the points
projected on the line joining the two children are not Gaussian (Anderson-Darling, A*^2 above the critical
value 1.8692 at alpha = 1e-4). One Gaussian stays one mode; two well-separated templates plus noise become two,
whatever their dimension. Deterministic for a given seed; each step costs O(N * D) (the principal direction
comes from power iteration, never a D x D covariance).

Per mode: the real points nearest to its centre define a distance bound (the 99th percentile of their distances
to the centre). A generated point counts on a mode (its `share`) only inside that bound; a mode is covered when
its share reaches `min_share` of the real share. The spread ratio compares the generated and the real points
nearest to the mode within SPREAD_REACH bounds (generalised variance: a line collapses it, a cloud squeezed to
the centre shrinks it, a cloud wider than the mode or a streak into the gap raises it).
"""
from __future__ import annotations

from typing import Any

import numpy as np

AD_CRITICAL = 1.8692  # G-means' critical value of the corrected A*^2 at alpha = 0.0001
BOUND_QUANTILE = 0.99
SPREAD_REACH = 2.0  # spreads are measured within this many bounds of the mode's centre
LOW_DIM = 16  # up to here the spread is the generalised variance; above, the mean per-dimension variance


def _nearest(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d2 = (x ** 2).sum(1)[:, None] + (centres ** 2).sum(1)[None, :] - 2.0 * x @ centres.T
    lab = d2.argmin(1)
    return lab, np.sqrt(np.maximum(d2[np.arange(len(x)), lab], 0.0))


def _kmeans(x: np.ndarray, centres: np.ndarray, iters: int = 30) -> tuple[np.ndarray, np.ndarray]:
    c = centres.copy()
    for _ in range(iters):
        lab, _ = _nearest(x, c)
        new = np.stack([x[lab == j].mean(0) if (lab == j).any() else c[j] for j in range(len(c))])
        if np.allclose(new, c):
            break
        c = new
    return c, _nearest(x, c)[0]


def _principal(x: np.ndarray, rng: np.random.Generator, iters: int = 30) -> tuple[np.ndarray, float]:
    """Leading eigenvector and eigenvalue of the covariance by power iteration (O(N * D) per iteration)."""
    xc = x - x.mean(0)
    v = rng.standard_normal(x.shape[1])
    v /= np.linalg.norm(v) or 1.0
    lam = 0.0
    for _ in range(iters):
        w = xc.T @ (xc @ v) / max(len(x) - 1, 1)
        lam = float(np.linalg.norm(w))
        if lam == 0.0:
            break
        v = w / lam
    return v, lam


def anderson_darling(p: np.ndarray) -> float:
    """The Anderson-Darling statistic A^2 of a sample against the normal with the sample's mean and std,
    with Stephens' small-sample correction (1 + 4/n - 25/n^2), as G-means uses it."""
    from scipy.special import log_ndtr

    n = len(p)
    z = np.sort((p - p.mean()) / (p.std(ddof=1) or 1.0))
    i = np.arange(1, n + 1)
    a2 = -n - np.mean((2 * i - 1) * (log_ndtr(z) + log_ndtr(-z[::-1])))
    return float(a2 * (1 + 4.0 / n - 25.0 / n ** 2))


def count_modes(x: Any, max_k: int = 10, seed: int = 0, sample: int = 1500, min_size: int = 20) -> np.ndarray:
    """G-means centres of x (k >= 1, at most max_k). Each split is fitted on one half of the cluster's points and
    tested on the other half: in high dimension 2-means finds a separating direction even in pure noise, and a
    direction fitted on the tested points themselves would always look bimodal."""
    from ganlint.probe.samples.knn import as_array

    a = as_array(x)
    rng = np.random.default_rng(seed)
    sub = a[rng.permutation(len(a))[:sample]]
    centres = sub.mean(0, keepdims=True)
    while len(centres) < max_k:
        lab, _ = _nearest(sub, centres)
        new, room = [], max_k - len(centres)
        for j, c in enumerate(centres):
            pts = sub[lab == j]
            if room <= 0 or len(pts) < 4 * min_size:
                new.append(c)
                continue
            order = rng.permutation(len(pts))
            fit, test = pts[order[: len(pts) // 2]], pts[order[len(pts) // 2:]]
            v, lam = _principal(fit, rng)
            m = v * np.sqrt(2.0 * lam / np.pi)
            kids, klab = _kmeans(fit, np.stack([c + m, c - m]))
            gap = kids[0] - kids[1]
            norm = float(np.linalg.norm(gap))
            if np.bincount(klab, minlength=2).min() >= min_size and norm > 0 \
                    and anderson_darling(test @ (gap / norm)) > AD_CRITICAL:
                new.extend(_kmeans(pts, kids)[0])
                room -= 1
            else:
                new.append(c)
        if len(new) == len(centres):
            break
        centres, _ = _kmeans(sub, np.stack(new))
    return centres


def spread(x: np.ndarray) -> float:
    """A spread as a standard deviation: the generalised variance det(cov)^(1/2D) in low dimension (a line-shaped
    cloud has a small one), sqrt(mean per-dimension variance) above LOW_DIM (no D x D matrix)."""
    if len(x) < 3:
        return 0.0
    if x.shape[1] > LOW_DIM:
        return float(np.sqrt(x.var(0, ddof=1).mean()))
    c = np.atleast_2d(np.cov(x.T)) + 1e-12 * np.eye(x.shape[1])
    ev = np.clip(np.linalg.eigvalsh(c), 1e-12, None)
    return float(np.exp(0.5 * np.log(ev).mean()))


def axis_stds(x: np.ndarray) -> np.ndarray | None:
    """Standard deviations along the principal axes (sorted), in low dimension only."""
    if len(x) < 5 or x.shape[1] > LOW_DIM:
        return None
    return np.sqrt(np.clip(np.linalg.eigvalsh(np.atleast_2d(np.cov(x.T))), 0.0, None))


class ModeModel:
    """The real data's modes: centres, each mode's real share, spread and distance bound."""

    def __init__(self, real: Any, centres: Any):
        from ganlint.probe.samples.knn import as_array

        self.real, self.centres = as_array(real), as_array(centres)
        lab, dist = _nearest(self.real, self.centres)
        k = len(self.centres)
        self.real_share = np.bincount(lab, minlength=k) / len(self.real)
        self.bound = [float(np.quantile(dist[lab == j], BOUND_QUANTILE)) if (lab == j).any() else 0.0 for j in range(k)]
        # spreads are measured over the mode's cell (nearest centre) within SPREAD_REACH bounds, real and generated
        # alike: wide enough that a too-wide or streaked cloud shows, short of far outliers
        reach = [(lab == j) & (dist <= SPREAD_REACH * self.bound[j]) for j in range(k)]
        self.real_spread = [spread(self.real[r]) for r in reach]
        self.real_axes = [axis_stds(self.real[r]) for r in reach]

    def compare(self, fake: Any, min_share: float = 0.25) -> dict[str, Any]:
        from ganlint.probe.samples.knn import as_array

        f = as_array(fake)
        lab, dist = _nearest(f, self.centres)
        per_mode, ratios, covered = [], [], 0
        for j in range(len(self.centres)):
            cell = lab == j
            on = cell & (dist <= self.bound[j])
            share = float(on.mean())
            ok = bool(self.real_share[j] > 0 and share >= min_share * self.real_share[j])
            reach = cell & (dist <= SPREAD_REACH * self.bound[j])
            fs = spread(f[reach]) if reach.sum() >= 5 else None
            ratio = fs / max(self.real_spread[j], 1e-12) if fs is not None else None
            fa, ra = axis_stds(f[reach]) if reach.sum() >= 5 else None, self.real_axes[j]
            # per principal axis: a streak is long on one axis and thin on the other (generalised spread ~ 1)
            axes = None if fa is None or ra is None else [round(float(a / max(b, 1e-12)), 4) for a, b in zip(fa, ra)]
            covered += ok
            if ok and ratio is not None:
                ratios.append(ratio)
            per_mode.append({"mode": j, "share": round(share, 4), "real_share": round(float(self.real_share[j]), 4),
                             "bound": round(self.bound[j], 4), "real_spread": round(self.real_spread[j], 4),
                             "fake_spread": None if fs is None else round(fs, 4),
                             "spread_ratio": None if ratio is None else round(ratio, 4), "axis_ratios": axes,
                             "covered": ok})
        k = len(self.centres)
        on_any = float(sum(p["share"] for p in per_mode))
        return {"modes": k, "modes_covered": covered, "mode_coverage": covered / k, "on_modes": round(on_any, 4),
                "spread_ratio": float(np.mean(ratios)) if ratios else None, "per_mode": per_mode}
