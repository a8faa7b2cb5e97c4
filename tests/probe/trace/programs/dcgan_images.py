"""A DCGAN on a small image dataset class (8x8 grey images of two kinds), main() under __main__, .cuda()
only when a GPU is there. The bug (--init_std 1.0): weights_init draws N(0, 1) instead of N(0, 0.02), so the
generator's output Tanh sits saturated at +-1."""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Blobs(Dataset):
    def __init__(self, n=2048):
        g = torch.Generator().manual_seed(0)
        kinds = torch.stack([torch.zeros(1, 8, 8), torch.ones(1, 8, 8)]) * 0.8 + 0.1
        self.x = ((kinds[torch.arange(n) % 2] + 0.1 * torch.randn(n, 1, 8, 8, generator=g)).clamp(0, 1)) * 2 - 1

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], i % 2


class Generator(nn.Module):
    def __init__(self, nz=16, ngf=16):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=16):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1, 1).squeeze(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--niter", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--init_std", type=float, default=0.02)
    opt = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    def weights_init(m):
        if m.__class__.__name__.find("Conv") != -1:
            m.weight.data.normal_(0.0, opt.init_std)

    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    if torch.cuda.is_available():
        netG.cuda()
        netD.cuda()
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=opt.lr, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=opt.lr, betas=(0.5, 0.999))
    loader = DataLoader(Blobs(), batch_size=32, shuffle=True)
    for epoch in range(opt.niter):
        for real, _ in loader:
            real = real.to(device)
            b = real.size(0)
            netD.zero_grad()
            err_real = criterion(netD(real), torch.full((b,), 1.0, device=device))
            noise = torch.randn(b, 16, 1, 1, device=device)
            fake = netG(noise)
            err_fake = criterion(netD(fake.detach()), torch.full((b,), 0.0, device=device))
            (err_real + err_fake).backward()
            optimizerD.step()
            netG.zero_grad()
            errG = criterion(netD(fake), torch.full((b,), 1.0, device=device))
            errG.backward()
            optimizerG.step()


if __name__ == "__main__":
    main()
