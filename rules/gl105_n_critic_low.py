"""GL105 n-critic-low: a WGAN / WGAN-GP critic updated fewer than 5 times per generator step (000 §1.3, 001)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Finding, Fix, Setting, Severity
from ganlint.reading.code.links import numeric, setting_unread
from ganlint.reading.code.rates import critic_and_generator_rates
from ganlint.reading.facts import ProjectFacts


# a WGAN-GP gradient penalty on interpolates, as the examples' trainers call it
_PENALTY = (
    "def penalty(D, real, fake):\n"
    "    x_hat = (0.5 * real + 0.5 * fake).requires_grad_(True)\n"
    "    g = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]\n"
    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
)

# one critic and one generator update per batch of a WGAN-GP, the critic at 4 times the generator's rate (TTUR)
_WGAN_GP_LOOP = (
    "import torch\n\n"
    "def train(G, D, loader):\n"
    "    opt_d = torch.optim.Adam(D.parameters(), lr=4e-4, betas=(0.0, 0.9))\n"
    "    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))\n"
    "    for real in loader:\n"
    "        fake = G(torch.randn(real.size(0), 8)).detach()\n"
    "        d_loss = D(fake).mean() - D(real).mean() + 10 * penalty(D, real, fake)\n"
    "        opt_d.zero_grad()\n        d_loss.backward()\n        opt_d.step()\n"
    "        g_loss = -D(G(torch.randn(real.size(0), 8))).mean()\n"
    "        opt_g.zero_grad()\n        g_loss.backward()\n        opt_g.step()\n\n"
    + _PENALTY
)

# one critic step per generator step, written as a loop of one
_ONE_STEP_LOOP = (
    "def train(G, D, opt_d, opt_g, batches):\n"
    "    for x in batches:\n"
    "        for _ in range(1):\n"
    "            d_loss = D(G.sample().detach()).mean() - D(x).mean()\n"
    "            d_loss.backward()\n"
    "            opt_d.step()\n"
    "        g_loss = -D(G.sample()).mean()\n"
    "        g_loss.backward()\n"
    "        opt_g.step()\n"
)


class NCriticLow(SettingRangeRule):
    code = "GL105"
    slug = "n-critic-low"
    severity = Severity.WARNING
    summary = "A WGAN / WGAN-GP updates the critic fewer than 5 times per generator step."
    why = (
        "The Wasserstein gradient the generator follows is only as good as the critic's estimate of the "
        "distance, and the critic only gets close to optimal with several updates per generator step. With "
        "`n_critic` below 5 the generator chases a poor critic (documents 000 and 001): losses drift and "
        "modes are dropped."
    )
    use_instead = "`n_critic: 5` (the WGAN and WGAN-GP papers' setting)."
    source = "000 §1.3, 001"
    families = ("wgan", "wgan-gp")
    setting = "n_critic"
    low = "min_n_critic"
    options = {"min_n_critic": 5, "proposed": 5}
    option_docs = {
        "min_n_critic": "critic updates per generator step below this fire the rule",
        "proposed": "the value the fix writes",
    }
    fix_stage = 2
    fix_safety = "safe"
    fix_safety_why = (
        "n_critic is set to the option `proposed`."
    )

    def candidates(self, facts: ProjectFacts) -> list[Setting]:
        """The n_critic settings, plus the count of each critic loop `for _ in range(N):` in the code (and of
        each `if i % N == 0:` around the generator's step): a literal N, or the setting N reads
        (`range(opt.d_iters)`, whatever the key is called)."""
        found = super().candidates(facts)
        seen = {(s.location.file, s.location.line, s.location.column) for s in found}
        for loop in facts.code.critic_loops:
            arg = loop.count
            if loop.passed and not facts.trains_wasserstein_critic(loop.location.file):
                continue  # `train(D_steps=1)` of a trainer whose file trains no Wasserstein critic (DRAGAN, LSGAN)
            if arg.has_literal:
                key = "critic loop" if loop.kind == "range" else "critic steps per generator step"
                s = Setting(key=key, value=arg.literal, location=arg.location, style="code",
                            canonical="n_critic", role="critic", raw=arg.src)
            elif arg.ref is not None:
                hit = facts.shallowest_setting(arg.ref.key)
                if hit is None:
                    continue
                s = Setting(key=hit.key, value=hit.value, location=hit.location, style=hit.style,
                            canonical="n_critic", role=hit.role, raw=hit.raw, value_style=hit.value_style)
            else:
                continue
            where = (s.location.file, s.location.line, s.location.column)
            if where not in seen:
                seen.add(where)
                found.append(s)
        return found

    def accept(self, facts: ProjectFacts, setting: Setting, opts: dict[str, Any]) -> bool:
        """A setting is of the family of the code reading it: `--d-steps` repeating a BCE trainer's D step is
        no WGAN's n_critic, though its script also parses the WGAN's `--critic-steps`. Kept when no critic
        loop reads it, or one in a file of a Wasserstein family (or of no known family) does."""
        if _unread_in_training_code(facts, setting):
            return False  # a key the training code never reads updates no critic: its own loops decide
        readers = {c.location.file for c in facts.code.critic_loops if c.count.ref and c.count.ref.leaf == setting.leaf}
        return not readers or any(not facts.file_families(f) or facts.file_families(f) & set(self.families) for f in readers)

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        chosen = facts.loss_flags_choose()
        if chosen == "other":
            return []  # the loss flag's default is a standard loss, or not written where the code says
        return [*super().check(facts, opts), *self._unread_count(facts, opts, chosen == "wasserstein")]

    def _unread_count(self, facts: ProjectFacts, opts: dict[str, Any], chosen: bool) -> list[Finding]:
        """A loop updating the critic once per generator step while the critic-step setting is never read:
        `d_iters = 5` parsed, copied to `self.d_iters` at most, and no loop repeats the critic's step."""
        code = facts.code
        if not code.step_loops:
            return []
        low = opts["min_n_critic"]
        if all(_unread_in_training_code(facts, s) and numeric(s.value) and s.value < low
               for s in facts.settings_for("n_critic")):
            return self._no_setting(facts)  # (a low setting nothing reads is no setting: the loop is judged)
        unread = [s for s in facts.settings_for("n_critic") if numeric(s.value) and s.value >= low
                  and setting_unread(facts, s)]
        if not unread:
            return []
        s = unread[-1]
        where = f"{s.location.file.rsplit('/', 1)[-1]}:{s.location.line}"
        critic_loop_files = {c.location.file for c in code.critic_loops}
        out = []
        for loop in code.step_loops:
            if loop.location.file in critic_loop_files:
                continue  # the file repeats the critic's step somewhere: this loop is another phase
            if loop.function is not None and loop.function not in code.loop_calls:
                continue  # a step function no loop is seen calling: how often it runs is not known
            if not (chosen or facts.trains_wasserstein_critic(loop.location.file)):
                continue  # a hinge or BCE GAN's one D step per G step is its usual balance
            steps = "" if loop.critic_steps == 1 else f"; its {loop.critic_steps} critic `.step()` calls run once each"
            what = "this loop" if loop.function is None else f"{loop.function}(), called once per loop iteration,"
            out.append(self.finding(
                f"{what} updates the critic once per generator step (no loop repeats its step{steps}), while "
                f"{s.key} = {_fmt(s.value)} "
                f"({where}) is never read: the critic gets 1 update per generator step, not {_fmt(s.value)}; "
                f"repeat the critic's step `for _ in range({s.key})`",
                loop.location,
                related=[s.location],
                fix=Fix(f"repeat the critic's step {_fmt(s.value)} times per generator step: not applied automatically: "
                        f"wrap the critic's update in `for _ in range(...)` reading {s.key} (a block of statements is "
                        "not rewritten)", [], display_only=True),
                evidence={"setting": s.key, "value": s.value, "critic_updates": 1, "unread": True},
                family=self.family_of(facts),
            ))
        return out

    def _no_setting(self, facts: ProjectFacts) -> list[Finding]:
        """A one-to-one loop with no critic-step setting anywhere, in a file whose own code trains a Wasserstein
        critic (clipping or a gradient penalty). Silent when the critic's learning rate is known to be higher
        than the generator's: the two time-scale update rule (Heusel et al. 2017) trains one step each by design.
        An unknown rate is no evidence of that rule, so it does not silence the loop."""
        code = facts.code
        critic_loop_files = {c.location.file for c in code.critic_loops}
        out = []
        for loop in code.step_loops:
            file = loop.location.file
            if file in critic_loop_files or (loop.function is not None and loop.function not in code.loop_calls):
                continue
            if not facts.trains_wasserstein_critic(file, called=True):
                continue
            rates = critic_and_generator_rates(facts, file)
            if rates is not None and rates[0] > rates[1]:
                continue  # a faster critic: the two time-scale update rule's 1:1
            steps = "" if loop.critic_steps == 1 else f"; its {loop.critic_steps} critic `.step()` calls run once each"
            what = "its loop" if loop.function is None else f"{loop.function}(), called once per loop iteration"
            out.append(self.finding(
                f"the Wasserstein critic's update runs once per generator step in {what} (line "
                f"{loop.location.line}; no loop repeats its step{steps}, no critic-step setting): the generator "
                "follows a poorly trained critic; repeat the critic's step `for _ in range(5)` (or train the critic "
                "at a higher learning rate than the generator: TTUR)",
                loop.critic_step or loop.location,
                related=[loop.location] if loop.critic_step else [],
                fix=Fix("repeat the critic's step 5 times per generator step: not applied automatically: wrap the "
                        "critic's update in `for _ in range(n_critic)` (a block of statements is not rewritten)",
                        [], display_only=True),
                evidence={"critic_updates": 1, "setting": None,
                          "critic_lr": rates[0] if rates else None, "generator_lr": rates[1] if rates else None},
                family=self.family_of(facts),
            ))
        return out

    message = "{key} = {value}: the critic is updated fewer than {low} times per generator step and gives the generator a poor gradient; use {proposed}"
    bad = [
        Example({"config.yaml": "grad_penalty: 10.0\nn_critic: 4  # expect\n"}, "document 000",
            fixed=[("n_critic: 4  # expect\n", "n_critic: 5  # expect\n")]),
        Example({"wgan_toy.py": "LAMBDA = 10\nCRITIC_ITERS = 1  # expect\nBATCH_SIZE = 256\n"}, "module constants",
            fixed=[("CRITIC_ITERS = 1  # expect\n", "CRITIC_ITERS = 5  # expect\n")]),
        Example({"config.toml": "[wgan]\nclip_value = 0.01\nn_critic = 2  # expect\n"}, "WGAN with clipping",
            fixed=[("n_critic = 2  # expect\n", "n_critic = 5  # expect\n")]),
        Example(
            {
                "wgan_gp.py": (
                    "import argparse\nimport torch\n\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--d_iters', type=int, default=2)  # expect\n"
                    "opt = parser.parse_args()\n\n"
                    "def train(netG, netD, optimizer_D, optimizer_G, loader, penalty):\n"
                    "    for real in loader:\n"
                    "        for _ in range(opt.d_iters):\n"
                    "            fake = netG(torch.randn(64, 8)).detach()\n"
                    "            loss = netD(fake).mean() - netD(real).mean() + 10 * penalty(netD, real, fake)\n"
                    "            loss.backward()\n"
                    "            optimizer_D.step()\n"
                    "        loss_g = -netD(netG(torch.randn(64, 8))).mean()\n"
                    "        loss_g.backward()\n"
                    "        optimizer_G.step()\n\n"
                ) + _PENALTY,
            },
            "a critic loop over a flag with an unusual name",
            fixed=[("parser.add_argument('--d_iters', type=int, default=2)  # expect\n", "parser.add_argument('--d_iters', type=int, default=5)  # expect\n")]),
        Example(
            {
                "config.yaml": "lambda_gp: 10\n",
                "train.py": _ONE_STEP_LOOP.replace("range(1):", "range(1):  # expect"),
            },
            "one critic update per generator step, written as a loop",
            fixed=[('        for _ in range(1):  # expect\n', '        for _ in range(5):  # expect\n')]),
        Example(
            {
                "train_wgan_gp.py": (
                    "import argparse\nimport torch\n\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--n_critic', type=int, default=5)\n"
                    "opt = parser.parse_args()\n\n"
                    "def train(G, D, opt_d, opt_g, loader):\n"
                    "    for real in loader:  # expect\n"
                    "        fake = G(torch.randn(real.size(0), 8)).detach()\n"
                    "        x_hat = (0.5 * real + 0.5 * fake).requires_grad_(True)\n"
                    "        g = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "        d_loss = D(fake).mean() - D(real).mean() + 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
                    "        opt_d.zero_grad()\n        d_loss.backward()\n        opt_d.step()\n"
                    "        g_loss = -D(G(torch.randn(real.size(0), 8))).mean()\n"
                    "        opt_g.zero_grad()\n        g_loss.backward()\n        opt_g.step()\n"
                ),
            },
            "n_critic parsed but never read: one critic update per generator step",
            fixed=[]),
        Example(
            {
                "losses.py": (
                    "import torch\n\n"
                    "def grad_penalty(D, real, fake):\n"
                    "    x_hat = (0.5 * real + 0.5 * fake).requires_grad_(True)\n"
                    "    g = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
                ),
                "train.py": (
                    "import torch\nimport losses\n\n"
                    "def train(G, D, loader):\n"
                    "    opt_d = torch.optim.RMSprop(D.parameters(), lr=5e-5)\n"
                    "    opt_g = torch.optim.RMSprop(G.parameters(), lr=5e-5)\n"
                    "    for real in loader:\n"
                    "        fake = G(torch.randn(real.size(0), 8)).detach()\n"
                    "        d_loss = D(fake).mean() - D(real).mean() + 10 * losses.grad_penalty(D, real, fake)\n"
                    "        opt_d.zero_grad()\n        d_loss.backward()\n"
                    "        opt_d.step()  # expect\n"
                    "        g_loss = -D(G(torch.randn(real.size(0), 8))).mean()\n"
                    "        opt_g.zero_grad()\n        g_loss.backward()\n        opt_g.step()\n"
                ),
            },
            "a WGAN-GP loop with one critic update per generator step and no critic-step setting at all",
            fixed=[]),
        Example({"train.py": _WGAN_GP_LOOP.replace("for real in loader", "for i, real in enumerate(loader)").replace(
            "        g_loss = ", "        if i % 2 == 0:  # expect\n            g_loss = ").replace(
            "        opt_g.", "            opt_g.").replace("        g_loss.backward", "            g_loss.backward")},
            "the generator steps every 2nd batch, the critic every batch: 2 critic updates per generator step",
            fixed=[("        if i % 2 == 0:  # expect\n", "        if i % 5 == 0:  # expect\n")]),
    ]
    good = [
        Example({"config.yaml": "grad_penalty: 10.0\nn_critic: 5\n"}, "the usual 5"),
        Example(
            {
                "config.yaml": "batch_size: 64\nn_critic: 1\n",
                "train.py": (
                    "import torch\nimport torch.nn.functional as F\nimport yaml\n\n"
                    "cfg = yaml.safe_load(open('config.yaml'))\n\n"
                    "def train(G, D, opt_d, opt_g, data):\n"
                    "    for x in data.split(cfg['batch_size']):\n"
                    "        fake = G(torch.randn(x.size(0), 16))\n"
                    "        d_real, d_fake = D(x), D(fake.detach())\n"
                    "        d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + "
                    "F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))\n"
                    "        opt_d.zero_grad()\n        d_loss.backward()\n        opt_d.step()\n"
                    "        d_gen = D(fake)\n"
                    "        g_loss = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))\n"
                    "        opt_g.zero_grad()\n        g_loss.backward()\n        opt_g.step()\n"
                ),
            },
            "a config key the training code never reads updates no critic (a BCE GAN's leftover n_critic)",
        ),
        Example({"config.yaml": "gan_mode: vanilla\nd_steps: 1\n"}, "a standard GAN's discriminator steps"),
        Example({"config.yaml": "d_steps: 1\nlr: 1e-4\n"}, "d_steps alone does not say WGAN"),
        Example(
            {
                "config.yaml": "gan_mode: vanilla\n",
                "train.py": _ONE_STEP_LOOP,
            },
            "a standard GAN's single discriminator step",
        ),
        Example(
            {
                "config.yaml": "lambda_gp: 10\n",
                "train.py": (
                    "def train(G, D, opt_d, opt_g, batches):\n"
                    "    for x in batches:\n"
                    "        for _ in range(5):\n"
                    "            d_loss = D(G.sample().detach()).mean() - D(x).mean()\n"
                    "            d_loss.backward()\n"
                    "            opt_d.step()\n"
                    "        for _ in range(1):\n"
                    "            g_loss = -D(G.sample()).mean()\n"
                    "            g_loss.backward()\n"
                    "            opt_g.step()\n"
                ),
            },
            "five critic updates; the generator's own one-step loop is not a critic loop",
        ),
        Example(
            {
                "train.py": (
                    "import argparse\nimport torch\n\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--loss', default=None, choices=['wgan-gp', 'hinge'])\n"
                    "parser.add_argument('--n_critic', type=int, default=1)\n"
                    "opt = parser.parse_args()\n\n"
                    "def train(G, D, opt_d, opt_g, loader, penalty):\n"
                    "    for real in loader:\n"
                    "        for _ in range(opt.n_critic):\n"
                    "            fake = G(torch.randn(real.size(0), 8)).detach()\n"
                    "            d_loss = D(fake).mean() - D(real).mean() + 10 * penalty(D, real, fake)\n"
                    "            opt_d.zero_grad()\n            d_loss.backward()\n            opt_d.step()\n"
                    "        g_loss = -D(G(torch.randn(real.size(0), 8))).mean()\n"
                    "        opt_g.zero_grad()\n        g_loss.backward()\n        opt_g.step()\n"
                ),
            },
            "the loss is chosen by a flag with no default: not known to be a WGAN",
        ),
        Example({"train.py": _WGAN_GP_LOOP}, "the two time-scale update rule: a faster critic (4e-4 against 1e-4) "
                "trains one step each by design"),
        Example(
            {
                "train.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def train(G, D, loader):\n"
                    "    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.9))\n"
                    "    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.0, 0.9))\n"
                    "    for real in loader:\n"
                    "        fake = G(torch.randn(real.size(0), 8)).detach()\n"
                    "        d_loss = F.relu(1 - D(real)).mean() + F.relu(1 + D(fake)).mean()\n"
                    "        opt_d.zero_grad()\n        d_loss.backward()\n        opt_d.step()\n"
                    "        g_loss = -D(G(torch.randn(real.size(0), 8))).mean()\n"
                    "        opt_g.zero_grad()\n        g_loss.backward()\n        opt_g.step()\n"
                ),
            },
            "a hinge-loss GAN's one discriminator step per generator step",
        ),
        Example({"train.py": _WGAN_GP_LOOP.replace("lr=4e-4", "lr=1e-4").replace(
            "        fake = G", "        for _ in range(5):\n            fake = G").replace(
            "        d_loss", "            d_loss").replace("        opt_d.", "            opt_d.")},
            "a WGAN-GP critic loop of 5 steps and no setting: 5 updates per generator step"),
    ]


def _unread_in_training_code(facts: ProjectFacts, s: Setting) -> bool:
    """A config or flag setting that nothing in the project's code reads, while the project's training code
    is there to read it (a config alone, with no training code, is all there is to judge)."""
    return bool(facts.training_files()) and setting_unread(facts, s)


def _fmt(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


RULE = NCriticLow()
