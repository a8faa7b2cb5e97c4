"""A contrastive (InfoNCE) model: two noisy views of each sample, F.cross_entropy over the B x B cosine
similarity matrix with the positives on the diagonal. The bug (--misaligned): the second view's batch is
shuffled, so the diagonal pairs are unrelated samples and nothing can be learnt."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=100000)
parser.add_argument("--temperature", type=float, default=0.2)
parser.add_argument("--misaligned", action="store_true")
args = parser.parse_args()
torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32))

    def forward(self, x):
        return F.normalize(self.net(x), dim=1)


model = Encoder()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(args.steps):
    x = torch.randn(32, 16)
    v1 = x + 0.1 * torch.randn_like(x)
    v2 = x + 0.1 * torch.randn_like(x)
    if args.misaligned:
        v2 = v2[torch.randperm(len(v2))]
    logits = model(v1) @ model(v2).t() / args.temperature
    labels = torch.arange(len(x))
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
