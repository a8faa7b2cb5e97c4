"""The vocabulary: user key names -> (canonical, role); false friends stay unknown."""
from __future__ import annotations

import pytest

from ganlint.core.types import Location, Setting
from ganlint.reading.vocabulary import apply_context, classify, family_from_value, tokens

CASES = [
    # learning rates and roles
    ("lr", "learning_rate", None), ("learning_rate", "learning_rate", None), ("LR", "learning_rate", None),
    ("g_lr", "learning_rate", "generator"), ("d_lr", "learning_rate", "critic"),
    ("gen_lr", "learning_rate", "generator"), ("lr_g", "learning_rate", "generator"),
    ("lr_D", "learning_rate", "critic"), ("lrG", "learning_rate", "generator"), ("lrD", "learning_rate", "critic"),
    ("critic_lr", "learning_rate", "critic"), ("disc_lr", "learning_rate", "critic"),
    ("discriminator_learning_rate", "learning_rate", "critic"), ("generatorLR", "learning_rate", "generator"),
    ("vae_lr", "learning_rate", "vae"), ("energy_learning_rate", "learning_rate", "energy"),
    ("energy_lr", "learning_rate", "energy"), ("ebm_lr", "learning_rate", "energy"),
    ("enc_lr", "learning_rate", "encoder"), ("decoder_lr", "learning_rate", "decoder"),
    ("netG_lr", "learning_rate", "generator"),
    # batch
    ("batch_size", "batch_size", None), ("bs", "batch_size", None), ("batchsize", "batch_size", None),
    ("BATCH_SIZE", "batch_size", None), ("batchSize", "batch_size", None), ("train_batch_size", "batch_size", None),
    # latent
    ("z_dim", "latent_dim", None), ("nz", "latent_dim", None), ("zdim", "latent_dim", None),
    ("noise_dim", "latent_dim", None), ("latent_dim", "latent_dim", None), ("latent_size", "latent_dim", None),
    ("dim_z", "latent_dim", None), ("latentDim", "latent_dim", None), ("NZ", "latent_dim", None),
    # a conv latent's channel count is its own name (a lower bound on the size); image channels are nothing
    ("latent_channels", "latent_channels", None), ("z_channels", "latent_channels", None),
    ("latentChannels", "latent_channels", None), ("channels", None, None), ("in_channels", None, None),
    # widths
    ("nn_gen", "hidden_sizes", "generator"), ("nn_disc", "hidden_sizes", "critic"),
    ("g_hidden", "hidden_sizes", "generator"), ("d_hidden", "hidden_sizes", "critic"),
    ("gen_hidden", "hidden_sizes", "generator"), ("critic_hidden", "hidden_sizes", "critic"),
    ("hidden_dims", "hidden_sizes", None), ("hidden_sizes", "hidden_sizes", None),
    ("ngf", "hidden_sizes", "generator"), ("ndf", "hidden_sizes", "critic"),
    # activation
    ("non_linearity", "activation", None), ("activation", "activation", None), ("act", "activation", None),
    ("g_activation", "activation", "generator"),
    # critic steps
    ("n_critic", "n_critic", None), ("critic_iters", "n_critic", None), ("CRITIC_ITERS", "n_critic", None),
    ("d_steps", "n_critic", None), ("n_dis", "n_critic", None), ("nCritic", "n_critic", None),
    # penalty / clipping
    ("grad_penalty", "gp_weight", None), ("lambda_gp", "gp_weight", None), ("gp_weight", "gp_weight", None),
    ("gp_lambda", "gp_weight", None), ("LAMBDA_GP", "gp_weight", None),
    ("clip_value", "clip_value", None), ("weight_clip", "clip_value", None),
    ("grad_norm_clip", "grad_clip", None), ("grad_clip", "grad_clip", None), ("max_grad_norm", "grad_clip", None),
    ("clip_grad_norm", "grad_clip", None), ("gradient_clip_val", "grad_clip", None),
    # VAE
    ("kl_weight", "kl_weight", None), ("kl_coef", "kl_weight", None), ("omg_vae_alpha", "kl_weight", "vae"),
    ("vae_alpha", "kl_weight", "vae"), ("beta_vae", "kl_weight", "vae"), ("kl_anneal_steps", "kl_anneal_steps", None),
    ("kl_warmup", "kl_anneal_steps", None),
    # optimizer
    ("optim_alpha", "optim_alpha", None), ("rmsprop_alpha", "optim_alpha", None), ("optim_eps", "eps", None),
    ("eps", "eps", None), ("betas", "betas", None), ("beta1", "beta1", None), ("beta2", "beta2", None),
    ("b1", "beta1", None), ("adam_beta1", "beta1", None), ("g_beta1", "beta1", "generator"),
    ("optimizer", "optimizer", None), ("optim", "optimizer", None), ("weight_decay", "weight_decay", None),
    # misc
    ("temperature", "temperature", None), ("infonce_temperature", "temperature", None),
    ("warmup_steps", "warmup_steps", None), ("warmup", "warmup_steps", None),
    ("label_smoothing", "label_smoothing", None), ("normalize", "normalize", None),
    ("standardize", "normalize", None), ("normalise", "normalize", None), ("seed", "seed", None),
    ("steps", "steps", None), ("max_steps", "steps", None), ("num_steps", "steps", None),
    ("iterations", "steps", None), ("epochs", "epochs", None), ("max_epochs", "epochs", None),
    ("n_epochs", "epochs", None), ("energy_scale", "energy_scale", "energy"),
    ("energy_offset", "energy_offset", "energy"),
]

UNKNOWN = [
    "d_model", "d_ff", "log_g", "lr_decay", "lr_scheduler", "g_steps", "data", "std", "input_dim", "context_dim",
    "alpha", "beta", "LAMBDA", "tau", "temp", "gamma", "dropout", "kind", "means", "d", "g", "model",
    "learner_log_interval", "momentum", "num_workers", "batch_norm", "image_size",
    "gen_steps", "lambda_l1", "r1_gamma", "beta_start", "eval_batch_size", "test_batch_size", "act_dim",
    "step_size", "n_layers", "clip_param", "embed_dim", "batch_size_run", "d_k", "opt_level", "generator",
]


@pytest.mark.parametrize("name,canonical,role", CASES, ids=[c[0] for c in CASES])
def test_names(name, canonical, role):
    assert classify([name]) == (canonical, role)


@pytest.mark.parametrize("name", UNKNOWN)
def test_false_friends_and_context_names_stay_unknown(name):
    assert classify([name]) == (None, None)


def test_tokens():
    assert tokens("lrG") == ["lr", "g"]
    assert tokens("netD_lr") == ["net", "d", "lr"]
    assert tokens("CRITIC_ITERS") == ["critic", "iters"]
    assert tokens("energy.learning-rate") == ["energy", "learning", "rate"]
    assert tokens("HTTPServer") == ["http", "server"]


@pytest.mark.parametrize(
    "path,expected",
    [
        (["generator", "lr"], ("learning_rate", "generator")),
        (["model", "discriminator", "optimizer", "lr"], ("learning_rate", "critic")),
        (["energy", "temperature"], ("temperature", "energy")),
        (["netG", "lr"], ("learning_rate", "generator")),
        (["gen_optimizer", "lr"], ("learning_rate", "generator")),
        (["opt_d", "lr"], ("learning_rate", "critic")),
        (["generator", "d_lr"], ("learning_rate", "critic")),  # the key's own role wins
        (["optimizers", 0, "lr"], ("learning_rate", None)),
        (["data", "std"], (None, None)),
        (["d_model", "lr"], ("learning_rate", "critic")),  # a *section* d_model holding an lr: D's model
        (["transformer", "d_model"], (None, None)),
    ],
)
def test_sections_give_roles(path, expected):
    assert classify(path) == expected


def _settings(*pairs):
    return [Setting(key=k, value=v, location=Location("f", i + 1), style="yaml") for i, (k, v) in enumerate(pairs)]


def test_apply_context():
    from ganlint.reading.vocabulary import classify as cl

    def run(*pairs):
        ss = _settings(*pairs)
        for s in ss:
            s.canonical, s.role = cl(s.key.split("."))
        apply_context(ss)
        return {s.key: (s.canonical, s.role) for s in ss}

    assert run(("optimizer", "rmsprop"), ("alpha", 0.99))["alpha"] == ("optim_alpha", None)
    assert run(("optim.alpha", 0.99))["optim.alpha"] == ("optim_alpha", None)
    assert run(("alpha", 0.2), ("gamma", 0.99))["alpha"] == (None, None)  # SAC's entropy alpha
    assert run(("model.optimizer", "adam"), ("loss.alpha", 0.5))["loss.alpha"] == (None, None)
    assert run(("vae.beta", 4.0))["vae.beta"] == ("kl_weight", "vae")
    assert run(("beta", 4.0), ("vae_lr", 1e-3))["beta"] == ("kl_weight", None)
    assert run(("beta", 0.9), ("lr", 1e-3))["beta"] == (None, None)
    assert run(("adam.beta", 0.9), ("vae_lr", 1e-3))["adam.beta"] == (None, None)
    assert run(("LAMBDA", 10), ("CRITIC_ITERS", 5))["LAMBDA"] == ("gp_weight", None)
    assert run(("LAMBDA", 10), ("EPOCHS", 5))["LAMBDA"] == (None, None)
    assert run(("energy.tau", 0.3))["energy.tau"] == ("temperature", "energy")
    assert run(("tau", 0.005), ("gamma", 0.99))["tau"] == (None, None)
    assert run(("tau", 0.3), ("energy_lr", 1e-4))["tau"] == ("temperature", None)


@pytest.mark.parametrize(
    "key,value,family",
    [("gan_mode", "vanilla", "gan"), ("gan_mode", "wgangp", "wgan-gp"), ("loss", "wgan-gp", "wgan-gp"),
     ("model.type", "WGAN_GP", "wgan-gp"), ("model_type", "vae", "vae"), ("loss", "mse", None),
     ("name", "wgan", None), ("gan_mode", 3, None), ("attention.method", "vanilla", None), ("loss", "vanilla", None),
     ("adversarial_loss", "vanilla", "gan"), ("gan_type", "dcgan", "gan"),
     ("model._target_", "src.models.BetaVAE", "vae"), ("model._target_", "models.WGAN_GP", "wgan-gp"),
     ("model.class_path", "pl_bolts.models.gans.DCGAN", "gan"), ("model._target_", "torch.nn.Linear", None),
     ("model._target_", "models.Organizer", None)],
)
def test_family_from_value(key, value, family):
    assert family_from_value(key, value) == family


@pytest.mark.parametrize(
    "path,expected",
    [
        (["z", "dim"], ("latent_dim", None)),
        (["latent", "size"], ("latent_dim", None)),
        (["batch", "size"], ("batch_size", None)),
        (["warmup", "steps"], ("warmup_steps", None)),
        (["kl", "weight"], ("kl_weight", None)),
        (["gp", "weight"], ("gp_weight", None)),
        (["critic", "iters"], ("n_critic", None)),
        (["lr", "generator"], ("learning_rate", "generator")),
        (["lr", "d"], ("learning_rate", "critic")),
        (["optimizer", "alpha"], ("optim_alpha", None)),
        (["vae", "beta"], ("kl_weight", "vae")),
        (["lr", "decay"], (None, None)),
        (["generator", "name"], (None, None)),
        (["eval", "batch_size"], (None, None)),
        (["hydra", "job", "num"], (None, None)),
        (["ema", "beta"], (None, None)),
        (["data", "batch_size"], ("batch_size", None)),
    ],
)
def test_parent_and_leaf_read_together(path, expected):
    assert classify(path) == expected


def test_nested_context_names_need_their_own_section():
    ss = _settings(("vae_lr", 1e-3), ("ema.beta", 0.999), ("beta", 4.0))
    for s in ss:
        s.canonical, s.role = classify(s.key.split("."))
    apply_context(ss)
    assert [(s.key, s.canonical) for s in ss] == [("vae_lr", "learning_rate"), ("ema.beta", None), ("beta", "kl_weight")]
