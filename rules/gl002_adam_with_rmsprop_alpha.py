"""GL002 adam-with-rmsprop-alpha: the optimizer is Adam but the config sets RMSprop's smoothing constant
(document 003 3️⃣)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Edit, Finding, Fix, Severity
from ganlint.reading.code.links import add_kwarg, replace_code, segment, used_keys
from ganlint.reading.facts import ProjectFacts

ALPHA_KEYS = ("optim_alpha", "rmsprop_alpha", "alpha_rmsprop")


class AdamWithRmspropAlpha(Rule):
    code = "GL002"
    slug = "adam-with-rmsprop-alpha"
    severity = Severity.WARNING
    summary = "The optimizer is Adam/AdamW but the config sets RMSprop's smoothing constant (`optim_alpha`), which Adam ignores."
    why = (
        "`alpha` is RMSprop's moving-average constant. `torch.optim.Adam` has no such argument: its momentum "
        "and second-moment averaging are set by `betas`. A config that says `optim_alpha: 0.9` next to an "
        "Adam optimizer does nothing, while the user believes momentum is tuned; document 003's VAE kept "
        "Adam's default beta1 = 0.9 and its KL term oscillated."
    )
    use_instead = "Pass `betas=(0.5, 0.999)` to Adam (document 003 for VAEs) and drop or rename the `optim_alpha` key."
    source = "003 3️⃣"
    options = {"betas": [0.5, 0.999]}
    option_docs = {"betas": "the betas the fix passes to Adam"}
    fix_stage = 2
    fix_safety = "safe"
    fix_safety_why = (
        "The ignored key is removed and Adam gets the documented betas; when the code reads the key anywhere,"
        " the removal would break it and the rule does not report."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        opt = facts.code.optimizers
        adams = [o for o in opt if o.is_adam]
        if not adams or any(o.cls == "RMSprop" for o in opt):
            return
        chosen = facts.value("optimizer")
        if isinstance(chosen, str) and "rmsprop" in chosen.lower():
            return
        read = used_keys(facts)
        seen = set()
        for s in facts.settings:
            if not (s.canonical == "optim_alpha" or s.leaf in ALPHA_KEYS):
                continue
            if s.key in read or s.leaf in read or s.location in seen:
                continue  # the code passes it somewhere: not ignored
            seen.add(s.location)
            betas = tuple(opts["betas"])
            edits = [Edit("remove-setting", s.location.file, target=s.key, old=s.value)]
            for o in adams:
                if "betas" in o.kwargs:
                    continue
                old = segment(facts.texts, o.location)
                new = add_kwarg(old, f"betas={betas!r}") if old else None
                if new:
                    edits.append(replace_code(o.location, old, new))
            keeps = "" if all("betas" in o.kwargs for o in adams) else " and keeps its default betas=(0.9, 0.999)"
            yield self.finding(
                f"`{s.key} = {s.value}` is RMSprop's smoothing constant, but the optimizer is "
                f"{adams[0].cls}, which ignores it{keeps}; set momentum through betas, e.g. betas={betas!r}",
                s.location,
                related=[o.location for o in adams],
                fix=Fix(f"remove {s.key}; pass betas={betas!r} to {adams[0].cls}", edits),
                evidence={"key": s.key, "optimizers": [o.cls for o in adams]},
            )

    bad = [
        Example(
            {
                "config.py": "config = {}\nconfig['vae_lr'] = 5e-4\nconfig['optim_alpha'] = 0.9  # expect\n",
                "learner.py": (
                    "import torch\n\n"
                    "class Learner:\n"
                    "    def __init__(self, args, vae):\n"
                    "        self.args = args\n"
                    "        self.optimiser = torch.optim.Adam(vae.parameters(), lr=self.args['vae_lr'])\n"
                ),
            },
            "document 003: PyMARL config with Adam in the learner",
            fixed=[("config.py", "config['optim_alpha'] = 0.9  # expect\n", ""),
                   ("learner.py", "        self.optimiser = torch.optim.Adam(vae.parameters(), lr=self.args['vae_lr'])\n", "        self.optimiser = torch.optim.Adam(vae.parameters(), lr=self.args['vae_lr'], betas=(0.5, 0.999))\n")],
        ),
        Example(
            {
                "config.yaml": "optimizer:\n  lr: 1.0e-3\n  rmsprop_alpha: 0.99  # expect\n",
                "train.py": "import torch\nopt = torch.optim.AdamW(model.parameters(), lr=cfg.optimizer.lr, betas=(0.9, 0.999))\n",
            },
            "AdamW, a nested key",
            fixed=[("config.yaml", "  rmsprop_alpha: 0.99  # expect\n", "")],
        ),
    ]
    good = [
        Example(
            {
                "config.py": "config = {}\nconfig['lr'] = 5e-4\nconfig['optim_alpha'] = 0.99\n",
                "learner.py": (
                    "import torch\n"
                    "opt = torch.optim.RMSprop(params, lr=config['lr'], alpha=config['optim_alpha'])\n"
                ),
            },
            "RMSprop uses the key",
        ),
        Example(
            {
                "config.py": "config = {}\nconfig['optim_alpha'] = 0.5\n",
                "learner.py": (
                    "import torch\n"
                    "opt = torch.optim.Adam(params, lr=1e-4, betas=(config['optim_alpha'], 0.999))\n"
                ),
            },
            "the key feeds Adam's beta1: not ignored",
        ),
        Example(
            {"config.py": "config = {}\nconfig['optim_alpha'] = 0.99\n"},
            "no optimizer in the code read: the rule cannot know which one reads it",
        ),
    ]


RULE = AdamWithRmspropAlpha()
