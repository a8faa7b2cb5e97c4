"""Precision on code that is no generative model of ganlint's families: a reinforcement-learning actor-critic
(its critic is a value function), ... Each with its near miss: the same shape in a real GAN, VAE or
energy model still fires.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_DDPG = """\
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F


class Actor(nn.Module):
    def __init__(self, state_dim, action_dim, max_action):
        super().__init__()
        self.l1 = nn.Linear(state_dim, 400)
        self.l2 = nn.Linear(400, action_dim)
        self.max_action = max_action

    def forward(self, state):
        return self.max_action * torch.tanh(self.l2(F.relu(self.l1(state))))


class Critic(nn.Module):
    def __init__(self, state_dim, action_dim):
        super().__init__()
        self.l1 = nn.Linear(state_dim + action_dim, 400)
        self.l2 = nn.Linear(400, 1)

    def forward(self, state, action):
        return self.l2(F.relu(self.l1(torch.cat([state, action], 1))))


class Agent(object):
    def __init__(self, state_dim, action_dim, max_action, discount=0.99, tau=0.005):
        self.actor = Actor(state_dim, action_dim, max_action)
        self.actor_target = copy.deepcopy(self.actor)
        self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=1e-4)  # expect GL112
        self.critic = Critic(state_dim, action_dim)
        self.critic_target = copy.deepcopy(self.critic)
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=1e-3)  # expect GL112 GL113
        self.discount, self.tau = discount, tau

    def train(self, replay_buffer, batch_size=64):
        state, action, next_state, reward, not_done = replay_buffer.sample(batch_size)
        target_q = self.critic_target(next_state, self.actor_target(next_state))
        target_q = reward + (not_done * self.discount * target_q).detach()
        critic_loss = F.mse_loss(self.critic(state, action), target_q)
        self.critic_optimizer.zero_grad()
        critic_loss.backward()
        self.critic_optimizer.step()
        actor_loss = -self.critic(state, self.actor(state)).mean()
        self.actor_optimizer.zero_grad()
        actor_loss.backward()
        self.actor_optimizer.step()
        for param, target_param in zip(self.critic.parameters(), self.critic_target.parameters()):
            target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)
"""


def test_an_actor_critic_agent_is_no_gan(tmp_path):
    codes = {"GL112", "GL113"}
    res, found, expected = _check(tmp_path / "rl", {"DDPG.py": _DDPG.replace("  # expect GL112 GL113", "")
                                                    .replace("  # expect GL112", "")}, codes)
    assert res.facts.code.optimizers and not res.facts.families()
    assert found == expected == set(), found
    # near miss: the same two players named a generator and a critic (a GAN whose critic is trained the same
    # way) is a GAN: its default betas and high critic rate fire
    gan = _DDPG.replace("Actor", "Generator").replace("self.actor", "self.generator") \
        .replace("actor_", "generator_")
    res, found, expected = _check(tmp_path / "gan", {"DDPG.py": gan}, codes)
    assert len(expected) == 3
    assert found == expected, (found, expected)
