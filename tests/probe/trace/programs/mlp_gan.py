"""An MLP GAN in the style of one-file GAN implementations: argparse `opt` at module level, a `block()`
helper, nn.Sequential networks at module level, a module-level loop. The bug (--no_detach): the
discriminator's loss uses the generator's output without .detach(), so its backward reaches G."""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--n_epochs", type=int, default=1000, help="number of epochs of training")
parser.add_argument("--batch_size", type=int, default=64)
parser.add_argument("--lr", type=float, default=0.001)
parser.add_argument("--latent_dim", type=int, default=8)
parser.add_argument("--no_detach", action="store_true", help="feed D the fake batch without .detach()")
opt = parser.parse_args()
torch.manual_seed(0)


def block(in_feat, out_feat):
    return [nn.Linear(in_feat, out_feat), nn.LeakyReLU(0.2, inplace=True)]


generator = nn.Sequential(*block(opt.latent_dim, 64), *block(64, 64), nn.Linear(64, 2))
discriminator = nn.Sequential(*block(2, 64), *block(64, 64), nn.Linear(64, 1), nn.Sigmoid())
adversarial_loss = nn.BCELoss()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt.lr, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(0.5, 0.999))

centres = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])
points = centres[torch.arange(4096) % 2] + 0.3 * torch.randn(4096, 2)
dataloader = DataLoader(TensorDataset(points), batch_size=opt.batch_size, shuffle=True)

for epoch in range(opt.n_epochs):
    for i, (real,) in enumerate(dataloader):
        valid = torch.ones(real.size(0), 1)
        fake = torch.zeros(real.size(0), 1)

        optimizer_D.zero_grad()
        z = torch.randn(real.size(0), opt.latent_dim)
        gen = generator(z)
        fake_batch = gen if opt.no_detach else gen.detach()
        real_loss = adversarial_loss(discriminator(real), valid)
        fake_loss = adversarial_loss(discriminator(fake_batch), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()

        optimizer_G.zero_grad()
        gen = generator(z)
        g_loss = adversarial_loss(discriminator(gen), valid)
        g_loss.backward()
        optimizer_G.step()
