config = {}
config['vae_lr'] = 1e-3
config['latent_dim'] = 8
config['hidden_dim'] = 64
config['input_dim'] = 16
config['batch_size'] = 128
