"""A feature space for sample statistics that needs no downloaded weights, O(N*D) per evaluation.

Low-dimensional data (D <= 64) is used as it is. Images (N, C, H, W) are average-pooled to at most 8x8 per
channel, then every wide input is mapped by a fixed Gaussian random projection to 32 dimensions: a
Johnson-Lindenstrauss map keeps pairwise distances within a small factor (Johnson & Lindenstrauss 1984;
Dasgupta & Gupta 2003), so clusters, spreads and coverage measured there follow those of the data. Randomly
initialised embeddings as an evaluation space: Naeem et al. 2020 (density/coverage), section 5.
No D x D matrix is ever formed on image-sized data: the projection is (D, 32).
"""
from __future__ import annotations

from typing import Any

RAW_MAX_DIM = 64
PROJ_DIM = 32
POOL = 8


class FeatureMap:
    def __init__(self, seed: int = 0):
        self.seed = seed
        self._proj: dict[tuple[int, str], Any] = {}

    def __call__(self, x):
        """(N, ...) tensor -> (N, d) float features on x's device (no copy to the CPU here)."""
        import torch
        import torch.nn.functional as F

        x = x.detach()
        if not x.is_floating_point():
            x = x.float()
        if x.dim() == 4 and (x.shape[2] > POOL or x.shape[3] > POOL):
            x = F.adaptive_avg_pool2d(x.float(), (min(POOL, x.shape[2]), min(POOL, x.shape[3])))
        x = x.reshape(x.shape[0], -1).float()
        d = x.shape[1]
        if d <= RAW_MAX_DIM:
            return x
        key = (d, str(x.device))
        p = self._proj.get(key)
        if p is None:
            g = torch.Generator().manual_seed(self.seed + 1234 + d)
            p = (torch.randn(d, PROJ_DIM, generator=g) / PROJ_DIM ** 0.5).to(x.device)
            self._proj[key] = p
        return x @ p
