"""Document 003: VAE and its learner (PyMARL style: hyperparameters arrive as self.args[...])."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, input_dim, hidden_dim, latent_dim):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, hidden_dim), nn.ReLU())
        self.mu = nn.Linear(hidden_dim, latent_dim)
        self.log_var = nn.Linear(hidden_dim, latent_dim)

    def forward(self, x):
        h = self.fc(x)
        return self.mu(h), self.log_var(h)


class Decoder(nn.Module):
    def __init__(self, latent_dim, hidden_dim, input_dim):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, input_dim)
        )

    def forward(self, z):
        return self.net(z)


class VAE(nn.Module):
    def __init__(self, input_dim, hidden_dim, latent_dim):
        super().__init__()
        self.encoder = Encoder(input_dim, hidden_dim, latent_dim)
        self.decoder = Decoder(latent_dim, hidden_dim, input_dim)

    def forward(self, x):
        mu, log_var = self.encoder(x)
        std = torch.exp(0.5 * log_var)
        z = mu + std * torch.randn_like(std)
        return self.decoder(z), mu, log_var


class VAELearner:
    def __init__(self, args):
        self.args = args
        self.vae = VAE(args['input_dim'], args['hidden_dim'], args['latent_dim'])
        self.params = list(self.vae.parameters())
        self.optimiser = torch.optim.Adam(self.params, lr=self.args['vae_lr'], eps=self.args['optim_eps'])

    def train(self, batch):
        recons, mu, log_var = self.vae(batch)
        recons_loss = F.mse_loss(recons, batch)
        kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))
        loss = recons_loss + self.args['omg_vae_alpha'] * kld_loss
        self.optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.args['grad_norm_clip'])
        self.optimiser.step()
        return {"loss": loss.item(), "recons_loss": recons_loss.item(), "kld_loss": kld_loss.item()}
