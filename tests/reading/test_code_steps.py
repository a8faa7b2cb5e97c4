"""D step vs G step: which backward belongs to which player, read from the optimizer that steps after it."""
from __future__ import annotations

from tests.reading.test_code_networks import facts_of


def test_each_undetached_call_is_reported_once_however_many_losses_it_feeds():
    cf = facts_of('''
        import torch
        import torch.nn.functional as F
        def train(G, D, d_opt, z, x, ones, zeros):
            G_sample = G(z)
            D_fake = D(G_sample)
            D_loss_fake = F.binary_cross_entropy(D_fake, zeros)
            D_loss = F.binary_cross_entropy(D(x), ones) + D_loss_fake
            D_loss.backward()
            d_opt.step()
    ''')
    assert [(u.location.line, u.fake_src) for u in cf.undetached_fakes] == [(6, "G_sample")]


def test_the_optimizer_that_steps_decides_the_step_whatever_the_loss_is_called():
    cf = facts_of('''
        import torch
        def train(gen, disc, optimizer_disc, optimizer_gen, z, x):
            fake = gen(z)
            loss = torch.relu(1 + disc(fake)).mean() + torch.relu(1 - disc(x)).mean()
            loss.backward()
            optimizer_disc.step()
            loss = -disc(fake).mean()
            loss.backward()
            optimizer_gen.step()
    ''')
    assert [u.location.line for u in cf.undetached_fakes] == [5]


def test_a_sampling_helper_is_a_generated_batch():
    cf = facts_of('''
        import torch
        class Trainer:
            def sample(self, n):
                return self.G(torch.randn(n, 8))
            def critic_step(self, x):
                fake = self.sample(x.size(0))
                loss = self.D(fake).mean() - self.D(x).mean()
                loss.backward()
                self.opt_critic.step()
    ''')
    assert [(u.location.line, u.fake_src) for u in cf.undetached_fakes] == [(8, "fake")]


def test_detached_fake_and_data_attribute_stay_silent():
    cf = facts_of('''
        import torch
        def train(G, D, opt_D, z, x):
            fake = G(z)
            errD = D(fake.detach()).mean() - D(x).mean() + D(G(z).data).mean()
            errD.backward()
            opt_D.step()
    ''')
    assert cf.undetached_fakes == []


def test_tensorflow_graphs_have_no_backward_into_the_generator():
    cf = facts_of('''
        import tensorflow as tf
        G_sample = generator(Z)
        D_fake = discriminator(G_sample)
        D_loss = -tf.reduce_mean(tf.log(1. - D_fake))
    ''')
    assert cf.undetached_fakes == []


def test_hand_written_supervised_contrastive_loss_is_infonce():
    cf = facts_of('''
        import torch
        import torch.nn.functional as F
        class SupCon:
            def loss(self, feats, labels):
                logits = torch.div(torch.matmul(feats, feats.T), self.temperature)
                log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
                return -(labels * log_prob).sum(1).mean()
        def pair_loss(z1, z2, tau=0.2):
            sim = F.cosine_similarity(z1[:, None], z2[None], dim=-1) / tau
            return F.cross_entropy(sim, torch.arange(len(z1)))
    ''')
    assert sorted(m.location.line for m in cf.infonce) == [6, 10]
    assert "energy" in cf.families()


def test_gumbel_and_soft_update_taus_are_no_infonce():
    cf = facts_of('''
        import torch
        import torch.nn.functional as F
        def select(logits, tau=0.5):
            return F.gumbel_softmax(logits / tau, tau=tau, hard=True)
        def soft_update(target, source, tau=0.005):
            for t, s in zip(target.parameters(), source.parameters()):
                t.data.copy_(tau * s.data + (1 - tau) * t.data)
        def classify(x, w, targets, temperature=2.0):
            return F.cross_entropy(x / temperature, targets)  # distillation logits, no similarity matrix
    ''')
    assert cf.infonce == [] and "energy" not in cf.families()


def test_langevin_sampling_makes_an_energy_model_and_fgsm_does_not():
    cf = facts_of('''
        import torch
        def sgld(f, x_k, n_steps, step, std):
            for _ in range(n_steps):
                f_prime = torch.autograd.grad(f(x_k).sum(), [x_k], retain_graph=True)[0]
                x_k.data += step * f_prime + std * torch.randn_like(x_k)
            return x_k
    ''', '''
        import torch
        def fgsm(clf, x, eps):
            x.requires_grad_(True)
            clf(x).sum().backward()
            return x + eps * x.grad.sign()
    ''')
    assert [(m.location.file, m.location.line) for m in cf.langevin] == [("f0.py", 6)]


def test_roles_from_the_optimizer_that_trains_a_network_and_fakes_through_cat():
    cf = facts_of('''
        import torch
        from itertools import chain
        G_solver = torch.optim.Adam(chain(Q.parameters(), P.parameters()), lr=1e-4)
        D_solver = torch.optim.Adam(D_.parameters(), lr=1e-4)
        for it in range(100):
            X_hat = P(z)
            d_fake = D_(torch.cat([X_hat, c], dim=1))
            d_real = D_(torch.cat([X, c], dim=1))
            loss = -torch.mean(torch.log(d_real) + torch.log(1 - d_fake))
            loss.backward()
            D_solver.step()
    ''')
    assert [(u.location.line, u.fake_src) for u in cf.undetached_fakes] == [(8, "torch.cat([X_hat, c], dim=1)")]


def test_a_detach_in_the_generator_step_of_a_correct_program_stays_silent():
    cf = facts_of('''
        import torch
        def train(G, D, opt_D, opt_G, bce, x, z, ones, zeros, history):
            fake = G(z)
            loss_D = bce(D(x), ones) + bce(D(fake.detach()), zeros)
            opt_D.zero_grad(); loss_D.backward(); opt_D.step()
            history.append(fake.detach().cpu())
            out = D(fake)
            loss = bce(out, ones)
            opt_G.zero_grad(); loss.backward(); opt_G.step()
    ''')
    assert cf.undetached_fakes == []
