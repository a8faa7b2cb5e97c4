"""GL304 energy-no-warmup: an energy model trains at full learning rate from step 0 (document 004 方案4)."""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import insert_code
from ganlint.reading.code.recognise.energy import energy_training_sites, serves
from ganlint.reading.facts import ProjectFacts

_MODEL = (
    "import torch\nimport torch.nn as nn\n\n"
    "class EnergyModel(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.head = nn.Linear(12, 1)\n\n"
    "    def forward(self, x):\n"
    "        return self.head(x).squeeze(-1)\n\n"
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
_DECAY = ("    for group in opt.param_groups:\n"
          "        group['lr'] = max(LR_MIN, group['lr'] * LR_DECAY)\n")
_WARM = ("    if it < WARMUP:\n"
         "        for group in opt.param_groups:\n"
         "            group['lr'] = LR * (it + 1) / WARMUP\n")


def _program(data: str, expect: str = "", schedule: str = _DECAY) -> str:
    """A module-level toy-EBM script (the ebm-anatomy style): an optimizer picked from a dict, a short-run
    Langevin sampler, `gap.backward(); opt.step()`, then a hand-written lr schedule."""
    return (
        "import torch\nfrom nets import MLP\n\n"
        f"DATA = '{data}'\nLR, LR_MIN, LR_DECAY = 1e-4, 1e-5, 0.9999\n"
        f"{'WARMUP = 500' if schedule is _WARM else ''}\n\n"
        "net = MLP()\n"
        "opt_choices = {'adam': torch.optim.Adam, 'sgd': torch.optim.SGD}\n"
        f"opt = opt_choices['adam'](net.parameters(), lr=LR){expect}\n\n"
        "def shortrun(x):\n"
        "    x = x.clone().requires_grad_(True)\n"
        "    for _ in range(40):\n"
        "        dx = torch.autograd.grad(net(x).sum(), [x])[0]\n"
        "        x.data += -dx + 0.01 * torch.randn_like(x)\n"
        "    return x.detach()\n\n"
        "for it in range(1000):\n"
        f"{schedule if schedule is _WARM else ''}"
        "    gap = net(torch.randn(64, 2)).mean() - net(shortrun(torch.rand(64, 2))).mean()\n"
        "    opt.zero_grad()\n"
        "    gap.backward()\n"
        "    opt.step()\n"
        f"{schedule if schedule is not _WARM else ''}"
    )


_WARMED = ("opt = opt_choices['adam'](net.parameters(), lr=LR)  # expect\n",
           "opt = opt_choices['adam'](net.parameters(), lr=LR)  # expect\n"
           "opt_warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 if s < 5000 else "
           "min(0.5, 0.1 + 0.4 * (s - 5000) / 10000))\n")
_STEPPED = ("    opt.step()\n", "    opt.step()\n    opt_warmup.step()\n")


_DEF = re.compile(r"([ \t]*)(?:async[ \t]+)?def[ \t]+(\w+)")


class _UnusedHelpers:
    """Whether a line lies in a function whose name the project's Python files write only once (its def):
    a helper nothing calls. The defs of a file are found once; the names counted once each."""

    def __init__(self, facts: ProjectFacts):
        self.facts = facts
        self.files: dict[str, tuple[list[str], list[int], list[tuple[int, str]]]] = {}
        self.counts: dict[str, int] = {}
        self.words = None

    def _file(self, file: str):
        if file not in self.files:
            rows = self.facts.texts.get(file, "").splitlines()
            heads = [(n, m) for n, m in enumerate((_DEF.match(row) for row in rows), 1) if m]
            self.files[file] = (rows, [n for n, _m in heads],
                                [(len(m.group(1).expandtabs()), m.group(2)) for _n, m in heads])
        return self.files[file]

    def holds(self, loc) -> bool:
        rows, lines, heads = self._file(loc.file)
        k = bisect_right(lines, loc.line) - 1
        if k < 0 or not 0 < loc.line <= len(rows):
            return False
        indent, name = heads[k]
        row = rows[loc.line - 1].expandtabs()
        if len(row) - len(row.lstrip()) <= indent:
            return False  # the nearest def above has ended: the line is not inside it
        if name not in self.counts:
            if self.words is None:
                from ganlint.reading.code.words import WordCounts

                self.words = WordCounts([t for f, t in self.facts.texts.items() if f.endswith(".py")], 17)
            self.counts[name] = self.words.count(name, False, "") + self.words.count(name, True, "")
        return self.counts[name] <= 1


def _others_optimizing(facts: ProjectFacts, site: str) -> set[str]:
    """Files that build optimizers of their own and share no import path with `site`: their schedules step
    their own optimizers (a classifier's `g["lr"] *= 0.1` in methods/standard.py beside methods/simclr.py)."""
    from ganlint.reading.import_graph import import_graph, imports_of, reach

    built = {o.location.file for o in facts.code.optimizers} - {site}
    if not built:
        return set()
    related = reach(import_graph(facts), site) | reach(imports_of(facts), site)
    return built - related


class EnergyNoWarmup(Rule):
    code = "GL304"
    slug = "energy-no-warmup"
    severity = Severity.WARNING
    summary = "An energy model trains at its full learning rate from step 0: no scheduler, warm-up or lr scaling."
    why = (
        "At initialisation the energy landscape is flat and the InfoNCE gradients are at their largest and "
        "least informative; full-size steps then push the head into saturation before the ranking has "
        "formed. Document 004 stabilised training by starting at 0.1× the learning rate for 5k steps and "
        "ramping to 0.5× by 15k. A hand-written step decay (`g['lr'] *= 0.1` at later epochs) leaves step 0 at "
        "the full rate: it is no warm-up."
    )
    use_instead = (
        "`LambdaLR(opt, lambda s: 0.1 if s < 5000 else min(0.5, 0.1 + 0.4 * (s - 5000) / 10000))`, stepped "
        "every iteration, or any warm-up scheduler."
    )
    source = "004 方案4"
    families = ("energy",)
    options = {"warmup_steps": 5000, "ramp_end": 15000, "start_scale": 0.1, "end_scale": 0.5}
    option_docs = {
        "warmup_steps": "steps at start_scale",
        "ramp_end": "step at which the ramp reaches end_scale",
        "start_scale": "learning-rate factor during warm-up",
        "end_scale": "learning-rate factor after the ramp",
    }
    fix_stage = 3

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        sites = energy_training_sites(facts)
        files = {o.location.file for o in sites}
        for o in sites:
            if not self._warmed_up(facts, o.location.file, files):
                yield self._finding(facts.code, o, opts)

    def _finding(self, code, o, opts: dict[str, Any]) -> Finding:
        w, e, a, b = opts["warmup_steps"], opts["ramp_end"], opts["start_scale"], opts["end_scale"]
        edits = []
        if o.var and "." not in o.var:
            sched = f"{o.var}_warmup"
            edits.append(insert_code(o.location, (
                f"{sched} = torch.optim.lr_scheduler.LambdaLR({o.var}, lambda s: {a} if s < {w} else "
                f"min({b}, {a} + {b - a:g} * (s - {w}) / {e - w}))"), anchor=o.call_src))
            steps = [m for m in code.optimizer_steps if m.location.file == o.location.file
                     and m.location.line > o.location.line and m.src.startswith(f"{o.var}.")]
            if steps:
                edits.append(insert_code(steps[0].location, f"{sched}.step()", anchor=steps[0].src))
            else:
                edits = []
        return self.finding(
            f"the energy model trains at its full learning rate from step 0 "
            f"({o.cls or 'an optimizer chosen at run time'}, no scheduler or warm-up): "
            f"start at {a}× for {w} steps and ramp to {b}× by {e}",
            o.location,
            fix=Fix(f"add a warm-up: {a}× lr for {w} steps, ramp to {b}× by {e}", edits),
            evidence={"optimizer": o.cls},
        )

    @staticmethod
    def _warmed_up(facts: ProjectFacts, site: str, site_files: set[str]) -> bool:
        """A scheduler, a positive warm-up setting, or a hand-written lr assignment that is no decay,
        serving the program whose optimizer is built in `site` (see `serves`).

        `param_group['lr'] = param_group['lr'] * decay_rate` (under `if epoch in decay_epochs:`) lowers
        the rate later: not a warm-up, nor is `g['lr'] *= 0.1` or `new_lr = base * decay_rate ** steps` assigned
        (kind lr-decay). An assignment under `if itr < warmup_iters:` with warmup_iters <= 0 never runs. A
        schedule in a file building an optimizer of its own, unrelated to `site` by imports, steps that one."""
        warm = [s for s in facts.settings_for("warmup_steps") if serves(site, s.location.file, site_files)]
        dead = {s.leaf for s in warm if isinstance(s.value, (int, float)) and not isinstance(s.value, bool) and s.value <= 0}
        if any(s.leaf not in dead for s in warm):
            return True
        unused = _UnusedHelpers(facts)
        own = _others_optimizing(facts, site)
        for m in facts.code.schedulers:
            if not serves(site, m.location.file, site_files) or m.location.file in own:
                continue  # another program's schedule
            if m.kind == "lr-decay":
                continue  # `g['lr'] *= 0.1`, `base_lr * decay_rate ** steps`: it only lowers the rate later
            if m.kind != "lr-assign":
                return True
            if m.location.file != site and unused.holds(m.location):
                continue  # `def adjust_learning_rate(...)` in a utils module that nothing calls never runs
            text = f"{m.scope or ''} {m.src}".lower()
            if any(w in text for w in ("decay", "gamma", "anneal_down")) and "warm" not in text:
                continue  # a later decay
            if dead and any(d.lower() in text for d in dead):
                continue  # a warm-up branch whose length is <= 0
            return True
        return False

    bad = [
        Example(
            {
                "model.py": _MODEL + (
                    "def train(model, batches):\n"
                    "    opt = torch.optim.Adam(model.parameters(), lr=1e-3)  # expect\n"
                    "    for x in batches:\n"
                    "        loss = model(x).mean()\n"
                    "        opt.zero_grad()\n"
                    "        loss.backward()\n"
                    "        opt.step()\n"
                ),
            },
            "document 004's loop",
            fixed=[("    opt = torch.optim.Adam(model.parameters(), lr=1e-3)  # expect\n", "    opt = torch.optim.Adam(model.parameters(), lr=1e-3)  # expect\n    opt_warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 if s < 5000 else min(0.5, 0.1 + 0.4 * (s - 5000) / 10000))\n"),
                   ("        opt.step()\n", "        opt.step()\n        opt_warmup.step()\n")],
        ),
        Example(
            {
                "ebm.py": _MODEL + "model = EnergyModel()\noptim = torch.optim.AdamW(model.parameters(), lr=3e-4)  # expect\n",
            },
            "AdamW at a constant rate",
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
                    "def train(net, data, epochs, decay_epochs, warmup_iters=-1):\n"
                    "    opt = torch.optim.Adam(net.parameters(), lr=1e-4)  # expect\n"
                    "    it = 0\n"
                    "    for epoch in range(epochs):\n"
                    "        if epoch in decay_epochs:\n"
                    "            for g in opt.param_groups:\n"
                    "                g['lr'] = g['lr'] * 0.3\n"
                    "        for x in data:\n"
                    "            loss = net(x).mean() - net(sample(net, torch.randn_like(x))).mean()\n"
                    "            opt.zero_grad()\n            loss.backward()\n            opt.step()\n"
                ),
            },
            "a hand-written param_groups decay is no warm-up",
            fixed=[('            opt.step()\n', '            opt.step()\n            opt_warmup.step()\n'), ('    opt = torch.optim.Adam(net.parameters(), lr=1e-4)  # expect\n', '    opt = torch.optim.Adam(net.parameters(), lr=1e-4)  # expect\n    opt_warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 if s < 5000 else min(0.5, 0.1 + 0.4 * (s - 5000) / 10000))\n')]),
        Example(
            {
                "util.py": (
                    "def adjust_learning_rate(epoch, opt, optimizer):\n"
                    "    steps = sum(epoch > e for e in opt.lr_decay_epochs)\n"
                    "    if steps > 0:\n"
                    "        new_lr = opt.learning_rate * (opt.lr_decay_rate ** steps)\n"
                    "        for param_group in optimizer.param_groups:\n"
                    "            param_group['lr'] = new_lr\n"
                ),
                "train.py": _MODEL + (
                    "from util import adjust_learning_rate\n\n\n"
                    "def train(model, batches, opt_args):\n"
                    "    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)  # expect\n"
                    "    for epoch in range(240):\n"
                    "        adjust_learning_rate(epoch, opt_args, optimizer)\n"
                    "        for x in batches:\n"
                    "            loss = model(x).mean()\n"
                    "            optimizer.zero_grad()\n"
                    "            loss.backward()\n"
                    "            optimizer.step()\n"
                ),
            },
            "a step decay computed a line above the param_groups assignment is no warm-up either",
            fixed=[("train.py", "    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)  # expect\n",
                    "    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)  # expect\n"
                    "    optimizer_warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.1 if s < 5000 else "
                    "min(0.5, 0.1 + 0.4 * (s - 5000) / 10000))\n"),
                   ("train.py", "            optimizer.step()\n", "            optimizer.step()\n            optimizer_warmup.step()\n")]),
        Example(
            {"nets.py": _NETS, "train_rings.py": _program("rings", "  # expect"),
             "train_moons.py": _program("moons", "  # expect")},
            "two training scripts of one repository, each with a hand-written decay: each is reported",
            fixed=[("train_rings.py", *_WARMED), ("train_rings.py", *_STEPPED),
                   ("train_moons.py", *_WARMED), ("train_moons.py", *_STEPPED)]),
        Example(
            {"nets.py": _NETS, "train_rings.py": _program("rings", "  # expect"),
             "train_moons.py": _program("moons", schedule=_WARM)},
            "two scripts, only one warms up: the other is reported",
            fixed=[("train_rings.py", *_WARMED), ("train_rings.py", *_STEPPED)]),
    ]
    good = [
        Example(
            {
                "model.py": _MODEL + (
                    "def train(model, batches, cfg):\n"
                    "    opt = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
                    "    warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 if s < cfg['warmup_steps'] else 1.0)\n"
                    "    for x in batches:\n"
                    "        loss = model(x).mean()\n"
                    "        loss.backward()\n"
                    "        opt.step()\n"
                    "        warmup.step()\n"
                ),
            },
            "the repaired 004",
        ),
        Example(
            {
                "model.py": _MODEL + (
                    "def train(model, opt, batches, base_lr):\n"
                    "    for step, x in enumerate(batches):\n"
                    "        for g in opt.param_groups:\n"
                    "            g['lr'] = base_lr * min(1.0, step / 5000)\n"
                    "        model(x).mean().backward()\n"
                    "        opt.step()\n"
                ),
            },
            "lr scaled by hand; no optimizer constructed here",
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
                    "def train(net, data, base_lr=1e-4, warmup=1000):\n"
                    "    opt = torch.optim.Adam(net.parameters(), lr=base_lr)\n"
                    "    for it, x in enumerate(data):\n"
                    "        if it < warmup:\n"
                    "            for g in opt.param_groups:\n"
                    "                g['lr'] = base_lr * (it + 1) / warmup\n"
                    "        loss = net(x).mean() - net(sample(net, torch.randn_like(x))).mean()\n"
                    "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n"
                ),
            },
            "a hand-written linear warm-up",
        ),
        Example(
            {"nets.py": _NETS, "train_rings.py": _program("rings", schedule=_WARM),
             "train_moons.py": _program("moons", schedule=_WARM)},
            "two training scripts, each with a hand-written linear warm-up",
        ),
    ]

    fix_safety = "safe"
    fix_safety_why = ("A LambdaLR after the optimizer scales its rate (options `start_scale`, `end_scale`, "
                      "`warmup_steps`, `ramp_end`); the energy rate is lowered only where the optimizer reads it.")
    lowered_above = 1e-4  # 004 方案4: the rate the warm-up starts from is 0.1× of an energy lr above 1e-4

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        from ganlint.fix.project import number, set_edit

        from ganlint.fix.project import refused

        out = [fx for fx in super().fixes(project, findings, opts) if fx.edits]  # the warm-up, in the rule's stage
        if not out:
            out = [refused("add a warm-up scheduler", "the energy optimizer is not one variable whose .step() "
                                                       "follows in the same file")]
        roles = ("energy", None)
        lrs = [k for k in project.find("learning_rate", roles)
               if number(k.value) is not None and number(k.value) > self.lowered_above + 1e-12
               and project.lr_is_read(k, roles)]
        if lrs:
            # the document puts the lower rate in the first stage, ahead of the warm-up
            out.insert(0, Fix(f"energy learning rate × {opts['start_scale']:g} (the document's warm-up level)",
                              [set_edit(k, round(number(k.value) * opts["start_scale"], 12)) for k in lrs], stage=1))
        return out


RULE = EnergyNoWarmup()
