"""GL105 n-critic-low: a WGAN / WGAN-GP critic updated fewer than 5 times per generator step (000 §1.3, 001)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Setting, Severity
from ganlint.reading.facts import ProjectFacts


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
        """The n_critic settings, plus the count of each critic loop `for _ in range(N):` in the code: a
        literal N, or the setting N reads (`range(opt.d_iters)`, whatever the key is called)."""
        found = super().candidates(facts)
        seen = {(s.location.file, s.location.line, s.location.column) for s in found}
        for loop in facts.code.critic_loops:
            arg = loop.count
            if arg.has_literal:
                s = Setting(key="critic loop", value=arg.literal, location=arg.location, style="code",
                            canonical="n_critic", role="critic", raw=arg.src)
            elif arg.ref is not None:
                hit = _read_setting(facts, arg.ref.key)
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
                    "def penalty(D, real, fake):\n"
                    "    x_hat = (0.5 * real + 0.5 * fake).requires_grad_(True)\n"
                    "    g = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
                ),
            },
            "a critic loop over a flag with an unusual name",
            fixed=[("parser.add_argument('--d_iters', type=int, default=2)  # expect\n", "parser.add_argument('--d_iters', type=int, default=5)  # expect\n")]),
        Example(
            {
                "config.yaml": "lambda_gp: 10\n",
                "train.py": (
                    "def train(G, D, opt_d, opt_g, batches):\n"
                    "    for x in batches:\n"
                    "        for _ in range(1):  # expect\n"
                    "            d_loss = D(G.sample().detach()).mean() - D(x).mean()\n"
                    "            d_loss.backward()\n"
                    "            opt_d.step()\n"
                    "        g_loss = -D(G.sample()).mean()\n"
                    "        g_loss.backward()\n"
                    "        opt_g.step()\n"
                ),
            },
            "one critic update per generator step, written as a loop",
            fixed=[('        for _ in range(1):  # expect\n', '        for _ in range(5):  # expect\n')]),
    ]
    good = [
        Example({"config.yaml": "grad_penalty: 10.0\nn_critic: 5\n"}, "the usual 5"),
        Example({"config.yaml": "gan_mode: vanilla\nd_steps: 1\n"}, "a standard GAN's discriminator steps"),
        Example({"config.yaml": "d_steps: 1\nlr: 1e-4\n"}, "d_steps alone does not say WGAN"),
        Example(
            {
                "config.yaml": "gan_mode: vanilla\n",
                "train.py": (
                    "def train(G, D, opt_d, opt_g, batches):\n"
                    "    for x in batches:\n"
                    "        for _ in range(1):\n"
                    "            d_loss = D(G.sample().detach()).mean() - D(x).mean()\n"
                    "            d_loss.backward()\n"
                    "            opt_d.step()\n"
                    "        g_loss = -D(G.sample()).mean()\n"
                    "        g_loss.backward()\n"
                    "        opt_g.step()\n"
                ),
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
    ]


def _read_setting(facts: ProjectFacts, key: str) -> Setting | None:
    """The setting `settings["num_crit_training"]` reads: the shallowest one of that key (the top-level entry
    `setting.num_crit_training`, not a nested `setting.phases.late.num_crit_training` of the same name)."""
    hit = facts.setting_by_key(key)
    if hit is None or hit.key == key:
        return hit
    nested = [s for s in facts.settings if s.key.endswith("." + key)]
    return min(reversed(nested), key=lambda s: s.key.count(".")) if nested else hit


RULE = NCriticLow()
