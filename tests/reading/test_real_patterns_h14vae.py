"""VAE programs of held-out set 14 that ganlint missed, in the styles real repositories use (not copied from any):

- a hierarchical VAE's stochastic layer naming its log-variances `q_lv` / `p_lv` and exponentiating
  `(q_lv / 2).exp()` inside `Normal(...)`; a text VAE's `logv = self.hidden2logv(h)`;
- `import torch as t`: `t.exp(0.5 * logvar)` is torch's exp, `t.clamp(logvar, ...)` torch's clamp; the sampling's
  exp and the KL's exp of one log-variance in one forward are two uses, each reported;
- a plain settings class (`class Parameters:` whose `__init__` sets `self.latent_variable_size = 1100`);

each with silent near misses. `# expect GLnnn` marks each line where that finding must be reported, and the
findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

# -- GL205: log-variances called q_lv / p_lv, exponentiated inside Normal(...) ----------------------------
_LADDER_BLOCK = """\
import torch
from torch import nn
from torch.distributions import Normal, kl_divergence


class GaussianLayer(nn.Module):
    def __init__(self, c_in, c_z):
        super().__init__()
        self.to_p = nn.Conv2d(c_in, 2 * c_z, 3, padding=1)
        self.to_q = nn.Conv2d(c_in, 2 * c_z, 3, padding=1)

    def forward(self, h_prior, h_post):
        p_mu, p_lv = self.to_p(h_prior).chunk(2, dim=1)
        p = Normal(p_mu, (p_lv / 2).exp())  # expect GL205
        q_mu, q_lv = self.to_q(h_post).chunk(2, dim=1)
        q = Normal(q_mu, (q_lv / 2).exp())  # expect GL205
        z = q.rsample()
        kl = kl_divergence(q, p).sum((1, 2, 3))
        return z, kl


def kl_one_sample(z, p_params, q_params):
    p_mu, p_lv = torch.chunk(p_params, 2, dim=1)
    q_mu, q_lv = torch.chunk(q_params, 2, dim=1)
    p_std = (p_lv / 2).exp()  # expect GL205
    q_std = (q_lv / 2).exp()  # expect GL205
    return Normal(q_mu, q_std).log_prob(z) - Normal(p_mu, p_std).log_prob(z)
"""


def test_log_variances_called_q_lv_and_p_lv_exponentiated_in_normal_are_reported(tmp_path):
    _, found, expected = _check(tmp_path, {"layers.py": _LADDER_BLOCK}, {"GL205"})
    assert found == expected and len(expected) == 4, found


def test_q_lv_and_p_lv_clamped_where_they_are_made_stay_silent(tmp_path):
    # near miss: each log-variance clamped once after its chunk (a method clamp and torch.clamp)
    clamped = _LADDER_BLOCK.replace("  # expect GL205", "")
    clamped = clamped.replace("        p = Normal(", "        p_lv = p_lv.clamp(-8, 8)\n        p = Normal(")
    clamped = clamped.replace("        q = Normal(", "        q_lv = torch.clamp(q_lv, -8, 8)\n        q = Normal(")
    assert clamped.count("clamp") == 2
    _, found, _ = _check(tmp_path, {"layers.py": clamped}, {"GL205"})
    assert found == set(), found


def test_a_word_holding_lv_or_a_log_volume_is_no_log_variance(tmp_path):
    # near misses beside a VAE (a KL term in the file): `solver_lvl` and `log_vol` are no log-variances,
    # `self.log_values` a table of logged values; their exps feed neither the KL nor the sampling
    files = {"vae.py": """\
import torch
import torch.nn as nn


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(784, 32)
        self.dec = nn.Linear(16, 784)
        self.log_values = nn.Parameter(torch.zeros(16))

    def forward(self, x, log_vol, solver_lvl):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        logvar = torch.clamp(logvar, -10, 10)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        density = torch.exp(log_vol) * torch.exp(solver_lvl)
        weights = self.log_values.exp()
        return torch.sigmoid(self.dec(z * weights)) * density, kld
"""}
    _, found, _ = _check(tmp_path, files, {"GL205"})
    assert found == set(), found


# -- GL205: `logv` (a text VAE's hidden2logv head) ----------------------------------------------------------
_TEXT_VAE = """\
import torch
import torch.nn as nn


class SentenceVAE(nn.Module):
    def __init__(self, vocab, emb=64, hidden=128, latent=16):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.encoder_rnn = nn.GRU(emb, hidden, batch_first=True)
        self.hidden2mean = nn.Linear(hidden, latent)
        self.hidden2logv = nn.Linear(hidden, latent)
        self.latent2hidden = nn.Linear(latent, hidden)
        self.latent = latent

    def forward(self, tokens):
        _, hidden = self.encoder_rnn(self.embedding(tokens))
        hidden = hidden.squeeze(0)
        mean = self.hidden2mean(hidden)
        logv = self.hidden2logv(hidden)
        std = torch.exp(0.5 * logv)  # expect GL205

        z = torch.randn([tokens.size(0), self.latent])
        z = z * std + mean
        return self.latent2hidden(z), mean, logv


def loss_fn(logp, target, mean, logv):
    nll = nn.functional.nll_loss(logp, target)
    kl_loss = -0.5 * torch.sum(1 + logv - mean.pow(2) - logv.exp())  # expect GL205
    return nll + kl_loss
"""


def test_a_log_variance_called_logv_is_reported(tmp_path):
    _, found, expected = _check(tmp_path, {"model.py": _TEXT_VAE}, {"GL205"})
    assert found == expected and len(expected) == 2, found


def test_logv_produced_through_a_clamp_stays_silent(tmp_path):
    # near miss: the head's output is clamped where it is produced
    clamped = _TEXT_VAE.replace("logv = self.hidden2logv(hidden)", "logv = torch.clamp(self.hidden2logv(hidden), -10, 10)")
    clamped = clamped.replace("  # expect GL205", "")
    assert clamped != _TEXT_VAE
    _, found, _ = _check(tmp_path, {"model.py": clamped}, {"GL205"})
    assert found == set(), found


# -- GL205: `import torch as t` -----------------------------------------------------------------------------
_ALIASED = """\
import torch as t
import torch.nn as nn


class RVAE(nn.Module):
    def __init__(self, hidden=256, latent=16):
        super().__init__()
        self.encoder = nn.LSTM(32, hidden, batch_first=True)
        self.context_to_mu = nn.Linear(hidden, latent)
        self.context_to_logvar = nn.Linear(hidden, latent)
        self.latent = latent

    def forward(self, x):
        _, (context, _) = self.encoder(x)
        context = context[-1]
        mu = self.context_to_mu(context)
        logvar = self.context_to_logvar(context)
        std = t.exp(0.5 * logvar)  # expect GL205

        z = t.randn([x.size(0), self.latent])
        z = z * std + mu

        kld = (-0.5 * t.sum(logvar - t.pow(mu, 2) - t.exp(logvar) + 1, 1)).mean()  # expect GL205
        return z, kld
"""


def test_torch_imported_as_t_its_exp_of_the_log_variance_is_reported_in_the_sampling_and_the_kl(tmp_path):
    _, found, expected = _check(tmp_path, {"rvae.py": _ALIASED}, {"GL205"})
    assert found == expected and len(expected) == 2, found


def test_torch_imported_as_t_a_clamp_by_t_clamp_is_a_clamp(tmp_path):
    # near miss: the encoder returns `t.clamp(logvar, -10, 10)` (torch's clamp under its alias, not a method)
    clamped = _ALIASED.replace("        logvar = self.context_to_logvar(context)\n",
                               "        logvar = self.log_variance(context)\n").replace("  # expect GL205", "")
    clamped += ("\n    def log_variance(self, context):\n"
                "        logvar = self.context_to_logvar(context)\n"
                "        return t.clamp(logvar, -10, 10)\n")
    _, found, _ = _check(tmp_path, {"rvae.py": clamped}, {"GL205"})
    assert found == set(), found


def test_an_exp_of_another_module_named_t_is_not_torch_s(tmp_path):
    # near miss: `t` is a local helper object (no `import torch as t`): `t.exp(...)` is its own method,
    # called on a log-scale of a tempering schedule, not the posterior's log-variance
    files = {"vae.py": """\
import torch
import torch.nn as nn


class VAE(nn.Module):
    def __init__(self, sched):
        super().__init__()
        self.enc = nn.Linear(784, 32)
        self.sched = sched

    def forward(self, x, step):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        logvar = logvar.clamp(-10, 10)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        t = self.sched
        return z, kld * t.exp(t.log_std_at(step))
"""}
    _, found, _ = _check(tmp_path, files, {"GL205"})
    assert found == set(), found


# -- GL206: the latent size in a plain settings class (`class Parameters:`) ----------------------------------
_PARAMETERS = """\
class Parameters:
    def __init__(self, vocab_size, max_len):
        self.vocab_size = int(vocab_size)
        self.max_len = int(max_len) + 1

        self.embed_size = 300
        self.encoder_rnn_size = 600
        self.latent_variable_size = 1100  # expect GL206
        self.decoder_rnn_size = 800
"""

_PARAMS_VAE = """\
import torch
import torch.nn as nn


class TextVAE(nn.Module):
    def __init__(self, params):
        super().__init__()
        self.params = params
        self.embed = nn.Embedding(params.vocab_size, params.embed_size)
        self.encoder = nn.GRU(params.embed_size, params.encoder_rnn_size, batch_first=True)
        self.to_mu = nn.Linear(params.encoder_rnn_size, params.latent_variable_size)
        self.to_logvar = nn.Linear(params.encoder_rnn_size, params.latent_variable_size)
        self.decoder = nn.GRU(params.embed_size + params.latent_variable_size, params.decoder_rnn_size, batch_first=True)
        self.out = nn.Linear(params.decoder_rnn_size, params.vocab_size)

    def forward(self, tokens):
        emb = self.embed(tokens)
        _, h = self.encoder(emb)
        mu, logvar = self.to_mu(h[-1]), self.to_logvar(h[-1]).clamp(-10, 10)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), 1).mean()
        z_seq = z.unsqueeze(1).expand(-1, tokens.size(1), -1)
        y, _ = self.decoder(torch.cat([emb, z_seq], 2))
        return self.out(y), kld
"""

_PARAMS_TRAIN = """\
import torch
from torch.optim import Adam

from utils.parameters import Parameters
from model.vae import TextVAE

if __name__ == "__main__":
    parameters = Parameters(10000, 50)
    vae = TextVAE(parameters)
    optimizer = Adam(vae.parameters(), 1e-4)
    for step in range(1000):
        tokens = torch.randint(0, 10000, (32, 50))
        logits, kld = vae(tokens)
        rec = torch.nn.functional.cross_entropy(logits.transpose(1, 2), tokens)
        loss = rec + min(1.0, step / 500) * kld
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


def _params_project(parameters: str = _PARAMETERS, model: str = _PARAMS_VAE) -> dict[str, str]:
    return {"utils/__init__.py": "", "utils/parameters.py": parameters, "model/__init__.py": "",
            "model/vae.py": model, "train.py": _PARAMS_TRAIN}


def test_the_latent_size_of_a_plain_parameters_class_is_read_and_reported(tmp_path):
    _, found, expected = _check(tmp_path, _params_project(), {"GL206"})
    assert found == expected == {("GL206", "parameters.py", 8)}, found


def test_a_small_latent_in_the_parameters_class_stays_silent(tmp_path):
    # near miss: the same class with a latent of 16; its other sizes (600, 800, 300) are no latents
    small = _PARAMETERS.replace("1100  # expect GL206", "16")
    _, found, _ = _check(tmp_path, _params_project(small), {"GL206"})
    assert found == set(), found


def test_the_same_parameters_class_beside_an_autoencoder_with_no_kl_stays_silent(tmp_path):
    # near miss: a plain autoencoder (no KL term, no sampling, no log-variance): 1100 is no VAE latent
    ae = (_PARAMS_VAE.replace("TextVAE", "TextAE")
          .replace("        mu, logvar = self.to_mu(h[-1]), self.to_logvar(h[-1]).clamp(-10, 10)\n"
                   "        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)\n"
                   "        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), 1).mean()\n",
                   "        z = self.to_mu(h[-1])\n")
          .replace("return self.out(y), kld", "return self.out(y)"))
    assert "kld" not in ae
    train = (_PARAMS_TRAIN.replace("TextVAE", "TextAE").replace("logits, kld = vae(tokens)", "logits = vae(tokens)")
             .replace("loss = rec + min(1.0, step / 500) * kld", "loss = rec"))
    files = {**_params_project(model=ae), "train.py": train}
    _, found, _ = _check(tmp_path, files, {"GL206"})
    assert found == set(), found


# -- GL203: a PyTorch trainer's argparse rate, beside a TensorFlow variant of the same VAE ---------------------
_TORCH_TRAIN = """\
import argparse

import torch
import torch.nn as nn


class CVAE(nn.Module):
    def __init__(self, n_in=1000, latent=20):
        super().__init__()
        self.enc = nn.Linear(n_in, 2 * latent)
        self.dec = nn.Sequential(nn.Linear(latent, n_in), nn.Sigmoid())

    def forward(self, x):
        mean, log_var = self.enc(x).chunk(2, dim=1)
        log_var = log_var.clamp(-10, 10)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        return self.dec(z), mean, log_var


def main(args):
    vae = CVAE()
    optimizer = torch.optim.Adam(vae.parameters(), lr=args.learning_rate)
    for epoch in range(args.epochs):
        x = torch.rand(64, 1000)
        recon, mean, log_var = vae(x)
        bce = nn.functional.binary_cross_entropy(recon, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp())
        loss = (bce + kld) / x.size(0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--learning_rate", type=float, default=0.001)  # expect GL203
    main(parser.parse_args())
"""

_TF_TRAIN = """\
import tensorflow as tf
from tf_model import VAE

latent_dim = 20
optimizer = tf.keras.optimizers.Adam(1e-4)


@tf.function
def compute_loss(model, x):
    mean, logvar = model.encode(x)
    z = model.reparameterize(mean, logvar)
    logits = model.decode(z)
    rec = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(logits=logits, labels=x), axis=1)
    kl = -0.5 * tf.reduce_sum(1 + logvar - tf.square(mean) - tf.exp(logvar), axis=1)
    return tf.reduce_mean(rec + kl)


model = VAE(latent_dim, 1000)
for epoch in range(100):
    with tf.GradientTape() as tape:
        loss = compute_loss(model, tf.random.uniform((50, 1000)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""


def test_the_torch_trainer_s_rate_is_reported_beside_a_tensorflow_variant(tmp_path):
    # the Keras optimizer's first argument is its rate (1e-4), not parameters: it is no torch.optim.Adam built
    # without lr= (torch's 1e-3), and it does not hide the PyTorch trainer's role-less argparse default
    files = {"torch_training.py": _TORCH_TRAIN, "tf_training.py": _TF_TRAIN}
    _, found, expected = _check(tmp_path, files, {"GL203"})
    assert found == expected == {("GL203", "torch_training.py", 37)}, found


def test_a_keras_adam_is_not_read_as_torch_s_default_rate(tmp_path):
    # near miss: the PyTorch trainer at 3e-4 and the Keras Adam(1e-4) beside it: nothing at or above 5e-4
    files = {"torch_training.py": _TORCH_TRAIN.replace("default=0.001)  # expect GL203", "default=3e-4)"),
             "tf_training.py": _TF_TRAIN}
    _, found, _ = _check(tmp_path, files, {"GL203"})
    assert found == set(), found
    # and imported by its bare name from Keras: the file trains no torch
    bare = _TF_TRAIN.replace("import tensorflow as tf\n", "import tensorflow as tf\nfrom tensorflow.keras.optimizers import Adam\n")
    bare = bare.replace("tf.keras.optimizers.Adam(1e-4)", "Adam(1e-4)")
    files["tf_training.py"] = bare
    _, found, _ = _check(tmp_path, files, {"GL203"})
    assert found == set(), found


# -- GL202: a LightningModule's constant beta, built by Hydra from a `_target_:` node ---------------------------
_HYDRA_MAIN = """\
import hydra
from hydra.utils import instantiate


@hydra.main(config_path="config", config_name="config.yaml")
def main(conf):
    loader = instantiate(conf.train_loader)
    model = instantiate(conf.model)
    trainer = instantiate(conf.trainer)
    trainer.fit(model, loader)


if __name__ == "__main__":
    main()
"""

_HYDRA_CONFIG = """\
defaults:
  - model: vae

train_loader:
  _target_: torch.utils.data.DataLoader
  batch_size: ${params.batch_size}

trainer:
  _target_: pytorch_lightning.Trainer
  max_epochs: 20
"""

_HYDRA_MODEL = """\
# @package _global_

model:
  _target_: model.GaussianVAE
  z_dim: ${params.z_dim}
  beta: ${params.beta}
  lr: ${params.lr}

params:
  z_dim: 16
  lr: 3e-4
  batch_size: 128
  beta: 0.5  # expect GL202
"""

_LIGHTNING_VAE = """\
import torch
import torch.nn as nn
import pytorch_lightning as pl
from torch.distributions import Normal


class GaussianVAE(pl.LightningModule):
    def __init__(self, z_dim, beta, lr):
        super().__init__()
        self.beta = beta
        self.lr = lr
        self.enc = nn.Linear(784, 2 * z_dim)
        self.dec = nn.Linear(z_dim, 784)

    def training_step(self, batch, batch_idx):
        x, _ = batch
        x = x.flatten(1)
        mu, log_scale = self.enc(x).chunk(2, dim=1)
        q = Normal(mu, nn.functional.softplus(log_scale) + 1e-4)
        z = q.rsample()
        prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
        kl_loss = torch.mean(q.log_prob(z).sum(1) - prior.log_prob(z).sum(1))
        rec_loss = nn.functional.binary_cross_entropy_with_logits(self.dec(z), x, reduction="sum") / x.size(0)
        loss = rec_loss + self.beta * kl_loss
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)
"""


def _hydra_project(model_yaml: str = _HYDRA_MODEL, model_py: str = _LIGHTNING_VAE) -> dict[str, str]:
    return {"main.py": _HYDRA_MAIN, "config/config.yaml": _HYDRA_CONFIG, "config/model/vae.yaml": model_yaml,
            "model.py": model_py}


def test_a_constant_beta_a_hydra_target_node_passes_to_the_vae_is_reported(tmp_path):
    _, found, expected = _check(tmp_path, _hydra_project(), {"GL202"})
    assert found == expected == {("GL202", "vae.yaml", 13)}, found


def test_a_hydra_built_vae_whose_beta_is_annealed_or_not_passed_stays_silent(tmp_path):
    # near miss: the loss ramps the configured beta up with the step count
    annealed = _LIGHTNING_VAE.replace("self.beta * kl_loss", "self.beta * min(1.0, self.global_step / 1000) * kl_loss")
    _, found, _ = _check(tmp_path, _hydra_project(_HYDRA_MODEL.replace("  # expect GL202", ""), annealed), {"GL202"})
    assert found == set(), found
    # near miss: the `_target_` node builds another class; the VAE's beta has no default and no call is seen
    other = _HYDRA_MODEL.replace("model.GaussianVAE", "model.Autoencoder").replace("  # expect GL202", "")
    _, found, _ = _check(tmp_path, _hydra_project(other), {"GL202"})
    assert found == set(), found
    # near miss: the node leaves beta out and the class has no default for it: its value is not known
    omitted = _HYDRA_MODEL.replace("  beta: ${params.beta}\n", "").replace("  # expect GL202", "")
    _, found, _ = _check(tmp_path, _hydra_project(omitted), {"GL202"})
    assert found == set(), found


# -- the clamp the fix writes uses the file's name for torch ----------------------------------------------------
def _clamp_transform(src: str) -> str:
    from ganlint.core.types import Edit
    from ganlint.fix.edits import apply_edits

    edits = [Edit("transform-code", "m.py", target="clamp-logvar", new={})]
    return apply_edits({"m.py": src}, edits).get("m.py", src)


def test_the_clamp_statement_names_torch_as_the_file_imports_it():
    body = ("\n\ndef reparameterize(mu, log_var):\n    std = log_var.mul(0.5).exp()\n"
            "    return mu + std * {t}.randn_like(std)\n")
    aliased = _clamp_transform("import torch as t\n" + body.format(t="t"))
    assert "    log_var = t.clamp(log_var, -10.0, 10.0)\n" in aliased and "torch.clamp" not in aliased, aliased
    compile(aliased, "m.py", "exec")
    # near miss: `import torch` beside the alias (or alone): torch.clamp as before
    both = _clamp_transform("import torch\nimport torch as t\n" + body.format(t="t"))
    assert "    log_var = torch.clamp(log_var, -10.0, 10.0)\n" in both, both
    plain = _clamp_transform("import torch\n" + body.format(t="torch"))
    assert "    log_var = torch.clamp(log_var, -10.0, 10.0)\n" in plain, plain
