"""Networks built by a function the probe is told about (--entry nets:make or ganlint_networks)."""
import torch
import torch.nn as nn


def mlp(sizes, act=nn.LeakyReLU):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), act()]
    return nn.Sequential(*layers[:-1])


def make(config):
    z = config.get("z_dim", 8)
    g = mlp([z, 64, 64, 2])
    d = mlp([2, 64, 64, 1])
    data = torch.randn(4000, 2) * 0.3 + torch.tensor([[1.0, 1.0]])
    return {"generator": g, "critic": d}, data
