"""GL102 critic-weaker-than-generator: the critic/discriminator has fewer hidden units or parameters than
the generator (document 000 §1.2)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Edit, Finding, Fix, Setting, Severity
from ganlint.reading.code.links import keys_feeding, numeric, setting_for_key
from ganlint.reading.facts import ProjectFacts


MAX_WIDTH = 2**40  # wider than any layer can be: such a list is not layer widths (and 1e308 * 1e308 overflows)


def _widths(value: Any) -> list[int] | None:
    if isinstance(value, (list, tuple)) and value and all(numeric(v) and 0 < v < MAX_WIDTH for v in value):
        return [int(v) for v in value]
    return None


def _params(w: list[int]) -> int:
    return sum(a * b for a, b in zip(w, w[1:])) + sum(w)


class CriticWeakerThanGenerator(Rule):
    code = "GL102"
    slug = "critic-weaker-than-generator"
    severity = Severity.WARNING
    summary = "The critic/discriminator has fewer hidden units or parameters than the generator (e.g. `nn_disc: [32,128]` vs `nn_gen: [256,256]`)."
    why = (
        "The generator learns only through the critic's gradients. A critic smaller than the generator cannot "
        "represent the difference between the two distributions finely enough, so its feedback is coarse and "
        "the generator learns the modes' positions but not their shape. WGAN theory asks for a critic close "
        "to optimal, i.e. at least as strong as the generator (document 000 §1.2)."
    )
    use_instead = "Give the critic at least the generator's widths: `nn_disc: \"[256,256]\"` next to `nn_gen: \"[256,256]\"`."
    source = "000 §1.2"
    families = ("gan", "wgan", "wgan-gp")
    options = {"min_ratio": 1.0}
    option_docs = {"min_ratio": "fire when critic units or parameters are below this fraction of the generator's"}
    fix_stage = 1

    def _role_settings(self, facts: ProjectFacts, role: str) -> list[Setting]:
        found = {s.key: s for s in facts.settings_for("hidden_sizes", role=role) if _widths(s.value)}
        for net in facts.code.networks_with_role(role):
            for param in net.width_params:
                for ref, _c in keys_feeding(facts, net, param):
                    s = setting_for_key(facts, ref.key)
                    if s is not None and _widths(s.value):
                        found.setdefault(s.key, s)
        return list(found.values())

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        ratio = float(opts["min_ratio"])
        gens = self._role_settings(facts, "generator")
        critics = self._role_settings(facts, "critic")
        if gens and critics:
            g = gens[-1]
            gw = _widths(g.value)
            for c in critics:
                cw = _widths(c.value)
                if sum(cw) < ratio * sum(gw) or _params(cw) < ratio * _params(gw):
                    yield self.finding(
                        f"critic widths {c.key} = {cw} are weaker than the generator's {g.key} = {gw} "
                        f"({sum(cw)} vs {sum(gw)} hidden units): the critic's gradients are too coarse; "
                        f"use {gw}",
                        c.location,
                        related=[g.location],
                        fix=Fix(f"set {c.key} to the generator's widths {gw}",
                                [Edit("set-setting", c.location.file, target=c.key, old=c.value, new=list(gw))]),
                        evidence={"critic": cw, "generator": gw},
                    )
            return
        gnets = [n for n in facts.code.networks_with_role("generator") if _widths(n.hidden_widths)]
        cnets = [n for n in facts.code.networks_with_role("critic") if _widths(n.hidden_widths)]
        if len(gnets) == 1 and cnets:
            gw = _widths(gnets[0].hidden_widths)
            for net in cnets:
                cw = _widths(net.hidden_widths)
                if sum(cw) < ratio * sum(gw) or _params(cw) < ratio * _params(gw):
                    loc = next((l.location for st in net.stacks for l in st.layers if l.weighted), net.location)
                    yield self.finding(
                        f"critic `{net.name}` hidden widths {cw} are weaker than generator `{gnets[0].name}`'s {gw}: "
                        "its gradients are too coarse; match the generator's widths",
                        loc,
                        related=[gnets[0].location],
                        fix=Fix(f"give `{net.name}` the hidden widths {gw}", []),
                        evidence={"critic": cw, "generator": gw},
                    )

    bad = [
        Example(
            {
                "config.yaml": "grad_penalty: 10\nnn_gen: \"[256,256]\"\nnn_disc: \"[32,128]\"  # expect\n",
            },
            "document 000's string-lists",
        ),
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1))  # expect\n"
                ),
            },
            "literal widths in code",
        ),
        Example(
            {
                "config.yaml": "net_a: \"[256, 256]\"\nnet_b: \"[64, 64]\"  # expect\n",
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self, dims):\n"
                    "        super().__init__()\n"
                    "        layers, cur = [], 16\n"
                    "        for h in dims:\n"
                    "            layers += [nn.Linear(cur, h), nn.ReLU()]\n"
                    "            cur = h\n"
                    "        self.net = nn.Sequential(*layers, nn.Linear(cur, 2))\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self, dims):\n"
                    "        super().__init__()\n"
                    "        layers, cur = [], 2\n"
                    "        for h in dims:\n"
                    "            layers += [nn.Linear(cur, h), nn.ReLU()]\n"
                    "            cur = h\n"
                    "        self.net = nn.Sequential(*layers, nn.Linear(cur, 1))\n"
                ),
                "train.py": (
                    "import yaml\nfrom model import Critic, Generator\ncfg = yaml.safe_load(open('config.yaml'))\n"
                    "G = Generator(eval(cfg['net_a']))\nD = Critic(dims=eval(cfg['net_b']))\n"
                ),
            },
            "keys whose names say nothing: the roles come from the constructors in the code",
        ),
    ]
    good = [
        Example(
            {"config.yaml": "grad_penalty: 10\nnn_gen: \"[256,256]\"\nnn_disc: \"[256,256]\"\n"},
            "the repaired 000",
        ),
        Example(
            {"config.json": "{\"g_hidden\": [128, 128], \"d_hidden\": [256, 128]}\n"},
            "a larger critic",
        ),
        Example(
            {"config.yaml": "nn_gen: \"[256,256]\"\nencoder_hidden: \"[32,32]\"\n"},
            "an encoder is not the critic",
        ),
    ]


RULE = CriticWeakerThanGenerator()
