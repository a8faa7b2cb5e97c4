"""GL004 unnormalized-data: data is loaded and nothing standardises it (document 000 §1.5).

Static: a data load with no normalisation anywhere. Runtime (`data_finding`, called by the probe on the real
data it trains with): the data's scale is far from standardised. Images already scaled (torchvision's
ToTensor / ConvertImageDtype, values inside [0, 1] or [-1, 1]) are scaled data, not unnormalised data.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.facts import ProjectFacts


class UnnormalizedData(Rule):
    code = "GL004"
    slug = "unnormalized-data"
    severity = Severity.WARNING
    summary = "Real data is loaded (np.load, pd.read_csv, torch.load, a torchvision dataset) and no normalisation step appears anywhere."
    why = (
        "Networks initialised for inputs of mean 0 and variance 1 see data whose scale is far off: a "
        "generator must first learn to reach the data's range (saturating any bounded activation on the way) "
        "and a critic's penalty norm is measured in the wrong units. Document 000 recommends standardising "
        "`(data - mean) / std` before training."
    )
    use_instead = "`data = (data - data.mean(0)) / data.std(0)` (keep mean/std to map samples back), `transforms.Normalize`, or `StandardScaler`."
    source = "000 §1.5"
    options: dict[str, Any] = {"max_abs_mean": 3.0, "max_std": 10.0, "min_std": 0.05}
    option_docs = {"max_abs_mean": "runtime: largest |mean| of a data dimension still called standardised",
                   "max_std": "runtime: median per-dimension std above which the data are too wide",
                   "min_std": "runtime: median per-dimension std (constant dimensions left out) below which they are too narrow"}
    fix_safety = "display-only"
    fix_safety_why = (
        "Standardising changes what the model learns and how samples map back: a person decides."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        code = facts.code
        if not code.data_loads or code.normalizations:
            return
        if facts.settings_for("normalize") or any(_IMAGE_SCALING.search(t) for f, t in facts.texts.items() if f.endswith(".py")):
            return
        critic_bce = {m.location for m in code.critic_bces}
        if "vae" in facts.families() and any(
                l.kind in ("bce", "bce_logits") and l.location not in critic_bce for l in code.losses):
            return  # a Bernoulli decoder's BCE needs the data in [0, 1]: standardising it would be the bug
        for load in code.data_loads:
            if "datasets." not in load.kind and _images_of_unknown_range(facts.texts.get(load.location.file, ""), load.location.line):
                continue  # images from a file that may already be in [0, 1] (binary dSprites): no sign of 0..255
            # (a torchvision dataset with no transform gives bytes of 0..255: it always counts)
            yield self.finding(
                f"data loaded by `{load.src or load.kind}` is never standardised (no `(x - mean) / std`, "
                "Normalize or scaler anywhere, no normalisation setting): standardise it to mean 0, std 1",
                load.location,
                fix=Fix("standardise the loaded data: x = (x - x.mean(0)) / x.std(0)", []),
                evidence={"loader": load.kind},
            )

    def data_finding(self, x: Any, opts: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """Runtime: (message, evidence) when the real data (N, D) are far from standardised, else None.
        Constant dimensions (an image's empty border) are left out; data inside [0, 1] or [-1, 1] are scaled."""
        import numpy as np

        a = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float64).reshape(len(x), -1)
        lo, hi = float(a.min()), float(a.max())
        if lo >= -1.0 - 1e-6 and hi <= 1.0 + 1e-6:
            return None
        std = a.std(0)
        varying = std > 1e-8 * max(1.0, abs(hi), abs(lo))
        if not varying.any():
            return None
        mean = float(np.abs(a.mean(0)).max())
        scale = float(np.median(std[varying]))
        if not (mean > opts["max_abs_mean"] or scale > opts["max_std"] or scale < opts["min_std"]):
            return None
        msg = (f"the real data is far from standardised (max |mean| {mean:.3g}, median std {scale:.3g}, range "
               f"{lo:.3g}..{hi:.3g}) and the config does not normalise it: use (x - mean) / std or `normalize: true`")
        return msg, {"max_abs_mean": round(mean, 4), "median_std": round(scale, 4), "std_min": round(float(std[varying].min()), 4),
                     "std_max": round(float(std.max()), 4), "range": [round(lo, 4), round(hi, 4)], "runtime": True}

    bad = [
        Example(
            {
                "datasets.py": (
                    "import numpy as np\nimport torch\n\n\n"
                    "class Faces(object):\n"
                    "    def __init__(self, root='data/faces_64.npy'):\n"
                    "        images = np.load(root).astype(np.uint8)  # expect\n"
                    "        self.imgs = torch.from_numpy(images).permute(0, 3, 1, 2).float()\n\n"
                    "    def __getitem__(self, i):\n"
                    "        return self.imgs[i]\n"
                ),
            },
            "uint8 face images (0..255) fed raw as floats",
            fixed=[],
        ),
        Example(
            {
                "pairs.py": (
                    "import torch\nfrom torchvision import datasets\n\n\n"
                    "class DigitPairs(torch.utils.data.Dataset):\n"
                    "    def __init__(self, root):\n"
                    "        # MNIST images, no transform\n"
                    "        self.dataset = datasets.MNIST(root, train=True, download=True)  # expect\n"
                    "        self.data = self.dataset.data.unsqueeze(1).float()\n"
                ),
            },
            "a torchvision image dataset with no transform: bytes of 0..255, whatever the words around it",
            fixed=[],
        ),
        Example(
            {
                "train.py": (
                    "import numpy as np\nimport torch\n\n"
                    "data = np.load('points.npy')  # expect\n"
                    "real = torch.tensor(data, dtype=torch.float32)\n"
                ),
            },
            "a NumPy array straight into training",
            fixed=[],
        ),
        Example(
            {
                "data.py": (
                    "import pandas as pd\n\n"
                    "def load(path):\n"
                    "    df = pd.read_csv(path)  # expect\n"
                    "    return df.values\n"
                ),
            },
            "a CSV",
            fixed=[],
        ),
    ]
    good = [
        Example(
            {
                "datasets.py": (
                    "import numpy as np\nimport torch\n\n\n"
                    "class Sprites(object):\n"
                    "    def __init__(self, root='data/sprites_64x64.npz'):\n"
                    "        archive = np.load(root, allow_pickle=True)\n"
                    "        self.imgs = torch.from_numpy(archive['imgs']).float()\n\n"
                    "    def __getitem__(self, i):\n"
                    "        return self.imgs[i].view(1, 64, 64)\n"
                ),
            },
            "binary sprite images (0/1) from an .npz: already in [0, 1], nothing says 0..255",
        ),
        Example(
            {
                "train.py": (
                    "import numpy as np\n\n"
                    "data = np.load('points.npy')\n"
                    "data = (data - data.mean(0)) / data.std(0)\n"
                ),
            },
            "standardised",
        ),
        Example(
            {
                "train.py": (
                    "import torch\nfrom torchvision import datasets, transforms\n\n"
                    "tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])\n"
                    "ds = datasets.MNIST('data', download=True, transform=tf)\n"
                    "model.load_state_dict(torch.load('ckpt.pt'))\n"
                ),
            },
            "a dataset with Normalize; torch.load of a checkpoint is not data",
        ),
        Example(
            {"train.py": "import torch\nreal = torch.randn(64, 2) * 0.5 + 2.0\n"},
            "synthetic data: nothing is loaded",
        ),
        Example(
            {
                "vae.py": (
                    "import numpy as np\nimport torch\nimport torch.nn.functional as F\n\n"
                    "images = np.load('shapes.npz')['imgs']\n\n"
                    "def loss_fn(x, x_logits, mu, logvar):\n"
                    "    rec = F.binary_cross_entropy_with_logits(x_logits, x, reduction='sum')\n"
                    "    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.clamp(-10, 10).exp())\n"
                    "    return rec + kld\n"
                ),
            },
            "[0, 1] images for a Bernoulli decoder trained with BCE",
        ),
        Example(
            {
                "data.py": (
                    "import numpy as np\nfrom torchvision import datasets, transforms\n\n"
                    "tf = transforms.Compose([transforms.Resize(64), transforms.ToTensor()])\n"
                    "faces = datasets.ImageFolder('celeba', tf)\n"
                    "imgs = np.load('sprites.npz')['imgs']\n"
                ),
            },
            "images scaled to [0, 1] by ToTensor (binary sprites alike): scaled data, not unnormalised",
        ),
    ]


# transforms that scale images into [0, 1]: the data are scaled, not raw
_IMAGES = re.compile(r"img|image|picture|frames|mnist|dsprites|celeba|cifar|svhn|faces|sprites|pixels", re.I)
# bytes of 0..255 (a division by 255 is the scaling itself, not a sign of raw bytes)
_RANGE_255 = re.compile(r"uint8|(?<!div\()(?<!div_\()(?<!/)(?<!/ )\b255\b|\.byte\(\)|imread|Image\.open|frombuffer", re.I)


def _images_of_unknown_range(text: str, line: int) -> bool:
    """The load (and the lines around it, where its path and its array's key are) says it holds images,
    and nothing there says they are bytes of 0..255 (uint8, 255, .byte(), an image decoder): images stored
    as floats in [0, 1] or as 0/1 bits are already scaled, and the code cannot tell which."""
    lines = text.splitlines()
    window = "\n".join(lines[max(0, line - 4):line + 5])
    return bool(_IMAGES.search(window)) and not _RANGE_255.search(window)


_IMAGE_SCALING = re.compile(r"\b(?:ToTensor|ConvertImageDtype)\s*\(|\bToDtype\s*\([^)]*scale\s*=\s*True")

RULE = UnnormalizedData()
