"""Document 003: the PyMARL-style configuration of the VAE whose KL term oscillates."""
config = {}
config['vae_lr'] = 5e-4
config['optim_alpha'] = 0.9
config['optim_eps'] = 1e-5
config['omg_vae_alpha'] = 0.001
config['grad_norm_clip'] = 5
config['latent_dim'] = 64
config['hidden_dim'] = 128
config['input_dim'] = 16
config['batch_size'] = 128
config['learner_log_interval'] = 10000
# The learner of document 003 trains on a replay buffer whose content drifts as the policy changes;
# the probe's `vae_drift` set reproduces that (period 500 steps): the KL term oscillates.
config['data'] = {'kind': 'vae_drift', 'period': 500}
