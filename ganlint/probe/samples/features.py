"""The space sample measures are computed in. No downloaded weights.

Up to FEATURE_DIM dimensions: the data themselves. Above (images, long vectors): a fixed Gaussian random
projection to FEATURE_DIM dimensions, R ~ N(0, 1/FEATURE_DIM), seeded. By the Johnson-Lindenstrauss lemma it
keeps every pairwise Euclidean distance within a small factor (for a few thousand points at 64 dimensions,
typically within +-20 %), so k-NN balls, mode assignment and spreads mean what they mean in pixel space, at
O(N * D * FEATURE_DIM) per evaluation. Pixel distance is a crude perceptual measure; FID/KID (fidelity.py)
are added when torch-fidelity and its Inception weights are present.
"""
from __future__ import annotations

from typing import Any

import numpy as np

FEATURE_DIM = 64
SEED = 20240


class FeatureSpace:
    def __init__(self, dim: int, seed: int = SEED, out: int = FEATURE_DIM):
        self.dim = int(dim)
        self.projected = self.dim > out
        self.matrix = (np.random.default_rng(seed).standard_normal((self.dim, out)) / np.sqrt(out)
                       if self.projected else None)

    def __call__(self, x: Any) -> np.ndarray:
        from ganlint.probe.samples.knn import as_array

        a = as_array(x)
        return a @ self.matrix if self.projected else a

    def describe(self) -> str:
        if not self.projected:
            return f"the data's own {self.dim} dimensions"
        return f"a fixed random projection of the {self.dim} dimensions to {self.matrix.shape[1]} (seed {SEED})"
