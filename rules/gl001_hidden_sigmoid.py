"""GL001 hidden-sigmoid: a Sigmoid used as a hidden activation of a generator, critic, encoder, decoder or
energy network (document 000 §1.1)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Edit, Finding, Fix, Location, Severity
from ganlint.reading.code.links import keys_feeding, replace_code, segment, setting_for_key
from ganlint.reading.facts import ProjectFacts

ROLES = ("generator", "critic", "encoder", "decoder", "vae", "energy")


class HiddenSigmoid(Rule):
    code = "GL001"
    slug = "hidden-sigmoid"
    severity = Severity.WARNING
    runtime_fact = "hidden_sigmoid"  # the probe's name for this condition in the built networks
    summary = "A Sigmoid is used as a hidden activation of a generator, critic, encoder, decoder or energy network."
    why = (
        "A sigmoid saturates: for pre-activations beyond a few units its gradient is almost zero, and its "
        "output lives in (0, 1). Stacked as a hidden activation it starves the layers below of gradient and "
        "squeezes the representation; in document 000 a WGAN-GP whose hidden layers were all Sigmoid (picked "
        "by name from `non_linearity: Sigmoid`) learned the two modes' centres but none of their spread. A "
        "Sigmoid (or Tanh) as the *last* layer of a generator or a VAE decoder is a different matter and is "
        "not reported."
    )
    use_instead = (
        "`nn.LeakyReLU(0.2)` (or ReLU/ELU) in hidden layers; in the config, `non_linearity: LeakyReLU`. "
        "Keep output activations only where the data's range calls for them."
    )
    source = "000 §1.1"
    options = {"replacement": "LeakyReLU"}
    option_docs = {"replacement": "the activation name the config fix writes (the code fix writes LeakyReLU(0.2))"}
    fix_stage = 1
    fix_safety = "safe"
    fix_safety_why = (
        "The activation is swapped for LeakyReLU(0.2) where check found it hidden (the config key that picks "
        "it, or the layer); output activations are kept."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        seen: set = set()
        by_setting: dict[Location, tuple[Any, list, list[Location]]] = {}
        for net in facts.code.networks:
            if net.role not in ROLES:
                continue
            for act in net.activations:
                if act.position != "hidden":
                    continue
                if act.name == "Sigmoid":
                    # one report per sigmoid held in an attribute (`self.f = f` with f = torch.sigmoid,
                    # applied after each hidden layer): one cause, one finding
                    key = (net.name, (act.call_src or "").split("(")[0]) if act.via == "attribute" else None
                    if act.location not in seen and key not in seen:
                        seen.add(act.location)
                        if key is not None:
                            seen.add(key)
                        yield self._code_finding(facts, net.name, net.role, act)
                elif act.via == "by-name":
                    for s, extra in self._settings_reaching(facts, net, act):
                        entry = by_setting.setdefault(s.location, (s, [], []))
                        if net not in entry[1]:
                            entry[1].append(net)
                        for l in (act.getattr_location, act.location, *extra):
                            if l is not None and l not in entry[2]:
                                entry[2].append(l)
        for s, nets, related in by_setting.values():
            who = " and ".join(f"{n.role} `{n.name}`" for n in nets)
            params = sorted({a.by_name_param or a.by_name_key for n in nets for a in n.activations if a.via == "by-name"} - {None})
            yield self.finding(
                f"`{s.key}: {s.value}` picks the hidden activation of {who} (getattr(nn, {', '.join(params)})): "
                f"a hidden Sigmoid saturates and starves earlier layers of gradient; use {opts['replacement']}",
                s.location,
                related=related,
                fix=Fix(f"set {s.key} to {opts['replacement']}",
                        [Edit("set-setting", s.location.file, target=s.key, old=s.value, new=opts["replacement"])]),
                evidence={"networks": [n.name for n in nets], "key": s.key},
            )

    def _code_finding(self, facts, name, role, act) -> Finding:
        old = segment(facts.texts, act.location)
        edits: list[Edit] = []
        if act.via == "module" and old:
            edits.append(replace_code(act.location, old, "nn.LeakyReLU(0.2)"))
        elif act.via in ("functional", "attribute") and old and act.arg_src:
            edits.append(replace_code(act.location, old, f"torch.nn.functional.leaky_relu({act.arg_src}, 0.2)"))
        return self.finding(
            f"Sigmoid used as a hidden activation of {role} `{name}`: it saturates and starves earlier layers "
            "of gradient; use LeakyReLU(0.2)",
            act.location,
            fix=Fix("replace the hidden Sigmoid with LeakyReLU(0.2)", edits),
            evidence={"network": name, "role": role, "via": act.via},
        )

    def _settings_reaching(self, facts, net, act):
        """Settings whose value reaches this getattr(nn, name): through the constructor call sites."""
        found: list[tuple[Any, list[Location]]] = []
        if act.by_name_key:
            s = setting_for_key(facts, act.by_name_key)
            if s is not None:  # the call that passes the key, when the network was read with it
                found.append((s, [net.built_at] if net.built_at is not None else []))
        elif act.by_name_param:
            links = keys_feeding(facts, net, act.by_name_param)
            for ref, cons in links:
                s = setting_for_key(facts, ref.key)
                if s is not None:
                    found.append((s, [cons.location]))
            if not links and not facts.code.constructions_of(net.name):
                for s in facts.settings_for("activation"):
                    if s.leaf == act.by_name_param or s.role in (None, net.role):
                        found.append((s, []))
        return [(s, extra) for s, extra in found
                if isinstance(s.value, str) and s.value.strip().lower() == "sigmoid"]

    bad = [
        Example(
            {
                "config.yaml": "non_linearity: Sigmoid  # expect\nnn_gen: \"[256,256]\"\nz_dim: 16\n",
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class MLPGenerator(nn.Module):\n"
                    "    def __init__(self, non_linearity, hidden_dims, z_dim, output_dim=2):\n"
                    "        super().__init__()\n"
                    "        act = getattr(nn, non_linearity)\n"
                    "        layers, cur = [], z_dim\n"
                    "        for h in hidden_dims:\n"
                    "            layers.append(nn.Linear(cur, h))\n"
                    "            layers.append(act())\n"
                    "            cur = h\n"
                    "        layers.append(nn.Linear(cur, output_dim))\n"
                    "        self.model = nn.Sequential(*layers)\n\n"
                    "    def forward(self, z):\n"
                    "        return self.model(z)\n\n"
                    "class MLPDiscriminator(nn.Module):\n"
                    "    def __init__(self, non_linearity, hidden_dims, input_dim=2):\n"
                    "        super().__init__()\n"
                    "        act = getattr(nn, non_linearity, nn.LeakyReLU)\n"
                    "        layers, cur = [], input_dim\n"
                    "        for h in hidden_dims:\n"
                    "            layers += [nn.Linear(cur, h), act()]\n"
                    "            cur = h\n"
                    "        layers.append(nn.Linear(cur, 1))\n"
                    "        self.model = nn.Sequential(*layers)\n\n"
                    "    def forward(self, x):\n"
                    "        return self.model(x)\n"
                ),
                "train.py": (
                    "import yaml\nfrom model import MLPGenerator, MLPDiscriminator\n"
                    "cfg = yaml.safe_load(open('config.yaml'))\n"
                    "gen = MLPGenerator(cfg['non_linearity'], eval(cfg['nn_gen']), cfg['z_dim'])\n"
                    "critic = MLPDiscriminator(cfg['non_linearity'], eval(cfg['nn_gen']))\n"
                ),
            },
            "document 000: the activation is picked by name from the config; one finding, at the config line",
            fixed=[("config.yaml", "non_linearity: Sigmoid  # expect\n", "non_linearity: LeakyReLU # expect\n")],
        ),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(\n"
                    "            nn.Linear(2, 128),\n"
                    "            nn.Sigmoid(),  # expect\n"
                    "            nn.Linear(128, 1),\n"
                    "        )\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n\n"
                    "class Encoder(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc1 = nn.Linear(16, 64)\n"
                    "        self.fc2 = nn.Linear(64, 8)\n\n"
                    "    def forward(self, x):\n"
                    "        h = torch.sigmoid(self.fc1(x))  # expect\n"
                    "        return self.fc2(h)\n"
                ),
            },
            "a Sigmoid inside a stack, and a functional sigmoid on an intermediate value",
            fixed=[("            nn.Sigmoid(),  # expect\n", "            nn.LeakyReLU(0.2),  # expect\n"),
                   ("        h = torch.sigmoid(self.fc1(x))  # expect\n", "        h = torch.nn.functional.leaky_relu(self.fc1(x), 0.2)  # expect\n")],
        ),
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class EnergyNet(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc1 = nn.Linear(8, 64)\n"
                    "        self.act = nn.Sigmoid()\n"
                    "        self.head = nn.Linear(64, 1)\n\n"
                    "    def forward(self, x):\n"
                    "        h = self.act(self.fc1(x))  # expect\n"
                    "        return self.head(h.view(h.size(0), -1))\n"
                ),
            },
            "an attribute activation applied before another layer",
            fixed=[("        h = self.act(self.fc1(x))  # expect\n", "        h = torch.nn.functional.leaky_relu(self.fc1(x), 0.2)  # expect\n")],
        ),
        Example(
            {
                "hparams.py": "ENC_ACT = 'sigmoid'  # expect\n",
                "vae.py": (
                    "import torch.nn as nn\nfrom hparams import ENC_ACT\n\n"
                    "ACTS = {'relu': nn.ReLU, 'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh}\n\n"
                    "class Encoder(nn.Module):\n"
                    "    def __init__(self, act, dims):\n"
                    "        super().__init__()\n"
                    "        layers = []\n"
                    "        for a, b in zip(dims, dims[1:]):\n"
                    "            layers += [nn.Linear(a, b), ACTS[act]()]\n"
                    "        self.net = nn.Sequential(*layers, nn.Linear(dims[-1], 4))\n\n"
                    "enc = Encoder(ENC_ACT, [16, 64, 64])\n"
                ),
            },
            "an activation table indexed by a constructor parameter fed from a module constant",
            fixed=[("hparams.py", "ENC_ACT = 'sigmoid'  # expect\n", "ENC_ACT = 'LeakyReLU'  # expect\n")],
        ),
    ]
    good = [
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(16, 128), nn.LeakyReLU(0.2), nn.Linear(128, 2), nn.Tanh())\n\n"
                    "    def forward(self, z):\n"
                    "        return self.net(z)\n\n"
                    "class Decoder(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid())\n\n"
                    "    def forward(self, z):\n"
                    "        return self.net(z)\n\n"
                    "class ImageGenerator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(16, 784)\n\n"
                    "    def forward(self, z):\n"
                    "        return torch.sigmoid(self.fc(z))\n"
                ),
            },
            "output activations: generator Tanh/Sigmoid, VAE decoder's last Sigmoid",
        ),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class AttentionGate(nn.Module):\n"
                    "    def __init__(self, c):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(c, c)\n"
                    "        self.out = nn.Linear(c, c)\n\n"
                    "    def forward(self, x):\n"
                    "        g = torch.sigmoid(self.fc(x))\n"
                    "        return self.out(x * g)\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(8, 8)\n"
                    "        self.gate = nn.Linear(8, 8)\n\n"
                    "    def forward(self, x):\n"
                    "        return self.fc(x) * torch.sigmoid(self.gate(x))\n"
                ),
            },
            "gates: a sigmoid in a non-role module, and a gating product at the output",
        ),
        Example(
            {
                "config.yaml": "non_linearity: LeakyReLU\nout_act: Sigmoid\n",
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class MLPGenerator(nn.Module):\n"
                    "    def __init__(self, non_linearity, out_act, dims):\n"
                    "        super().__init__()\n"
                    "        act = getattr(nn, non_linearity)\n"
                    "        layers, cur = [], 2\n"
                    "        for h in dims:\n"
                    "            layers += [nn.Linear(cur, h), act()]\n"
                    "            cur = h\n"
                    "        layers += [nn.Linear(cur, 2), getattr(nn, out_act)()]\n"
                    "        self.model = nn.Sequential(*layers)\n\n"
                    "    def forward(self, z):\n"
                    "        return self.model(z)\n"
                ),
                "train.py": (
                    "import yaml\nfrom model import MLPGenerator\ncfg = yaml.safe_load(open('config.yaml'))\n"
                    "gen = MLPGenerator(cfg['non_linearity'], cfg['out_act'], [64, 64])\n"
                ),
            },
            "the repaired config; a Sigmoid picked by name for the output layer only",
        ),
    ]


RULE = HiddenSigmoid()
