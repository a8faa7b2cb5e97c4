import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z_dim, n_widgets):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, n_widgets), nn.ReLU(), nn.Linear(n_widgets, 2))

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, hidden_dims=(64, 64)):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden_dims[0]), nn.LeakyReLU(0.2), nn.Linear(hidden_dims[0], 1))

    def forward(self, x):
        return self.net(x)
