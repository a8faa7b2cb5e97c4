"""GL112 gan-adam-default-betas: a GAN uses Adam with beta1 = 0.9 (document 002 §3(3))."""
from __future__ import annotations

import ast
import re
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.roles import name_tokens, role_from_name
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import add_kwarg, numeric, replace_code, segment, setting_for_key
from ganlint.reading.facts import ProjectFacts

_NETS = (
    "import torch.nn as nn\n\n"
    "class Generator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Linear(16, 2)\n\n"
    "class Discriminator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Linear(2, 1)\n"
)


def _third_network(facts: ProjectFacts, o) -> bool:
    """An optimizer over a named network that is neither player (an auxiliary classifier trained beside G
    and D): other optimizers of its file already train the generator and the critic, over other networks."""
    if not o.network_var or {"generator", "critic"} & set(o.trains):
        return False
    others = [p for p in facts.code.optimizers if p.location.file == o.location.file and p is not o]
    roles = {_player_role(facts, p) for p in others}
    return {"generator", "critic"} <= roles and o.network_var not in {p.network_var for p in others}


# a logistic regression or a regressor is never a GAN player; a bare `Classifier` with no critic optimizer
# beside it may be the real/fake discriminator by another name, so that word is not here
_REGRESSION_WORDS = {"logistic", "regression", "logreg", "regressor"}


def _regression_model(facts: ProjectFacts, o) -> bool:
    """An optimizer over a network built from a class named as a regression (`classifier =
    LogisticRegression(...).to(device)`, then `Adam(classifier.parameters())`): it trains no G or D."""
    var = o.network_var
    if not var or {"generator", "critic"} & set(o.trains):
        return False
    names = [var.rsplit(".", 1)[-1]] + [c.cls for c in facts.code.constructions if c.var == var]
    built = re.compile(rf"^[ \t]*{re.escape(var)}[ \t]*=[ \t]*([A-Za-z_][\w.]*)\(", re.M)
    names += [m.group(1).rsplit(".", 1)[-1] for m in built.finditer(facts.texts.get(o.location.file, ""))]
    return any(_REGRESSION_WORDS & set(name_tokens(n)) for n in names)


_CLASS_LOSS = re.compile(r"\b(?:cross_entropy|CrossEntropyLoss|nll_loss|NLLLoss)\s*\(")
_PLAYER_LETTER = re.compile(r"^(?:[GDgd]\d*|net[GD]\w*|[GD]_\w+)$")  # G, D2, netD, G_AB (not GPU)
_GAN_WORDS = {"fake", "fakes", "real", "adversarial", "gan", "wgan", "dcgan", "penalty", "gp"}


def _classifier_file(facts: ProjectFacts, o) -> bool:
    """The optimizer's file trains a classifier and nothing of a GAN: a cross-entropy (or NLL) loss on labels,
    and no name in the file says a generator, a critic, a fake or a penalty, and no GAN fact (a penalty,
    clipping, a BCE on a discriminator, a judged fake) lies in it: a Lightning template classifier kept beside
    the GAN modules (`y_hat = self(x); F.cross_entropy(y_hat, y)`)."""
    file = o.location.file
    text = facts.texts.get(file, "")
    if not _CLASS_LOSS.search(text):
        return False
    code = facts.code
    gan_facts = (code.penalties, code.weight_clips, code.critic_bces, code.undetached_fakes, code.judged_fakes)
    if any(getattr(x, "location", x).file == file for xs in gan_facts for x in xs):
        return False
    if any(s.bce_location.file == file for s in code.sigmoid_bces) or any(f == file for f, _ in code.fake_makers):
        return False
    for word in set(re.findall(r"[A-Za-z_]\w*", text)):
        words = [t for t in name_tokens(word) if len(t) > 1]  # `c_d1`, `BatchNorm1d`: a layer's `d` names no critic
        if _GAN_WORDS & set(words) or _PLAYER_LETTER.match(word):
            return False
        if words and role_from_name("_".join(words)) in ("generator", "critic"):
            return False
    return True


def _makes_the_fakes(facts: ProjectFacts, o) -> bool:
    """The optimizer trains the network whose output (or a part's: `vae.decoder(z)`) a critic of its file
    judges as the fake: a VAE-GAN's VAE or decoder is its generator, whatever its name says."""
    src = o.params_src or ""
    for file, maker in facts.code.fake_makers:
        if file != o.location.file:
            continue
        parts = maker.split(".")
        if any(f"{'.'.join(parts[:i])}.parameters()" in src for i in range(1, len(parts) + 1)):
            return True
    return False


def _player_role(facts: ProjectFacts, o) -> str | None:
    role = o.role or facts.code.role_of_var(o.network_var)
    if role in ("vae", "decoder") and _makes_the_fakes(facts, o):
        return "generator"  # a VAE-GAN's VAE: the player whose decoder makes the fakes
    return role


class GanAdamDefaultBetas(Rule):
    code = "GL112"
    slug = "gan-adam-default-betas"
    severity = Severity.WARNING
    summary = "A GAN uses Adam with beta1 = 0.9 (the default, when `betas` is not passed)."
    why = (
        "Adam's default momentum beta1 = 0.9 averages gradients over ~10 steps. In a two-player game the "
        "target moves every step, so heavy momentum keeps pushing in stale directions and makes the players "
        "orbit instead of converge. DCGAN and document 002 use beta1 = 0.5; WGAN-GP uses (0.0 or 0.5, 0.9). "
        "A VAE-GAN's VAE, whose decoder makes the batch the discriminator judges, is its generator."
    )
    use_instead = "`torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))`; for WGAN-GP `betas=(0.5, 0.9)` (or `(0.0, 0.9)`)."
    source = "002 §3(3)"
    families = ("gan", "wgan", "wgan-gp")
    options = {"max_beta1": 0.5, "gan_betas": [0.5, 0.999], "wgan_betas": [0.5, 0.9]}
    option_docs = {
        "max_beta1": "beta1 above this fires the rule",
        "gan_betas": "betas proposed for a standard GAN",
        "wgan_betas": "betas proposed for WGAN / WGAN-GP",
    }
    fix_stage = 2
    fix_safety = "safe"
    fix_safety_why = (
        "Adam's betas are set to the documented values; the learning rate is not touched."
    )

    def _beta1(self, facts: ProjectFacts, o) -> tuple[float | None | str, Any]:
        """(beta1 of the optimizer call, the setting it comes from when a name in `betas=(name, ...)` reads one)."""
        arg = o.kwargs.get("betas")
        if arg is None:
            return ("unknown", None) if o.opaque else (0.9, None)
        val, src = (arg.literal if arg.has_literal else None), None
        if val is None and arg.ref is not None:
            s = setting_for_key(facts, arg.ref.key, o.location.file)
            val, src = (s.value, s) if s is not None else (None, None)
        if val is None:
            # betas=(beta1, 0.999) with beta1 a module constant or a config value
            try:
                node = ast.parse(arg.src.strip(), mode="eval").body
            except SyntaxError:
                node = None
            if isinstance(node, ast.Tuple) and node.elts:
                first = node.elts[0]
                name = first.id if isinstance(first, ast.Name) else first.attr if isinstance(first, ast.Attribute) else None
                s = setting_for_key(facts, name, o.location.file) if name else None
                if s is not None and numeric(s.value):
                    return float(s.value), s
        if isinstance(val, (list, tuple)) and val and numeric(val[0]):
            return float(val[0]), src
        return "unknown", None

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        fams = facts.families()
        wgan = bool(fams & {"wgan", "wgan-gp"})
        betas = tuple(opts["wgan_betas"] if wgan else opts["gan_betas"])
        reported: set = set()  # one finding per beta1 setting shared by several optimizers (`betas=(opt.b1, ...)`)
        for o in facts.code.optimizers:
            if o.cls not in ("Adam", "AdamW"):
                continue
            role = _player_role(facts, o)
            other_net = role is None and (_third_network(facts, o) or _regression_model(facts, o)
                                          or _classifier_file(facts, o))
            if role not in (None, "generator", "critic") or o.tensors or other_net:
                continue  # another network's, or latent codes searched for a frozen generator: no GAN player's
            b1, source = self._beta1(facts, o)
            if not isinstance(b1, float) or b1 <= float(opts["max_beta1"]):
                continue
            arg = o.kwargs.get("betas")
            shared = arg is not None and not o.location.line <= arg.location.line <= (o.location.end_line or o.location.line)
            if source is not None or shared:  # `betas = (.9, .99)` passed by name to both: one place to change
                at = source.location if source is not None else arg.location
                where = (at.file, at.line, at.column)
                if where in reported:
                    continue
                reported.add(where)
            old = segment(facts.texts, o.location)
            edits = []
            if arg is None:  # (a helper that passes no **kwargs on to the optimizer would not take betas=)
                new = add_kwarg(old, f"betas={betas!r}") if old and o.forwards_keywords else None
                if new:
                    edits.append(replace_code(o.location, old, new))
            elif arg.has_literal:
                edits.append(replace_code(arg.location, arg.src, repr(betas)))
            what = "without betas (beta1 = 0.9 by default)" if arg is None else f"with betas={arg.src}"
            fam = "WGAN-GP" if "wgan-gp" in fams else "WGAN" if wgan else "GAN"
            yield self.finding(
                f"{o.cls} for the {role or 'GAN'} {what}: momentum 0.9 makes the two players orbit; "
                f"use betas={betas!r} for a {fam}",
                o.location,
                fix=Fix(f"pass betas={betas!r}", edits),
                evidence={"optimizer": o.cls, "beta1": b1, "role": role},
            )

    bad = [
        Example(
            {
                "model.py": _NETS,
                "train.py": (
                    "import argparse\nimport torch\nfrom model import Discriminator, Generator\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--b1', type=float, default=0.9)\n"
                    "parser.add_argument('--b2', type=float, default=0.999)\n"
                    "opt = parser.parse_args()\n"
                    "G, D = Generator(), Discriminator()\n"
                    "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(opt.b1, opt.b2))  # expect\n"
                    "opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(opt.b1, opt.b2))\n"
                ),
            },
            "one --b1 flag read by both optimizers: one finding, not one per optimizer",
            fixed=[]),
        Example(
            {
                "model.py": _NETS,
                "train.py": (
                    "import torch\nfrom model import Discriminator, Generator\n"
                    "G, D = Generator(), Discriminator()\n"
                    "betas = (.9, .99)\n"
                    "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=betas)  # expect\n"
                    "opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=betas)\n"
                ),
            },
            "one betas tuple passed by name to both optimizers: one finding, its fix at the tuple",
            fixed=[("train.py", "betas = (.9, .99)\n", "betas = (0.5, 0.999)\n")]),
        Example(
            {
                "model.py": _NETS,
                "train.py": (
                    "import torch\nfrom model import Discriminator, Generator\n"
                    "G, D = Generator(), Discriminator()\n"
                    "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4)  # expect\n"
                    "opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.9, 0.999))  # expect\n"
                ),
            },
            "document 002: Adam defaults",
            fixed=[("train.py", "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4)  # expect\nopt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.9, 0.999))  # expect\n", "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))  # expect\nopt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))  # expect\n")],
        ),
        Example(
            {
                "config.yaml": "grad_penalty: 10\nn_critic: 5\nbetas: [0.9, 0.99]\n",
                "model.py": _NETS,
                "train.py": (
                    "import torch\nimport yaml\nfrom model import Discriminator, Generator\n"
                    "cfg = yaml.safe_load(open('config.yaml'))\n"
                    "gen, critic = Generator(), Discriminator()\n"
                    "opt_d = torch.optim.Adam(critic.parameters(), lr=1e-4,  # expect\n"
                    "                         betas=cfg['betas'])\n"
                ),
            },
            "WGAN-GP with betas from the config",
            fixed=[],
        ),
        Example(
            {
                "vaegan.py": (
                    "import torch\nimport torch.nn as nn\n\n\n"
                    "class VAE(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.enc = nn.Linear(784, 32)\n"
                    "        self.decoder = nn.Sequential(nn.Linear(16, 784), nn.Sigmoid())\n\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Linear(784, 1)\n\n\n"
                    "vae, D = VAE(), Discriminator()\n"
                    "opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.999))\n"
                    "opt_vae = torch.optim.Adam(vae.parameters(), lr=1e-4)  # expect\n"
                    "for x in loader:\n"
                    "    fake = vae.decoder(torch.randn(x.size(0), 16))\n"
                    "    d_loss = -(torch.log(D(x)) + torch.log(1 - D(fake.detach()))).mean()\n"
                ),
            },
            "a VAE-GAN: the discriminator judges what the VAE's decoder makes, so the VAE is the generator",
            fixed=[("opt_vae = torch.optim.Adam(vae.parameters(), lr=1e-4)  # expect\n",
                    "opt_vae = torch.optim.Adam(vae.parameters(), lr=1e-4, betas=(0.5, 0.999))  # expect\n")],
        ),
    ]
    good = [
        Example(
            {
                "model.py": _NETS,
                "train.py": (
                    "import torch\nfrom model import Discriminator, Generator\n"
                    "G, D = Generator(), Discriminator()\n"
                    "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))\n"
                    "opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.9))\n"
                    "opt_x = torch.optim.Adam(D.parameters(), lr=2e-4, betas=cfg.betas)\n"
                ),
            },
            "beta1 0.5 / 0.0; betas from an unknown place stay silent",
        ),
        Example(
            {
                "vae.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Encoder(nn.Module):\n    pass\n\n"
                    "class Decoder(nn.Module):\n    pass\n\n"
                    "opt = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
                ),
            },
            "not a GAN",
        ),
        Example(
            {
                "model.py": _NETS,
                "train.py": (
                    "import torch\nfrom model import Discriminator, Generator\n\n"
                    "class Trainer:\n"
                    "    def __init__(self, optim_kwargs=dict(lr=2e-4, betas=(0.5, 0.9))):\n"
                    "        self.G, self.D = Generator(), Discriminator()\n"
                    "        self.opt_d = torch.optim.Adam(self.D.parameters(), **optim_kwargs)\n"
                ),
            },
            "betas may come through **optim_kwargs: not assumed to be the default",
        ),
    ]


RULE = GanAdamDefaultBetas()
