"""GL114 clipping-with-penalty: weight clipping and a gradient penalty both applied to the critic (001, paper)."""
from __future__ import annotations

import re
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.facts import ProjectFacts

_GP = (
    "def gradient_penalty(critic, real, fake):\n"
    "    a = torch.rand(real.size(0), 1)\n"
    "    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)\n"
    "    g = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]\n"
    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n\n"
)


def _calls_helper(text: str, name: str) -> bool:
    """The file calls `name(...)` and does not define its own `name`: a WGAN algorithm class whose
    `optimize_D` clips is not tied to another file's `optimize_D` that penalises."""
    if re.search(rf"\bdef\s+{re.escape(name)}\s*\(", text):
        return False
    return re.search(rf"(?<![\w.]){re.escape(name)}\s*\(|\.{re.escape(name)}\s*\(", text) is not None


def _exclusive(a: tuple, b: tuple) -> bool:
    """Two places that never run together: the two arms of one if statement (if/else, if/elif), or the true
    arms of tests of one subject against values that do not overlap (`args.model == 'WGAN'` and
    `args.model == 'WGAN-GP'`). Arms as reader.branch_entry makes them."""
    for x in a:
        for y in b:
            if x[:2] == y[:2] and x[2] != y[2]:
                return True
            if x[2] and y[2] and x[3] is not None and x[3] == y[3] and not x[4] & y[4]:
                return True
    return False


# a method a framework calls by its name (Lightning's `on_after_backward`, `optimizer_step`, `training_step`)
_HOOK = re.compile(r"^(?:on_\w+|\w*step|forward|backward|configure_\w+|\w*hook\w*|\w*callback\w*|__\w+__)$")


def _never_called(facts: ProjectFacts, clip) -> bool:
    """The clipping sits in a method that no text of the project names besides its own `def` (a call, a
    callback passed by name, a string or comment all count as a use: precision first), that no decorator
    registers and no framework calls by name: `def clip_weights(self)` written but never called clips nothing.
    A top-level function may be called from a notebook or by its caller's import: it is not read so."""
    if not clip.function or "." not in clip.function:
        return False
    name = clip.function.rsplit(".", 1)[-1]
    if _HOOK.match(name):
        return False
    word = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")
    define = re.compile(rf"(@[^\n]*\n\s*)?\bdef\s+{re.escape(name)}\s*\(")
    for text in facts.texts.values():
        defs = list(define.finditer(text))
        if any(d.group(1) for d in defs) or len(word.findall(text)) > len(defs):
            return False
    return True


def _only_apart(facts: ProjectFacts, clip, pen) -> bool:
    """The penalty is computed only where the clipping does not run: its autograd.grad call sits in the other
    arm, or every call of its helper in the clipping's file does (each call counted in the text, so a call
    outside any arm, however written, keeps the two together)."""
    if not clip.branch:
        return False
    if _exclusive(clip.branch, pen.branch):
        return True
    if not pen.function or pen.function == "<module>":
        return False
    file, name = clip.location.file, pen.function.rsplit(".", 1)[-1]
    arms = [b for f, n, b in facts.code.branch_calls if f == file and n == name]
    text = facts.texts.get(file, "")
    written = len(re.findall(rf"(?<![\w]){re.escape(name)}\s*\(", text)) - len(
        re.findall(rf"\bdef\s+{re.escape(name)}\s*\(", text))
    return bool(arms) and len(arms) == written and all(_exclusive(clip.branch, b) for b in arms)


class ClippingWithPenalty(Rule):
    code = "GL114"
    slug = "clipping-with-penalty"
    severity = Severity.WARNING
    summary = "Weight clipping and a gradient penalty are both applied to the critic."
    why = (
        "WGAN-GP replaced weight clipping with the gradient penalty because clipping biases the critic towards "
        "overly simple functions and makes gradients explode or vanish depending on the clip value. Keeping "
        "both constrains the critic twice: the clip still caps its capacity, and the penalty then pushes "
        "gradient norms to 1 on a function that may not be able to reach it."
    )
    use_instead = "Drop the `p.data.clamp_(-c, c)` loop and keep the gradient penalty (λ = 10)."
    source = "001, paper"
    families = ("wgan", "wgan-gp")
    options: dict[str, Any] = {}
    fix_safety = "display-only"
    fix_safety_why = (
        "Which of the two Lipschitz constraints to keep is the user's choice; the fix says which one the "
        "documents keep."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        pens = facts.code.penalties
        if not pens:
            return
        for clip in facts.code.weight_clips:
            if _never_called(facts, clip):  # `def clip_weights(self)` that nothing calls: no clipping runs
                continue
            # the clipping and the penalty must train the same critic: same file (a repository of separate
            # WGAN and WGAN-GP scripts clips in one and penalises in the other)
            text = facts.texts.get(clip.location.file, "")
            same = [g for g in pens if g.location.file == clip.location.file
                    or (g.function and _calls_helper(text, g.function))]  # a penalty helper imported from another file
            same = [g for g in same if not _only_apart(facts, clip, g)]  # `if mode == 'wgan'` / `== 'wgan-gp'`
            if not same:
                continue
            yield self.finding(
                "weight clipping is applied together with a gradient penalty: the penalty replaces clipping; "
                "remove the clipping",
                clip.stmt_location or clip.location,
                related=[same[0].location],
                fix=Fix("remove the weight clipping, keep the gradient penalty", [], safe=False),
                evidence={"clip_value": clip.value.src if clip.value else None},
            )

    bad = [
        Example(
            {
                "train.py": (
                    "import torch\n\n" + _GP +
                    "def critic_step(critic, opt_d, real, fake, lam):\n"
                    "    loss = critic(fake).mean() - critic(real).mean() + lam * gradient_penalty(critic, real, fake)\n"
                    "    opt_d.zero_grad()\n"
                    "    loss.backward()\n"
                    "    opt_d.step()\n"
                    "    for p in critic.parameters():\n"
                    "        p.data.clamp_(-0.01, 0.01)  # expect\n"
                ),
            },
            "both constraints",
            fixed=[],
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n" + _GP +
                    "def clip(critic, c):\n"
                    "    for name, p in critic.named_parameters():\n"
                    "        p.data = torch.clamp(p.data, -c, c)  # expect\n"
                ),
            },
            "clipping by assignment",
            fixed=[],
        ),
        Example(
            {
                "penalties.py": "import torch\n\n" + _GP,
                "train.py": (
                    "import torch\nfrom penalties import gradient_penalty\n\n"
                    "def critic_step(critic, opt_c, real, fake):\n"
                    "    loss = critic(fake).mean() - critic(real).mean() + 10 * gradient_penalty(critic, real, fake)\n"
                    "    loss.backward()\n"
                    "    opt_c.step()\n"
                    "    for w in critic.parameters():\n"
                    "        w.data.clamp_(-0.01, 0.01)  # expect\n"
                ),
            },
            "the penalty helper is imported from another file",
        ),
    ]
    good = [
        Example(
            {"train.py": "import torch\n\n" + _GP},
            "penalty only",
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n" + _GP +
                    "def critic_step(critic, opt_d, real, fake, mode):\n"
                    "    loss = critic(fake).mean() - critic(real).mean()\n"
                    "    if mode == 'wgan-gp':\n"
                    "        loss = loss + 10 * gradient_penalty(critic, real, fake)\n"
                    "    opt_d.zero_grad()\n"
                    "    loss.backward()\n"
                    "    opt_d.step()\n"
                    "    if mode == 'wgan':\n"
                    "        for p in critic.parameters():\n"
                    "            p.data.clamp_(-0.01, 0.01)\n"
                ),
            },
            "clipping for one value of the mode, the penalty for another: never both on one critic",
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def critic_step(critic, opt_d, real, fake):\n"
                    "    loss = critic(fake).mean() - critic(real).mean()\n"
                    "    loss.backward()\n"
                    "    opt_d.step()\n"
                    "    for p in critic.parameters():\n"
                    "        p.data.clamp_(-0.01, 0.01)\n"
                    "    x = torch.zeros(3).clamp_(-1, 1)\n"
                ),
            },
            "the original WGAN: clipping only",
        ),
        Example(
            {
                "wgan_gp.py": "import torch\n\n" + _GP + (
                    "def critic_loss(critic, real, fake):\n"
                    "    return critic(fake).mean() - critic(real).mean() + 10 * gradient_penalty(critic, real, fake)\n"
                ),
                "wgan_clip.py": (
                    "import torch\n\n"
                    "def clip_critic(critic):\n"
                    "    for p in critic.parameters():\n"
                    "        p.data.clamp_(-0.01, 0.01)\n"
                ),
            },
            "a repository of separate scripts: the WGAN clips, the WGAN-GP penalises",
        ),
        Example(
            {
                "algos/wgan_gp.py": (
                    "import torch\n\n"
                    "class WGANGP:\n"
                    "    def train_critic(self, critic, real, fake):\n"
                    "        a = torch.rand(real.size(0), 1)\n"
                    "        x_hat = (a * real + (1 - a) * fake).requires_grad_(True)\n"
                    "        g = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "        gp = ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
                    "        return critic(fake).mean() - critic(real).mean() + 10 * gp\n"
                ),
                "algos/wgan.py": (
                    "class WGAN:\n"
                    "    def train_critic(self, critic, real, fake):\n"
                    "        loss = critic(fake).mean() - critic(real).mean()\n"
                    "        for p in critic.parameters():\n"
                    "            p.data.clamp_(-0.01, 0.01)\n"
                    "        return loss\n"
                ),
            },
            "two algorithm classes whose methods share a name: WGAN clips, WGAN-GP penalises",
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n" + _GP +
                    "class Trainer:\n"
                    "    def clip_critic(self, critic):\n"
                    "        for p in critic.parameters():\n"
                    "            p.data.clamp_(-0.01, 0.01)\n\n"
                    "    def critic_step(self, critic, opt_d, real, fake):\n"
                    "        loss = critic(fake).mean() - critic(real).mean() + 10 * gradient_penalty(critic, real, fake)\n"
                    "        loss.backward()\n"
                    "        opt_d.step()\n"
                ),
            },
            "a clipping method that nothing calls: only the penalty runs",
        ),
    ]


RULE = ClippingWithPenalty()
