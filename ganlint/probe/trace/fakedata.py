"""--fake-data: torchvision's datasets replaced in the child by in-memory images of the real shapes and
value ranges (uint8 pixels, the real channel count, size, length and number of classes), so a program runs
offline and in CI. Nothing is downloaded or read from disk.

The substitution applies only when the program imports torchvision (an import hook; ganlint itself never
needs torchvision). When the real torchvision imports, its dataset classes are swapped for fakes returning
PIL images, so the program's own transforms run unchanged. When it is missing or fails to import (as beside
a CPU torch it was not built for), a small stand-in `torchvision` (ganlint.probe.trace.standin: datasets,
the common transforms on tensors, utils.save_image / make_grid) takes its place; the report says so.

Image i has class i mod K and is that class's smooth random template plus noise, so the data has K modes.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from typing import Any

# name: (channels, height, width, train length, test length, classes)
SPECS = {
    "MNIST": (1, 28, 28, 60000, 10000, 10), "FashionMNIST": (1, 28, 28, 60000, 10000, 10),
    "KMNIST": (1, 28, 28, 60000, 10000, 10), "EMNIST": (1, 28, 28, 112800, 18800, 47),
    "CIFAR10": (3, 32, 32, 50000, 10000, 10), "CIFAR100": (3, 32, 32, 50000, 10000, 100),
    "SVHN": (3, 32, 32, 73257, 26032, 10), "STL10": (3, 96, 96, 5000, 8000, 10),
    "CelebA": (3, 218, 178, 162770, 19962, 1), "LSUN": (3, 256, 256, 100000, 3000, 1),
    "ImageFolder": (3, 64, 64, 10000, 10000, 2), "FakeData": (3, 224, 224, 1000, 1000, 10),
}
STATE: dict[str, Any] = {"used": {}, "standin": False, "seed": 0}


def _template(k: int, c: int, h: int, w: int, seed: int):
    import torch
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(seed * 1000 + k)
    low = torch.rand(1, c, 4, 4, generator=g)
    return F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)[0]


def make_dataset_class(name: str, base: type | None = None, pil: bool = False):
    """A Dataset class taking the real one's arguments (root, train/split, transform, download, ...)."""
    spec = SPECS[name]
    parent = base or object

    class FakeDataset(parent):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            c, h, w, n_train, n_test, k = spec
            if name == "FakeData":
                n_train = n_test = int(kwargs.get("size", args[0] if args else 1000))
                shape = kwargs.get("image_size", args[1] if len(args) > 1 else (c, h, w))
                c, h, w = shape
                k = int(kwargs.get("num_classes", args[2] if len(args) > 2 else k))
            train = kwargs.get("train", True)
            split = kwargs.get("split", kwargs.get("classes", "train"))
            is_test = (train is False) or (isinstance(split, str) and split not in ("train", "unlabeled"))
            self.n = n_test if is_test else n_train
            self.c, self.h, self.w, self.k = c, h, w, max(1, k)
            self.transform = kwargs.get("transform")
            self.target_transform = kwargs.get("target_transform")
            self.root = kwargs.get("root", args[0] if args and name != "FakeData" else "")
            self.classes = [str(i) for i in range(self.k)]
            self.targets = [i % self.k for i in range(self.n)]
            self._templates: dict[int, Any] = {}
            STATE["used"][name] = {"shape": [c, h, w], "length": self.n, "classes": self.k, "range": [0, 255]}

        def __len__(self):
            return self.n

        def _image(self, i: int):
            import torch

            cls = i % self.k
            t = self._templates.get(cls)
            if t is None:
                t = self._templates[cls] = _template(cls, self.c, self.h, self.w, STATE["seed"])
            g = torch.Generator().manual_seed(STATE["seed"] * 7919 + i)
            x = (t + 0.15 * torch.randn(t.shape, generator=g)).clamp(0, 1)
            return (x * 255).round().to(torch.uint8)

        def __getitem__(self, i: int):
            img = self._image(int(i))
            if pil:
                from PIL import Image

                arr = img.permute(1, 2, 0).numpy()
                img = Image.fromarray(arr[:, :, 0], mode="L") if self.c == 1 else Image.fromarray(arr, mode="RGB")
            if self.transform is not None:
                img = self.transform(img)
            target = int(self.targets[i])
            if self.target_transform is not None:
                target = self.target_transform(target)
            return img, target

        @property
        def data(self):  # MNIST-style `.data` (N, H, W) / CIFAR-style (N, H, W, C): built on first use
            import torch

            x = torch.stack([self._image(i) for i in range(self.n)])
            return x[:, 0] if self.c == 1 else x.permute(0, 2, 3, 1)

    FakeDataset.__name__ = FakeDataset.__qualname__ = name
    return FakeDataset


def patch_real(tv) -> None:
    import torch.utils.data

    ds = tv.datasets
    for name in SPECS:
        if hasattr(ds, name):
            setattr(ds, name, make_dataset_class(name, torch.utils.data.Dataset, pil=True))


class _Finder(importlib.abc.MetaPathFinder):
    """On the program's first `import torchvision`: the real one with fake datasets, else the stand-in."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torchvision":
            return None
        sys.meta_path.remove(self)
        try:
            mod = importlib.import_module("torchvision")
            patch_real(mod)
        except Exception:  # noqa: BLE001 - missing, or broken beside this torch: the stand-in
            for k in [k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")]:
                del sys.modules[k]
            from ganlint.probe.trace import standin

            mod = standin.install()
            STATE["standin"] = True
        return importlib.machinery.ModuleSpec("torchvision", _Existing(mod), is_package=True)


class _Existing(importlib.abc.Loader):
    def __init__(self, mod):
        self.mod = mod

    def create_module(self, spec):
        return self.mod

    def exec_module(self, module):
        return None


def install(seed: int = 0) -> dict[str, Any]:
    """Install the import hook; returns the live record the report reads (datasets used, stand-in or not)."""
    STATE["seed"] = seed
    if "torchvision" in sys.modules:  # already imported (by whatever ran first): patch in place
        patch_real(sys.modules["torchvision"])
    else:
        sys.meta_path.insert(0, _Finder())
    return _Record()


class _Record(dict):
    """Read at report time: which datasets the program built, and whether the stand-in served them."""

    def __init__(self):
        super().__init__()

    def snapshot(self) -> dict[str, Any]:
        return {"datasets": dict(STATE["used"]), "standin": STATE["standin"]}
