"""A stand-in `torchvision` for --fake-data when the real one is missing or does not import here.

Only what training scripts commonly touch: `datasets` (the fakes of fakedata.py, returning uint8 tensors
C x H x W), `transforms` (Compose, ToTensor, Normalize, Resize, CenterCrop, RandomCrop, Pad, Grayscale,
RandomHorizontalFlip, Lambda, ToPILImage; colour/blur augmentations are identities), `utils` (make_grid,
save_image: a PNG written with zlib, so the program's sample images still appear) and empty `models`.
"""
from __future__ import annotations

import struct
import sys
import types
import zlib


def _float(img):
    import torch

    if isinstance(img, torch.Tensor):
        return img.float() / 255.0 if img.dtype == torch.uint8 else img.float()
    import numpy as np

    a = np.asarray(img)
    t = torch.from_numpy(a.copy())
    t = t[None] if t.dim() == 2 else t.permute(2, 0, 1)
    return t.float() / 255.0 if a.dtype == np.uint8 else t.float()


class Compose:
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class ToTensor:
    def __call__(self, x):
        return _float(x)


class ToPILImage:
    def __init__(self, *a, **k):
        pass

    def __call__(self, x):
        return x


class Normalize:
    def __init__(self, mean, std, inplace=False):
        self.mean, self.std = mean, std

    def __call__(self, x):
        import torch

        m = torch.as_tensor(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        s = torch.as_tensor(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        return (x - m) / s


class Resize:
    def __init__(self, size, *a, **k):
        self.size = size

    def __call__(self, x):
        import torch.nn.functional as F

        was_uint8 = x.dtype.is_floating_point is False
        xf = _float(x)
        h, w = xf.shape[-2:]
        if isinstance(self.size, int):
            s = self.size
            size = (s, max(1, round(w * s / h))) if h <= w else (max(1, round(h * s / w)), s)
        else:
            size = tuple(self.size)
        if tuple(xf.shape[-2:]) == size:
            out = xf
        else:
            out = F.interpolate(xf[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0]
        return (out.clamp(0, 1) * 255).round().byte() if was_uint8 else out


Scale = Resize


class CenterCrop:
    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, x):
        h, w = x.shape[-2:]
        th, tw = self.size
        i, j = max(0, (h - th) // 2), max(0, (w - tw) // 2)
        return x[..., i:i + th, j:j + tw]


class RandomCrop(CenterCrop):
    def __init__(self, size, padding=None, *a, **k):
        super().__init__(size)
        self.padding = padding

    def __call__(self, x):
        import torch
        import torch.nn.functional as F

        if self.padding:
            x = F.pad(x, [self.padding] * 4)
        h, w = x.shape[-2:]
        th, tw = self.size
        i = int(torch.randint(0, max(1, h - th + 1), (1,)))
        j = int(torch.randint(0, max(1, w - tw + 1), (1,)))
        return x[..., i:i + th, j:j + tw]


class RandomResizedCrop:
    def __init__(self, size, *a, **k):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, x):
        return Resize(self.size)(x)


class Pad:
    def __init__(self, padding, fill=0, *a, **k):
        self.padding = padding

    def __call__(self, x):
        import torch.nn.functional as F

        p = [self.padding] * 4 if isinstance(self.padding, int) else list(self.padding) * (4 // len(self.padding))
        return F.pad(x, p)


class Grayscale:
    def __init__(self, num_output_channels=1):
        self.n = num_output_channels

    def __call__(self, x):
        g = x.float().mean(0, keepdim=True) if x.shape[0] == 3 else x.float()
        g = g.round().byte() if x.dtype.is_floating_point is False else g
        return g.expand(self.n, *g.shape[1:]).clone()


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, x):
        import torch

        return x.flip(-1) if float(torch.rand(())) < self.p else x


class Lambda:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


class _Identity:
    def __init__(self, *a, **k):
        pass

    def __call__(self, x):
        return x


class RandomApply(Compose):
    def __init__(self, transforms, p=0.5):
        super().__init__(transforms)
        self.p = p

    def __call__(self, x):
        import torch

        return super().__call__(x) if float(torch.rand(())) < self.p else x


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0, **k):
    import torch

    t = torch.stack(list(tensor)) if isinstance(tensor, (list, tuple)) else tensor
    t = t.detach().float().cpu()
    if t.dim() == 3:
        t = t[None]
    if t.shape[1] == 1:
        t = t.expand(-1, 3, -1, -1)
    if normalize:
        lo, hi = value_range if value_range else (float(t.min()), float(t.max()))
        t = (t.clamp(lo, hi) - lo) / max(hi - lo, 1e-5)
    n, c, h, w = t.shape
    cols = min(nrow, n)
    rows = (n + cols - 1) // cols
    grid = torch.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), float(pad_value))
    for i in range(n):
        r, q = divmod(i, cols)
        grid[:, padding + r * (h + padding): padding + r * (h + padding) + h,
             padding + q * (w + padding): padding + q * (w + padding) + w] = t[i]
    return grid


def save_image(tensor, fp, **kwargs):
    grid = make_grid(tensor, **kwargs)
    arr = (grid.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).contiguous()
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + bytes(arr[i].flatten().tolist()) for i in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    if hasattr(fp, "write"):
        fp.write(png)
    else:
        with open(fp, "wb") as fh:
            fh.write(png)


def install():
    """Build the stand-in modules and register them in sys.modules; returns the `torchvision` module."""
    import torch.utils.data

    from ganlint.probe.trace.fakedata import SPECS, make_dataset_class

    tv = types.ModuleType("torchvision")
    tv.__path__ = []  # a package, so `import torchvision.transforms` resolves through sys.modules
    tv.__version__ = "0.0+ganlint-standin"
    tv.__file__ = __file__
    ds = types.ModuleType("torchvision.datasets")
    for name in SPECS:
        setattr(ds, name, make_dataset_class(name, torch.utils.data.Dataset, pil=False))
    tr = types.ModuleType("torchvision.transforms")
    for obj in (Compose, ToTensor, ToPILImage, Normalize, Resize, CenterCrop, RandomCrop, RandomResizedCrop,
                Pad, Grayscale, RandomHorizontalFlip, Lambda, RandomApply):
        setattr(tr, obj.__name__, obj)
    tr.Scale = Resize
    for name in ("ColorJitter", "GaussianBlur", "RandomGrayscale", "RandomRotation", "RandomVerticalFlip",
                 "RandomAffine", "InterpolationMode"):
        setattr(tr, name, type(name, (_Identity,), {}))
    ut = types.ModuleType("torchvision.utils")
    ut.make_grid, ut.save_image = make_grid, save_image
    models = types.ModuleType("torchvision.models")
    for sub, mod in (("datasets", ds), ("transforms", tr), ("utils", ut), ("models", models)):
        setattr(tv, sub, mod)
        sys.modules[f"torchvision.{sub}"] = mod
    tr.transforms = tr  # `from torchvision.transforms import transforms`
    sys.modules["torchvision.transforms.transforms"] = tr
    sys.modules["torchvision"] = tv
    return tv
