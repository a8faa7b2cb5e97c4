"""GL004 unnormalized-data: data is loaded and nothing standardises it (document 000 §1.5)."""
from __future__ import annotations

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
    options: dict[str, Any] = {}
    fix_safety = "display-only"
    fix_safety_why = (
        "Standardising changes what the model learns and how samples map back: a person decides."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        code = facts.code
        if not code.data_loads or code.normalizations:
            return
        if facts.settings_for("normalize"):
            return
        critic_bce = {m.location for m in code.critic_bces}
        if "vae" in facts.families() and any(
                l.kind in ("bce", "bce_logits") and l.location not in critic_bce for l in code.losses):
            return  # a Bernoulli decoder's BCE needs the data in [0, 1]: standardising it would be the bug
        for load in code.data_loads:
            yield self.finding(
                f"data loaded by `{load.src or load.kind}` is never standardised (no `(x - mean) / std`, "
                "Normalize or scaler anywhere, no normalisation setting): standardise it to mean 0, std 1",
                load.location,
                fix=Fix("standardise the loaded data: x = (x - x.mean(0)) / x.std(0)", []),
                evidence={"loader": load.kind},
            )

    bad = [
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
    ]


RULE = UnnormalizedData()
