"""GL303 energy-grad-clip-missing: an energy model is trained without gradient-norm clipping (document 004)."""
from __future__ import annotations

import re
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Edit, Finding, Fix, Severity
from ganlint.reading.code.links import insert_code
from ganlint.reading.code.recognise.energy import energy_training_sites, serves
from ganlint.reading.facts import ProjectFacts

_MODEL = (
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
    "class EnergyModel(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.head = nn.Linear(12, 1)\n\n"
    "    def forward(self, h, a):\n"
    "        return self.head(torch.cat([h, a], -1)).squeeze(-1)\n\n"
)

_NETS = (
    "import torch.nn as nn\n\n"
    "class MLP(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.body = nn.Sequential(nn.Linear(2, 128), nn.ELU(), nn.Linear(128, 1))\n\n"
    "    def forward(self, x):\n"
    "        return self.body(x).squeeze(-1)\n"
)


def _program(data: str, expect: str = "", clip: str = "") -> str:
    """A module-level toy-EBM script (the ebm-anatomy style): an optimizer picked from a dict, a short-run
    Langevin sampler, and `gap.backward(); opt.step()`."""
    return (
        "import torch\nfrom nets import MLP\n\n"
        f"DATA = '{data}'\nLR, NOISE, STEPS = 0.05, 0.01, 40\n\n"
        "net = MLP()\n"
        "opt_choices = {'adam': torch.optim.Adam, 'sgd': torch.optim.SGD}\n"
        f"opt = opt_choices['sgd'](net.parameters(), lr=LR){expect}\n\n"
        "def shortrun(x):\n"
        "    x = x.clone().requires_grad_(True)\n"
        "    for _ in range(STEPS):\n"
        "        dx = torch.autograd.grad(net(x).sum(), [x])[0]\n"
        "        x.data += -dx + NOISE * torch.randn_like(x)\n"
        "    return x.detach()\n\n"
        "for it in range(1000):\n"
        "    pos = torch.randn(64, 2)\n"
        "    gap = net(pos).mean() - net(shortrun(torch.rand(64, 2))).mean()\n"
        "    opt.zero_grad()\n"
        "    gap.backward()\n"
        f"{clip}"
        "    opt.step()\n"
    )


_LANGEVIN = (
    "import torch\n\n"
    "def langevin(energy, x, steps=60, step_size=10.0, noise=0.005):\n"
    "    x = x.clone().requires_grad_(True)\n"
    "    for _ in range(steps):\n"
    "        g = torch.autograd.grad(energy(x).sum(), [x])[0]\n"
    "        x = (x - step_size * g + noise * torch.randn_like(x)).detach().requires_grad_(True)\n"
    "    return x.detach()\n"
)


def _passed_optimizer_trainer(step: str) -> str:
    """A training function of a notebook-driven project: it steps the optimizer its caller passes in."""
    return (
        "import torch\n\n"
        "def train_ebm(energy, optimizer, loader, sample, epochs=10):\n"
        "    for epoch in range(epochs):\n"
        "        for x in loader:\n"
        "            neg = sample(energy, torch.rand_like(x))\n"
        "            loss = energy(x).mean() - energy(neg).mean()\n"
        "            optimizer.zero_grad()\n"
        "            loss.backward()\n"
        f"{step}"
    )


_PROBE = (
    "import torch\nimport torch.nn as nn\n\n"
    "clf = nn.Linear(2, 4)\n"
    "opt = torch.optim.Adam(clf.parameters(), lr=1e-3)\n"
    "for x, y in [(torch.randn(8, 2), torch.randint(0, 4, (8,)))]:\n"
    "    loss = nn.functional.cross_entropy(clf(x), y)\n"
    "    opt.zero_grad()\n    loss.backward()\n    opt.step()\n"
)
_CLIP = "    torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)\n"


class EnergyGradClipMissing(Rule):
    code = "GL303"
    slug = "energy-grad-clip-missing"
    severity = Severity.WARNING
    summary = "An energy model is trained without gradient-norm clipping."
    why = (
        "Contrastive energy training produces rare, very large gradients: a single hard negative, or a "
        "saturated head coming back to life, moves the energies of the whole batch. Without a bound on the "
        "gradient norm these steps undo the ranking learned so far, and document 004's run oscillated until "
        "clipping at 0.3 (raised progressively to 0.5) was added."
    )
    use_instead = "`torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.3)` between `loss.backward()` and `opt.step()`."
    source = "004"
    families = ("energy",)
    options = {"max_norm": 0.3}
    option_docs = {"max_norm": "the clipping norm the fix inserts"}
    fix_stage = 1

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        code = facts.code
        if facts.settings_for("grad_clip"):
            return
        sites = energy_training_sites(facts)  # none: the training loop is not in the files read
        files = {o.location.file for o in sites}
        for o in sites:
            if any(serves(o.location.file, c.location.file, files) for c in code.grad_clips):
                continue
            yield self._finding(code, o, opts)
        if not code.optimizers and not code.grad_clips and not facts.families() & {"gan", "wgan", "wgan-gp", "vae"}:
            step = self._step_of_a_passed_optimizer(facts)
            if step is not None:
                yield self.finding(
                    f"the energy model is trained by `{step.src}` (an optimizer its caller passes in) without "
                    "gradient-norm clipping: single hard negatives produce steps that undo the learned ranking; clip "
                    f"to max_norm={opts['max_norm']} before the step",
                    step.location, fix=Fix(f"clip_grad_norm_(..., max_norm={opts['max_norm']}) before the step", []),
                    evidence={"optimizer": None})

    @staticmethod
    def _step_of_a_passed_optimizer(facts: ProjectFacts):
        """`def train_ebm(model, optimizer, ...)`: the project builds no optimizer, its training function steps
        the one it is given. The first such step in a file that shows the energy training or imports one that
        does (the Langevin sampler in sampling.py), else in the project's only file that steps one."""
        from ganlint.reading.import_graph import importers_of

        shown = {m.location.file for m in [*facts.code.langevin, *facts.code.infonce]}
        reach = shown | importers_of(facts, shown)
        backward = {b.location.file for b in facts.code.backward_calls}
        steps = [m for m in facts.code.optimizer_steps if m.location.file in backward and _steps_a_parameter(facts, m)]
        near = [m for m in steps if m.location.file in reach]
        if not near and len({m.location.file for m in steps}) == 1:
            near = steps  # files tied together by a notebook, not imports: the project's one training file
        return min(near, key=lambda m: (m.location.file, m.location.line), default=None)

    def _finding(self, code, o, opts: dict[str, Any]) -> Finding:
        edits = []
        after = [b for b in code.backward_calls if b.location.file == o.location.file and b.location.line > o.location.line]
        if after and o.params_src:
            edits.append(insert_code(after[0].location,
                                     f"torch.nn.utils.clip_grad_norm_({o.params_src}, max_norm={opts['max_norm']})",
                                     anchor=after[0].src))
        return self.finding(
            f"the energy model is trained by {o.cls or 'an optimizer chosen at run time'} without gradient-norm clipping: single hard negatives "
            f"produce steps that undo the learned ranking; clip to max_norm={opts['max_norm']}",
            o.location,
            related=[b.location for b in after[:1]] + [m.location for m in self._step_after(code, o, after[:1])],
            fix=Fix(f"clip_grad_norm_(..., max_norm={opts['max_norm']}) after backward()", edits),
            evidence={"optimizer": o.cls},
        )

    @staticmethod
    def _step_after(code, o, backward) -> list:
        """The energy optimizer's own `.step()` after that backward(): where the clip must come before."""
        if not backward or not o.var:
            return []
        return [m for m in code.optimizer_steps if m.location.file == o.location.file
                and m.location.line > backward[0].location.line and m.src.startswith(f"{o.var}.")][:1]

    bad = [
        Example(
            {
                "model.py": _MODEL + (
                    "def train(model, batches, tau=0.3):\n"
                    "    opt = torch.optim.Adam(model.parameters(), lr=1e-4)  # expect\n"
                    "    for h, a in batches:\n"
                    "        E = model(h.repeat_interleave(len(h), 0), a.repeat(len(h), 1)).view(len(h), -1)\n"
                    "        loss = F.cross_entropy(-E / tau, torch.arange(len(h)))\n"
                    "        opt.zero_grad()\n"
                    "        loss.backward()\n"
                    "        opt.step()\n"
                ),
            },
            "document 004's loop",
            fixed=[("        loss.backward()\n", "        loss.backward()\n        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.3)\n")],
        ),
        Example(
            {
                "ebm.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class EBM(nn.Module):\n"
                    "    def forward(self, x):\n"
                    "        return x.sum(-1)\n\n"
                    "model = EBM()\n"
                    "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)  # expect\n"
                ),
            },
            "an EBM with SGD",
            fixed=[],
        ),
        Example(
            {
                "ebm.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Net(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.f = nn.Sequential(nn.Linear(2, 64), nn.SiLU(), nn.Linear(64, 1))\n\n"
                    "    def forward(self, x):\n"
                    "        return self.f(x).squeeze(-1)\n\n"
                    "def sample(net, x, steps=20):\n"
                    "    for _ in range(steps):\n"
                    "        x = x.detach().requires_grad_(True)\n"
                    "        g = torch.autograd.grad(net(x).sum(), [x])[0]\n"
                    "        x = x + 0.01 * g + 0.005 * torch.randn_like(x)\n"
                    "    return x.detach()\n\n"
                    "def train(net, data):\n"
                    "    opt = torch.optim.Adam(net.parameters(), lr=1e-4)  # expect\n"
                    "    for x in data:\n"
                    "        loss = net(x).mean() - net(sample(net, torch.randn_like(x))).mean()\n"
                    "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n"
                ),
            },
            "an energy model recognised by its Langevin sampler (the class name says nothing)",
            fixed=[('        loss.backward()\n', '        loss.backward()\n        torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=0.3)\n')]),
        Example(
            {"nets.py": _NETS, "train_rings.py": _program("rings", "  # expect"),
             "train_moons.py": _program("moons", "  # expect")},
            "two training scripts of one repository: each program is reported at its own optimizer",
            fixed=[("train_rings.py", "    gap.backward()\n", "    gap.backward()\n" + _CLIP.replace("1.0", "0.3")),
                   ("train_moons.py", "    gap.backward()\n", "    gap.backward()\n" + _CLIP.replace("1.0", "0.3"))]),
        Example(
            {"nets.py": _NETS, "train_rings.py": _program("rings", "  # expect"),
             "train_moons.py": _program("moons", clip=_CLIP)},
            "two scripts, only one clips: the other is reported",
            fixed=[("train_rings.py", "    gap.backward()\n", "    gap.backward()\n" + _CLIP.replace("1.0", "0.3"))]),
        Example(
            {"nets.py": _NETS, "train_rings.py": _program("rings", "  # expect"), "probe.py": _PROBE},
            "a classifier script beside the EBM shows no energy training of its own: it adds no finding",
            fixed=[("train_rings.py", "    gap.backward()\n", "    gap.backward()\n" + _CLIP.replace("1.0", "0.3"))]),
        Example(
            {
                "sampling.py": _LANGEVIN,
                "train.py": _passed_optimizer_trainer("            optimizer.step()  # expect\n"),
            },
            "a training function stepping the optimizer its caller (a notebook) passes in; the files import nothing",
            fixed=[],
        ),
    ]
    good = [
        Example(
            {
                "sampling.py": _LANGEVIN,
                "train.py": _passed_optimizer_trainer(
                    "            torch.nn.utils.clip_grad_norm_(energy.parameters(), 0.3)\n            optimizer.step()\n"),
            },
            "the same training function, clipped before the step",
        ),
        Example(
            {
                "model.py": _MODEL + (
                    "def train(model, batches, tau=0.3):\n"
                    "    opt = torch.optim.Adam(model.parameters(), lr=1e-4)\n"
                    "    for h, a in batches:\n"
                    "        loss = F.cross_entropy(-model(h, a).view(1, -1) / tau, torch.zeros(1, dtype=torch.long))\n"
                    "        opt.zero_grad()\n"
                    "        loss.backward()\n"
                    "        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.3)\n"
                    "        opt.step()\n"
                ),
            },
            "clipped",
        ),
        Example(
            {"model.py": _MODEL},
            "the model alone: the training loop is not in the files read",
        ),
        Example(
            {
                "ebm.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Net(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.f = nn.Sequential(nn.Linear(2, 64), nn.SiLU(), nn.Linear(64, 1))\n\n"
                    "    def forward(self, x):\n"
                    "        return self.f(x).squeeze(-1)\n\n"
                    "def sample(net, x, steps=20):\n"
                    "    for _ in range(steps):\n"
                    "        x = x.detach().requires_grad_(True)\n"
                    "        g = torch.autograd.grad(net(x).sum(), [x])[0]\n"
                    "        x = x + 0.01 * g + 0.005 * torch.randn_like(x)\n"
                    "    return x.detach()\n\n"
                    "def clip_grad(params, opt):\n"
                    "    for p in params:\n"
                    "        p.grad.data.clamp_(-0.1, 0.1)\n\n"
                    "def train(net, data):\n"
                    "    opt = torch.optim.Adam(net.parameters(), lr=1e-4)\n"
                    "    for x in data:\n"
                    "        loss = net(x).mean() - net(sample(net, torch.randn_like(x))).mean()\n"
                    "        opt.zero_grad()\n        loss.backward()\n        clip_grad(net.parameters(), opt)\n"
                    "        opt.step()\n"
                ),
            },
            "a hand-written clip_grad before each step",
        ),
        Example(
            {
                "fgsm.py": (
                    "import torch\n\n"
                    "def attack(clf, x, y, loss_fn):\n"
                    "    x = x.clone().requires_grad_(True)\n"
                    "    loss_fn(clf(x), y).backward()\n"
                    "    x_adv = x + 0.03 * x.grad.sign() + 0 * torch.randn_like(x)\n"
                    "    return x_adv\n\n"
                    "opt = torch.optim.Adam(clf.parameters(), lr=1e-3)\n"
                ),
            },
            "an adversarial example moves the input along grad.sign(): no energy model",
        ),
        Example(
            {"nets.py": _NETS, "train_rings.py": _program("rings", clip=_CLIP),
             "train_moons.py": _program("moons", clip=_CLIP)},
            "two training scripts, each clipping before its step",
        ),
        Example(
            {"nets.py": _NETS, "utils.py": (
                "import torch\n\n"
                "def bound(net):\n"
                "    torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)\n"),
             "train_rings.py": _program("rings", clip="    bound(net)\n"),
             "train_moons.py": _program("moons", clip="    bound(net)\n")},
            "two training scripts clipping through a shared helper module",
        ),
    ]

    fix_safety = "safe"
    fix_safety_why = ("Clipping at `max_norm` only shortens rare large steps. The clip goes between the energy "
                      "optimizer's backward() and step(); a config key is added only when the inserted line reads it.")

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        from ganlint.fix.edits import apply_edits

        message = f"gradient-norm clipping {opts['max_norm']:g} between backward() and step()"
        cfg = project.main_config("temperature") or project.main_config("learning_rate")
        keys = sorted({k.key.rsplit(".", 1)[-1] for k in project.settings if k.file == cfg})
        code = project.transform_edits("grad-clip", max_norm=opts["max_norm"], config_key="grad_clip" if cfg else None,
                                       config_keys=keys)
        if not code:  # the optimizer is not built where backward() runs: the rule's own insertion, literal norm
            from ganlint.fix.project import refused

            own = [fx for fx in super().fixes(project, findings, opts) if fx.edits]
            return own or [refused(message, "no backward() follows the energy optimizer in the files read; put "
                                            "clip_grad_norm_(...) between its backward() and step() by hand")]
        edits: list[Edit] = list(code)
        if cfg and not project.find("grad_clip") and any(
                '["grad_clip"]' in t or "['grad_clip']" in t for t in apply_edits(project.texts, code).values()):
            edits.insert(0, Edit("add-setting", cfg, target="grad_clip", old=project.anchor(cfg, "temperature", "learning_rate"),
                                 new=opts["max_norm"]))
        return [Fix(message, edits, stage=self.fix_stage)]


def _steps_a_parameter(facts: ProjectFacts, step) -> bool:
    """`optimizer.step()` inside `def train_ebm(energy, optimizer, ...)`: the optimizer is the function's parameter
    (not `self.opt` made by a helper the reader does not follow)."""
    recv = step.src.split(".step", 1)[0]
    fn = (step.scope or "").rsplit(".", 1)[-1]
    if not fn or not recv.isidentifier():
        return False
    m = re.search(rf"def[ \t]+{re.escape(fn)}[ \t]*\(([^)]*)\)", facts.texts.get(step.location.file, ""))
    return bool(m) and recv in re.findall(r"[A-Za-z_]\w*", m.group(1))


RULE = EnergyGradClipMissing()
