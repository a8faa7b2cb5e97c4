"""FID (Heusel et al. 2017) and KID (Binkowski et al. 2018) through torch-fidelity, only when it and its
Inception weights are already on this machine: nothing is downloaded, and the probe works without them."""
from __future__ import annotations

import importlib.util
import os
from typing import Any


def available() -> bool:
    if importlib.util.find_spec("torch_fidelity") is None:
        return False
    hub = os.path.join(os.environ.get("TORCH_HOME", os.path.expanduser("~/.cache/torch")), "hub", "checkpoints")
    return os.path.isdir(hub) and any("inception" in f.lower() for f in os.listdir(hub))


def fid_kid(real_images: Any, fake_images: Any) -> dict[str, float]:
    """real/fake: uint8 tensors (N, 3, H, W). {} when torch-fidelity or its weights are absent."""
    if not available():
        return {}
    import torch
    import torch_fidelity

    class _Set(torch.utils.data.Dataset):
        def __init__(self, x):
            self.x = x

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i]

    n = min(len(real_images), len(fake_images))
    m = torch_fidelity.calculate_metrics(input1=_Set(fake_images), input2=_Set(real_images), fid=True, kid=True,
                                         kid_subset_size=min(1000, n), verbose=False, cuda=torch.cuda.is_available())
    return {"fid": float(m["frechet_inception_distance"]), "kid": float(m["kernel_inception_distance_mean"])}
