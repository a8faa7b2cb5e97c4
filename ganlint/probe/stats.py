"""Sample statistics of generated vs real data (the Reference: k-NN precision/recall/density/coverage, modes,
per-mode share and spread, KL both ways by KDE in low dimension, MMD above) and the series helpers of the
detectors."""
from __future__ import annotations

import math
from typing import Any


def _kde_logpdf(points, centres, bw: float):
    import torch

    d = centres.shape[1]
    sq = torch.cdist(points, centres) ** 2
    logk = -sq / (2 * bw * bw) - d * math.log(bw * math.sqrt(2 * math.pi))
    return torch.logsumexp(logk, dim=1) - math.log(len(centres))


def _scott(x) -> float:
    n, d = x.shape
    s = float(x.std(0).mean())
    return max(s * n ** (-1.0 / (d + 4)), 1e-3)


class Reference:
    """The real data's reference set and its modes, prepared once; `compare` measures a generated set against it.

    Sample measures (ganlint/probe/samples/): k-NN precision/recall (Kynkäänniemi et al. 2019) and
    density/coverage (Naeem et al. 2020) at k = 5; per-mode share inside each mode's own distance bound and
    per-mode spread ratio; all in the feature space of samples/features.py (the data themselves up to 64-D).
    KL both ways and a log-likelihood by KDE in low dimension (<= 3-D), MMD otherwise."""

    def __init__(self, x, modes, labels=None, n: int = 768, seed: int = 0):
        import torch

        from ganlint.probe.samples import FeatureSpace, ModeModel

        g = torch.Generator().manual_seed(seed + 7)
        idx = torch.randperm(len(x), generator=g)[: 2 * n]
        self.x = x[idx[:n]].float()
        self.x_eval = x[idx[n: 2 * n]].float()
        self.modes = modes.float() if modes is not None else None
        self.dim = x.shape[1]
        self.low_dim = self.dim <= 3
        self.features = FeatureSpace(self.dim)
        self.fx = self.features(self.x)
        self.mode_model = ModeModel(self.fx, self.features(self.modes)) if self.modes is not None else None
        self.bw = _scott(self.x)

    def compare(self, fake, min_share: float = 0.25) -> dict[str, Any]:
        import torch

        from ganlint.probe.samples import manifold_measures

        fake = fake.float()
        out: dict[str, Any] = {}
        finite = torch.isfinite(fake).all(dim=1)
        if not bool(finite.all()):
            out["non_finite_samples"] = int((~finite).sum())
            fake = fake[finite]
        if len(fake) < 10:
            return out
        ff = self.features(fake)
        out.update(manifold_measures(self.fx, ff))
        if self.mode_model is not None:
            out.update({k: v for k, v in self.mode_model.compare(ff, min_share).items() if v is not None})
        # distances: KDE in low dimension, MMD otherwise
        if self.low_dim:
            bw = self.bw
            f_fit, f_eval = fake[: len(fake) // 2], fake[len(fake) // 2:]
            bwf = max(_scott(f_fit), 0.1 * bw)  # a collapsed sample would make the KDE a spike
            lp_real_at_real = _kde_logpdf(self.x_eval, self.x, bw)
            lp_fake_at_real = _kde_logpdf(self.x_eval, f_fit, bwf)
            lp_fake_at_fake = _kde_logpdf(f_eval, f_fit, bwf)
            lp_real_at_fake = _kde_logpdf(f_eval, self.x, bw)
            out["kl_real_fake"] = float((lp_real_at_real - lp_fake_at_real).mean())
            out["kl_fake_real"] = float((lp_fake_at_fake - lp_real_at_fake).mean())
            out["log_likelihood"] = float(lp_real_at_fake.mean())
        else:
            out["mmd"] = mmd(torch.as_tensor(self.fx[:512]).float(), torch.as_tensor(ff[:512]).float())
        return out


def mmd(x, y) -> float:
    import torch

    xy = torch.cat([x, y])
    d = torch.cdist(xy, xy) ** 2
    med = float(d[d > 0].median()) if bool((d > 0).any()) else 1.0
    k = torch.exp(-d / max(med, 1e-12))
    n = len(x)
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    return float(kxx.mean() + kyy.mean() - 2 * kxy.mean())


# -- series helpers (used by detectors) -----------------------------------------------------------
def windows(values: list[float], n: int) -> list[list[float]]:
    if not values:
        return []
    n = max(1, min(n, len(values)))
    size = len(values) / n
    return [values[int(i * size): int((i + 1) * size)] or [values[min(int(i * size), len(values) - 1)]] for i in range(n)]


def mean(v) -> float:
    v = [x for x in v if x is not None and math.isfinite(x)]
    return sum(v) / len(v) if v else float("nan")


def linfit(xs, ys) -> tuple[float, float]:
    n = len(xs)
    if n < 2:
        return 0.0, ys[0] if ys else 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return slope, my - slope * mx


def oscillation(values: list[float], n_windows: int = 20, skip: float = 0.1) -> dict[str, float]:
    """Oscillation of a noisy series: window means, detrended by a quadratic fit; relative std of the residual,
    rate of direction changes, and the ratio of the residual variance to what sampling noise alone gives."""
    import numpy as np

    v = np.asarray([x for x in values if math.isfinite(x)], dtype=float)
    v = v[int(len(v) * skip):]
    if len(v) < n_windows * 3:
        return {"rel_std": 0.0, "flip_rate": 0.0, "noise_ratio": 0.0}
    chunks = np.array_split(v, n_windows)
    means = np.array([c.mean() for c in chunks])
    within = np.mean([c.var(ddof=1) / len(c) for c in chunks])
    t = np.arange(n_windows)
    coef = np.polyfit(t, means, 2)
    resid = means - np.polyval(coef, t)
    d = np.diff(resid)
    flips = float(np.mean(np.sign(d[1:]) != np.sign(d[:-1]))) if len(d) > 1 else 0.0
    scale = abs(means.mean()) or 1.0
    return {"rel_std": float(resid.std() / scale), "flip_rate": flips,
            "noise_ratio": float(resid.var() / within) if within > 0 else 0.0}


def kl_measures(series, windows_n: int = 20, warmup_fraction: float = 0.25) -> dict[str, float]:
    """VAE KL shape over a run (anything with `.series` and `.context`, e.g. a Probe or a Series): detrended
    oscillation, the relative trend after the warm-up (max(warmup_fraction of the run, kl_anneal_steps))."""
    pts = series.series.get("kl", [])
    kl = [v for _, v in pts]
    osc = oscillation(kl, int(windows_n))
    n = len(pts)
    anneal = series.context.get("kl_anneal_steps") or 0
    after = max(int(n * warmup_fraction), int(anneal))
    after = min(after, max(n - 20, 0))
    tail = kl[after:]
    w = [mean(c) for c in windows(tail, 10)]
    slope, icpt = linfit(list(range(len(w))), w)
    start, end = icpt, icpt + slope * (len(w) - 1)
    scale = abs(mean(tail)) or 1.0
    return {"kl_oscillation": osc["rel_std"], "kl_flip_rate": osc["flip_rate"], "kl_noise_ratio": osc["noise_ratio"],
            "kl_trend": slope * len(w) / max(len(tail), 1) * 1000.0, "kl_trend_rel": (end - start) / scale,
            "kl_start": start, "kl_end": end, "kl_after_step": int(pts[after][0]) if pts else 0,
            "kl_final": mean(kl[-max(10, n // 20):])}
