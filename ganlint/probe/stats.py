"""Sample statistics of generated vs real data: mode coverage, per-mode spread, KL both ways (KDE) and a
log-likelihood in low dimension, MMD in higher dimension."""
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


def _spread(x):
    """Generalised spread: geometric mean of the covariance's eigenvalues, as a std (det(cov)^(1/2D))."""
    import torch

    if len(x) < 3:
        return 0.0
    c = torch.cov(x.T) if x.shape[1] > 1 else x.var().reshape(1, 1)
    c = c.reshape(x.shape[1], x.shape[1]) + 1e-12 * torch.eye(x.shape[1])
    ev = torch.linalg.eigvalsh(c).clamp_min(1e-12)
    return float(torch.exp(0.5 * ev.log().mean()))


class Reference:
    """The real data's reference set, clustered once."""

    def __init__(self, x, modes, labels=None, n: int = 768, seed: int = 0):
        import torch

        g = torch.Generator().manual_seed(seed + 7)
        idx = torch.randperm(len(x), generator=g)[: 2 * n]
        self.x = x[idx[:n]].float()
        self.x_eval = x[idx[n: 2 * n]].float()
        self.modes = modes.float() if modes is not None else None
        self.dim = x.shape[1]
        self.low_dim = self.dim <= 3
        if self.modes is not None:
            lab = torch.cdist(self.x, self.modes).argmin(1)
            k = len(self.modes)
            self.share = torch.bincount(lab, minlength=k).float() / len(self.x)
            self.spread = [_spread(self.x[lab == j]) for j in range(k)]
            self.rms = [float(((self.x[lab == j] - self.modes[j]) ** 2).sum(1).mean().sqrt()) if bool((lab == j).any())
                        else 0.0 for j in range(k)]
        self.bw = _scott(self.x)

    def compare(self, fake, min_share: float = 0.25) -> dict[str, Any]:
        import torch

        fake = fake.float()
        out: dict[str, Any] = {}
        finite = torch.isfinite(fake).all(dim=1)
        if not bool(finite.all()):
            out["non_finite_samples"] = int((~finite).sum())
            fake = fake[finite]
        if len(fake) < 10:
            return out
        if self.modes is not None:
            k = len(self.modes)
            dist = torch.cdist(fake, self.modes)
            lab = dist.argmin(1)
            near = dist.min(1).values
            radius = torch.tensor([3.0 * max(r, 1e-6) for r in self.rms])
            out["precision"] = float((near <= radius[lab] + 1e-6).float().mean())  # share of samples on some mode
            covered, ratios, per_mode = 0, [], []
            for j in range(k):
                sel = (lab == j) & (near <= 3.0 * max(self.rms[j], 1e-6) + 1e-6)
                share = float(sel.float().mean())
                ok = share >= min_share * float(self.share[j])
                covered += int(ok)
                ratio = _spread(fake[sel]) / max(self.spread[j], 1e-12) if int(sel.sum()) >= 5 else None
                if ok and ratio is not None:
                    ratios.append(ratio)
                per_mode.append({"mode": j, "share": round(share, 4), "real_share": round(float(self.share[j]), 4),
                                 "spread_ratio": None if ratio is None else round(ratio, 4),
                                 "real_spread": round(self.spread[j], 4),
                                 "fake_spread": round(_spread(fake[sel]), 4) if int(sel.sum()) >= 3 else None,
                                 "covered": ok})
            out["modes"] = k
            out["modes_covered"] = covered
            out["mode_coverage"] = covered / k
            out["spread_ratio"] = sum(ratios) / len(ratios) if ratios else 0.0
            out["per_mode"] = per_mode
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
            out["mmd"] = mmd(self.x[:512], fake[:512])
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
