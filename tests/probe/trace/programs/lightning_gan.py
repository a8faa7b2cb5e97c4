"""A LightningModule GAN with manual optimisation and two optimizers (G and D apart), trained by a real
Trainer. The bug (--no_detach): the discriminator step feeds it the generator's output without .detach()."""
import argparse

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class GAN(pl.LightningModule):
    def __init__(self, latent_dim=8, lr=1e-3, no_detach=False):
        super().__init__()
        self.automatic_optimization = False
        self.latent_dim, self.lr, self.no_detach = latent_dim, lr, no_detach
        self.generator = nn.Sequential(nn.Linear(latent_dim, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64),
                                       nn.LeakyReLU(0.2), nn.Linear(64, 2))
        self.discriminator = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64),
                                           nn.LeakyReLU(0.2), nn.Linear(64, 1))

    def forward(self, z):
        return self.generator(z)

    def training_step(self, batch, batch_idx):
        (real,) = batch
        opt_g, opt_d = self.optimizers()
        z = torch.randn(real.size(0), self.latent_dim)
        fake = self(z)
        d_in = fake if self.no_detach else fake.detach()
        d_loss = F.binary_cross_entropy_with_logits(self.discriminator(real), torch.ones(real.size(0), 1)) + \
            F.binary_cross_entropy_with_logits(self.discriminator(d_in), torch.zeros(real.size(0), 1))
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        g_loss = F.binary_cross_entropy_with_logits(self.discriminator(self(z)), torch.ones(real.size(0), 1))
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.log_dict({"d_loss": d_loss, "g_loss": g_loss})

    def configure_optimizers(self):
        return [torch.optim.Adam(self.generator.parameters(), lr=self.lr, betas=(0.5, 0.999)),
                torch.optim.Adam(self.discriminator.parameters(), lr=self.lr, betas=(0.5, 0.999))]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max_epochs", type=int, default=100)
    parser.add_argument("--no_detach", action="store_true")
    args = parser.parse_args()
    pl.seed_everything(0)
    points = torch.tensor([1.0, 1.0]) + 0.5 * torch.randn(2048, 2)
    loader = DataLoader(TensorDataset(points), batch_size=64, shuffle=True)
    trainer = pl.Trainer(max_epochs=args.max_epochs, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
    trainer.fit(GAN(no_detach=args.no_detach), loader)
