"""A WGAN-GP on two 2-D Gaussians whose hidden layers come from a helper: the activation is looked up by a
name that the config gives (held-out case for `fix --verify`: the static check cannot see which class it is)."""
import torch
import torch.nn as nn

def activation(name):
    # a registry built at import time from torch.nn's own names: what class a name picks is known only
    # when the program runs (`leaky_relu` -> LeakyReLU, `sigmoid` -> Sigmoid)
    table = {n.lower(): getattr(nn, n) for n in dir(nn) if n[:1].isupper()}
    return table[name.replace("_", "")]()


def block_stack(sizes, act_name):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(activation(act_name))
    return nn.Sequential(*layers)


class PointGenerator(nn.Module):
    def __init__(self, noise_size, gen_units, gen_act):
        super().__init__()
        self.body = block_stack([noise_size, *gen_units, 2], gen_act)

    def forward(self, z):
        return self.body(z)


class PointCritic(nn.Module):
    def __init__(self, critic_units, critic_act):
        super().__init__()
        self.body = block_stack([2, *critic_units, 1], critic_act)

    def forward(self, x):
        return self.body(x)
