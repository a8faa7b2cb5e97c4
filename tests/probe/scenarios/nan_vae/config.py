"""A VAE with an absurd learning rate and no clamp on log_var: exp() overflows, losses become NaN."""
config = {}
config['vae_lr'] = 50.0
config['omg_vae_alpha'] = 1.0
config['latent_dim'] = 8
config['hidden_dim'] = 64
config['input_dim'] = 16
config['batch_size'] = 64
