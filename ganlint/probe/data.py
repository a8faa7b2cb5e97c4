"""Data for the probe: the user's file (.npy/.csv/.pt), a config `data:` section, or a built-in set.

Built-in sets (`--data NAME`, or `data: {kind: NAME, ...}` in the config):
- `gaussian_mixture` (`means: [[x, y], ...]`, `std`), `two_gaussians` (means (-2,0),(2,0), std 0.5: document 000)
- `ring8` (8 Gaussians on a circle of radius 2, std 0.1), `grid9` / `grid25` (3x3 / 5x5 grid, spacing 2, std 0.1)
- `vae_manifold` (default for VAEs): x = tanh(2 z A) + 0.1 noise, z ~ N(0, I_d), A ~ N(0, 1/d), d = the VAE's input dimension
- `vae_drift`: a non-stationary stream like an RL replay buffer (document 003's PyMARL learner): the mixing
  matrix rotates and the amplitude swings (1 ± 0.8) with a period of 500 steps
- `energy_pairs` (default for energy models): context h ~ N(0, I_c), action a = tanh(h W) + 0.3 noise
Data are standardised only when the config says so (`normalize: true`).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from ganlint.probe.errors import ProbeError

BUILTINS = ("gaussian_mixture", "two_gaussians", "ring8", "grid9", "grid25", "vae_manifold", "vae_drift", "energy_pairs")


@dataclass
class Dataset:
    name: str
    x: Any = None  # (N, D) tensor: GAN / VAE data
    h: Any = None  # energy: contexts
    a: Any = None  # energy: actions
    modes: Any = None  # (k, D) centres of the real data (given or clustered)
    labels: Any = None  # (N,) mode index of each point
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.x.shape[1]) if self.x is not None else int(self.h.shape[1] + self.a.shape[1])

    sampler: Any = None  # non-stationary sets: sampler(n, step) -> batch
    t: int = 0  # the current training step (set by the recipes)

    def batch(self, n: int):
        import torch

        if self.sampler is not None:
            return self.sampler(n, self.t)
        if self.x is not None:
            return self.x[torch.randint(len(self.x), (n,))]
        idx = torch.randint(len(self.h), (n,))
        return self.h[idx], self.a[idx]


def _mixture(means, std, n, g):
    import torch

    m = torch.tensor(means, dtype=torch.float32)
    labels = torch.randint(len(m), (n,), generator=g)
    x = m[labels] + float(std) * torch.randn(n, m.shape[1], generator=g)
    return x, m, labels


def builtin(name: str, spec: dict[str, Any] | None, *, seed: int, dims: dict[str, int | None]) -> Dataset:
    import torch

    spec = dict(spec or {})
    g = torch.Generator().manual_seed(seed + 12345)
    n = int(spec.get("n", 20000))
    name = name.lower().replace("-", "_")
    if name in ("gaussian_mixture", "mixture", "gmm", "two_gaussians", "gaussians"):
        means = spec.get("means", [[-2.0, 0.0], [2.0, 0.0]])
        std = float(spec.get("std", 0.5))
        x, m, lab = _mixture(means, std, n, g)
        return Dataset(name, x=x, modes=m, labels=lab, info={"kind": name, "means": means, "std": std, "n": n})
    if name.startswith("ring"):
        k = int(spec.get("k", name[4:] or 8))
        r, std = float(spec.get("radius", 2.0)), float(spec.get("std", 0.1))
        means = [[r * math.cos(2 * math.pi * i / k), r * math.sin(2 * math.pi * i / k)] for i in range(k)]
        x, m, lab = _mixture(means, std, n, g)
        return Dataset(name, x=x, modes=m, labels=lab, info={"kind": "ring", "k": k, "radius": r, "std": std, "n": n})
    if name.startswith("grid"):
        k = int(spec.get("k", name[4:] or 9))
        side = int(round(math.sqrt(k)))
        sp, std = float(spec.get("spacing", 2.0)), float(spec.get("std", 0.1))
        means = [[(i - (side - 1) / 2) * sp, (j - (side - 1) / 2) * sp] for i in range(side) for j in range(side)]
        x, m, lab = _mixture(means, std, n, g)
        return Dataset(name, x=x, modes=m, labels=lab, info={"kind": "grid", "k": side * side, "spacing": sp, "std": std, "n": n})
    if name == "vae_manifold":
        d = int(spec.get("dim", dims.get("data_dim") or 16))
        k = int(spec.get("latent", d))
        z = torch.randn(n, k, generator=g)
        A = torch.randn(k, d, generator=g) / math.sqrt(k)
        x = torch.tanh(2.0 * z @ A) + 0.1 * torch.randn(n, d, generator=g)
        return Dataset(name, x=x, info={"kind": name, "dim": d, "latent": k, "noise": 0.1, "n": n})
    if name == "vae_drift":
        # a drifting stream (like an RL replay buffer): amplitude and mixing rotate with period `period` steps
        d = int(spec.get("dim", dims.get("data_dim") or 16))
        period = float(spec.get("period", 500))
        amp = float(spec.get("amplitude", 0.8))
        A0 = torch.randn(d, d, generator=g) / math.sqrt(d)
        A1 = torch.randn(d, d, generator=g) / math.sqrt(d)

        def sampler(m, t):
            ph = 2 * math.pi * t / period
            A = math.cos(ph) * A0 + math.sin(ph) * A1
            s = 1.0 + amp * math.sin(ph)
            return s * torch.tanh(2.0 * torch.randn(m, d) @ A) + 0.1 * torch.randn(m, d)

        x = sampler(n, 0)
        return Dataset(name, x=x, sampler=sampler, info={"kind": name, "dim": d, "period": period, "amplitude": amp,
                                                          "n": n, "stationary": False})
    if name == "energy_pairs":
        c = int(spec.get("context_dim", dims.get("context_dim") or 8))
        ad = int(spec.get("action_dim", dims.get("action_dim") or 4))
        noise = float(spec.get("noise", 0.3))
        h = torch.randn(n, c, generator=g)
        W = torch.randn(c, ad, generator=g) / math.sqrt(c)
        a = torch.tanh(h @ W) + noise * torch.randn(n, ad, generator=g)
        return Dataset(name, h=h, a=a, info={"kind": name, "context_dim": c, "action_dim": ad, "noise": noise, "n": n})
    raise ProbeError(f"unknown built-in data set {name!r}; built-ins: {', '.join(BUILTINS)}")


def load_file(path: str) -> Dataset:
    import numpy as np
    import torch

    ext = os.path.splitext(path)[1].lower()
    if not os.path.isfile(path):
        raise ProbeError(f"--data {path}: no such file")
    try:
        if ext == ".npy":
            arr = torch.from_numpy(np.load(path, allow_pickle=False))
        elif ext == ".csv":
            try:
                arr = torch.from_numpy(np.loadtxt(path, delimiter=",", dtype=np.float32))
            except ValueError:
                arr = torch.from_numpy(np.loadtxt(path, delimiter=",", dtype=np.float32, skiprows=1))
        elif ext in (".pt", ".pth"):
            obj = torch.load(path, map_location="cpu", weights_only=True)
            pair = None
            if isinstance(obj, dict):
                for hk, ak in (("h", "a"), ("context", "action"), ("contexts", "actions")):
                    if hk in obj and ak in obj:
                        pair = (obj[hk], obj[ak])
            elif isinstance(obj, (list, tuple)) and len(obj) == 2 and all(hasattr(o, "shape") for o in obj) \
                    and obj[0].shape[0] == obj[1].shape[0]:
                pair = tuple(obj)
            if pair is not None:  # energy models: (contexts, actions)
                h, a = (torch.as_tensor(o).float().reshape(len(o), -1) for o in pair)
                return Dataset(os.path.basename(path), h=h, a=a, info={"kind": "file", "path": path, "n": int(h.shape[0])})
            if isinstance(obj, dict):
                obj = obj.get("x", obj.get("data", next(iter(obj.values()))))
            if isinstance(obj, (list, tuple)):
                obj = obj[0]
            arr = torch.as_tensor(obj)
        else:
            raise ProbeError(f"--data {path}: use .npy, .csv or .pt (or a built-in name: {', '.join(BUILTINS)})")
    except ProbeError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ProbeError(f"--data {path}: cannot load: {exc}") from None
    arr = arr.float()
    if arr.dim() == 1:
        arr = arr[:, None]
    arr = arr.reshape(arr.shape[0], -1)
    return Dataset(os.path.basename(path), x=arr, info={"kind": "file", "path": path, "n": int(arr.shape[0])})


def from_object(obj: Any) -> Dataset:
    import torch

    if isinstance(obj, Dataset):
        return obj
    if isinstance(obj, (tuple, list)) and len(obj) == 2 and all(hasattr(o, "shape") for o in obj):
        h, a = (torch.as_tensor(o).float() for o in obj)
        return Dataset("pairs", h=h, a=a, info={"kind": "object", "n": int(h.shape[0])})
    arr = torch.as_tensor(obj).float()
    arr = arr.reshape(arr.shape[0], -1)
    return Dataset("array", x=arr, info={"kind": "object", "n": int(arr.shape[0])})


def find_modes(x, seed: int = 0, max_k: int = 10):
    """Modes of data without known ones: G-means (ganlint/probe/samples/modes.py) in the sample measures' feature
    space; the centres are the means of the points nearest to each, in the data's own space."""
    import torch

    from ganlint.probe.samples import FeatureSpace, count_modes

    x = torch.as_tensor(x).float()
    fs = FeatureSpace(x.shape[1])
    fx = torch.as_tensor(fs(x)).float()
    c = torch.as_tensor(count_modes(fx, max_k=max_k, seed=seed)).float()
    lab = torch.cdist(fx, c).argmin(dim=1)
    centres = torch.stack([x[lab == j].mean(0) for j in range(len(c)) if bool((lab == j).any())])
    return centres, torch.cdist(x, centres).argmin(dim=1)


def resolve(data: Any, section: dict[str, Any] | None, family: str, *, seed: int,
            dims: dict[str, int | None], normalize: bool = False) -> Dataset:
    """--data (file, name or object) > config data: section > the family's default built-in set."""
    if data is not None and not isinstance(data, str):
        ds = from_object(data)
    elif isinstance(data, str):
        if os.path.splitext(data)[1].lower() in (".npy", ".csv", ".pt", ".pth") or os.path.isfile(data):
            ds = load_file(data)
        else:
            ds = builtin(data, section if section and str(section.get("kind", "")).lower() == data.lower() else None,
                         seed=seed, dims=dims)
    elif section:
        if section.get("path") or section.get("file"):
            p = section.get("path") or section.get("file")
            ds = load_file(p)
        else:
            kind = str(section.get("kind", "gaussian_mixture"))
            ds = builtin(kind, section, seed=seed, dims=dims)
    else:
        default = {"vae": "vae_manifold", "energy": "energy_pairs"}.get(family, "two_gaussians")
        ds = builtin(default, None, seed=seed, dims=dims)
    if ds.x is not None:
        mean, std = ds.x.mean(0), ds.x.std(0)
        ds.info["mean"] = [round(float(v), 4) for v in mean[:8]]
        ds.info["std"] = [round(float(v), 4) for v in std[:8]]
        if normalize:
            ds.x = (ds.x - mean) / std.clamp_min(1e-8)
            if ds.modes is not None:
                ds.modes = (ds.modes - mean) / std.clamp_min(1e-8)
            ds.info["standardised"] = True
        if ds.modes is None and family in ("gan", "wgan", "wgan-gp"):
            ds.modes, ds.labels = find_modes(ds.x, seed=seed)
            ds.info["modes_found"] = int(len(ds.modes))
    return ds
