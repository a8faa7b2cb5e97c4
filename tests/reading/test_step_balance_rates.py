"""GL105 with no critic-step setting: a WGAN-GP loop of one critic and one generator update per batch, the
penalty in a helper module, the rates in config dicts picked at run time. The two time-scale update rule (a
critic rate known to be higher) excuses the loop; a rate the code does not fix to one value does not."""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_UTILS = """\
import torch


def grad_penalty(discriminator, real, fake):
    alpha = torch.rand(real.size(0), 1)
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_()
    grads = torch.autograd.grad(discriminator(mix).sum(), mix, create_graph=True)[0]
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()
"""

_CONFIG = """\
plain = {
    'lr_D': 1e-4,
    'lr_G': 1e-4,
    'batch_size': 64,
}

private = {
    'lr_D': 4e-4,
    'lr_G': 1e-4,
    'batch_size': 128,
}
"""

_MAIN = """\
import sys
import torch

import config
import utils
from nets import Critic, Generator

cfg = config.plain if sys.argv[1] == '1' else config.private
G, D = Generator(), Critic()
optimizer_D = torch.optim.RMSprop(D.parameters(), lr={lr_d})
optimizer_G = torch.optim.RMSprop(G.parameters(), lr={lr_g})

for epoch in range(10):
    for real, _ in loader:
        optimizer_D.zero_grad()
        fake = G(torch.randn(real.size(0), 100)).detach()
        loss_D = -D(real).mean() + D(fake).mean() + 10 * utils.grad_penalty(D, real, fake)
        loss_D.backward()
        optimizer_D.step(){mark}
        optimizer_G.zero_grad()
        loss_G = -D(G(torch.randn(real.size(0), 100))).mean()
        loss_G.backward()
        optimizer_G.step()
"""


def _project(lr_d: str, lr_g: str, mark: str) -> dict[str, str]:
    return {"utils.py": _UTILS, "config.py": _CONFIG, "main.py": _MAIN.format(lr_d=lr_d, lr_g=lr_g, mark=mark)}


def test_rates_of_config_variants_chosen_at_run_time_do_not_excuse_the_loop(tmp_path):
    _, found, expected = _check(tmp_path, _project("cfg['lr_D']", "cfg['lr_G']", "  # expect GL105"), {"GL105"})
    assert found == expected and expected, (found, expected)
    _, found, expected = _check(tmp_path, _project("1e-4", "1e-4", "  # expect GL105"), {"GL105"})
    assert found == expected and expected, (found, expected)


def test_a_known_faster_critic_is_the_two_time_scale_rule(tmp_path):
    for lr_d, lr_g in (("4e-4", "1e-4"), ("config.private['lr_D']", "config.private['lr_G']")):
        _, found, _ = _check(tmp_path, _project(lr_d, lr_g, ""), {"GL105"})
        assert found == set(), (lr_d, found)


def test_a_bce_discriminator_is_not_a_wasserstein_critic(tmp_path):
    bce = _MAIN.replace("-D(real).mean() + D(fake).mean()", "torch.nn.functional.binary_cross_entropy_with_logits("
                        "D(real), torch.ones(real.size(0), 1))")
    files = {"utils.py": _UTILS, "config.py": _CONFIG, "main.py": bce.format(lr_d="1e-4", lr_g="1e-4", mark="")}
    _, found, _ = _check(tmp_path, files, {"GL105"})
    assert found == set(), found
