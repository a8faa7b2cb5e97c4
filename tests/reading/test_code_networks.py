"""The code reader's network facts: roles, stacks, loop-built layers, activations and their positions."""
from __future__ import annotations

import ast
import textwrap

from ganlint.reading.code import read_code
from ganlint.reading.code.facts import CodeFacts, role_from_name


def facts_of(*sources: str) -> CodeFacts:
    cf = CodeFacts()
    for i, src in enumerate(sources):
        text = textwrap.dedent(src)
        cf.merge(read_code(f"f{i}.py", ast.parse(text), text))
    return cf


def test_roles_from_class_and_variable_names():
    assert role_from_name("MLPGenerator") == "generator"
    assert role_from_name("MLPDiscriminator") == "critic"
    assert role_from_name("netD") == "critic"
    assert role_from_name("G") == "generator"
    assert role_from_name("VAEEncoder") == "encoder"
    assert role_from_name("EnergyModel") == "energy"
    assert role_from_name("AttentionGate") is None
    assert role_from_name("Dense") is None


def test_loop_built_stack_with_activation_picked_by_name():
    cf = facts_of('''
        import torch.nn as nn
        class MLPGenerator(nn.Module):
            def __init__(self, non_linearity, hidden_dims, z_dim, output_dim=2):
                super().__init__()
                act = getattr(nn, non_linearity, nn.LeakyReLU)
                layers = []
                current_dim = z_dim
                for hdim in hidden_dims:
                    layers.append(nn.Linear(current_dim, hdim))
                    layers.append(act())
                    current_dim = hdim
                layers.append(nn.Linear(current_dim, output_dim))
                self.model = nn.Sequential(*layers)
            def forward(self, z):
                return self.model(z)
    ''')
    (net,) = cf.networks
    assert net.role == "generator"
    assert net.params == ["non_linearity", "hidden_dims", "z_dim", "output_dim"]
    (stack,) = net.stacks
    assert [l.kind for l in stack.layers] == ["Linear", "by-name", "Linear"]
    assert stack.layers[0].width_from_loop == "hidden_dims"
    assert net.width_params == {"hidden_dims"}
    (act,) = net.activations
    assert (act.via, act.position, act.by_name_param) == ("by-name", "hidden", "non_linearity")
    assert act.getattr_location.line == 6
    assert stack.layers[1].by_name_default == "LeakyReLU"


def test_sigmoid_positions_in_stacks_and_forward():
    cf = facts_of('''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class Critic(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(2, 64), nn.Sigmoid(), nn.Linear(64, 32), nn.BatchNorm1d(32), nn.Linear(32, 1), nn.Sigmoid())
            def forward(self, x):
                return self.net(x).squeeze(-1)
        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 8)
                self.fc2 = nn.Linear(8, 2)
            def forward(self, x):
                h = F.sigmoid(self.fc1(x))
                h = h.view(-1, 8)
                return self.fc2(h)
        class Gate(nn.Module):
            def forward(self, x):
                return x * torch.sigmoid(x)
    ''')
    critic = cf.network("Critic")
    assert [(a.position, a.location.line) for a in critic.activations] == [("hidden", 8), ("final", 8)]
    assert critic.final_sigmoid is critic.activations[1]
    assert [n.kind for n in critic.batchnorms] == ["BatchNorm1d"]
    assert critic.hidden_widths == [64, 32]
    enc = cf.network("Encoder")
    assert [(a.via, a.position, a.location.line) for a in enc.activations] == [("functional", "hidden", 17)]
    assert enc.activations[0].arg_src == "self.fc1(x)"
    gate = cf.network("Gate")
    assert gate.role is None
    assert gate.final_sigmoid is not None and gate.final_sigmoid.scaled


def test_subclass_of_own_module_is_a_network_and_non_modules_are_not():
    cf = facts_of(
        "import torch.nn as nn\nclass Base(nn.Module):\n    pass\n",
        "from base import Base\nclass MyGenerator(Base):\n    pass\nclass VAELearner:\n    pass\n",
    )
    names = {n.name for n in cf.networks}
    assert names == {"Base", "MyGenerator"}


def test_energy_head_scale_and_offset():
    src = '''
        import torch.nn as nn
        class EnergyModel(nn.Module):
            def __init__(self, d):
                super().__init__()
                self.head = nn.Linear(d, 1)
                self.act = nn.Sigmoid()
                self.energy_scale = {scale}
                self.energy_offset = 0.1
            def forward(self, h):
                raw = self.head(h)
                E = {expr}
                return E.squeeze(-1)
    '''
    bounded = facts_of(src.format(scale=2.0, expr="self.act(raw)")).energy_heads
    assert [(h.bounded_sigmoid, h.scale, h.location.line) for h in bounded] == [(True, 1.0, 12)]
    wide = facts_of(src.format(scale=2.0, expr="self.act(raw * 0.5) * self.energy_scale + self.energy_offset")).energy_heads
    assert [(h.bounded_sigmoid, h.scale, h.offset) for h in wide] == [(False, 2.0, 0.1)]
    offset_only = facts_of(src.format(scale=2.0, expr="self.act(raw) + 1e-6")).energy_heads
    assert offset_only[0].bounded_sigmoid
    narrow = facts_of(src.format(scale=0.5, expr="self.act(raw) * self.energy_scale")).energy_heads
    assert narrow[0].bounded_sigmoid and narrow[0].scale == 0.5
    unknown = facts_of(src.format(scale="scale", expr="self.act(raw) * self.energy_scale")).energy_heads
    assert not unknown[0].bounded_sigmoid  # a scale the reader cannot see: precision first


def test_constructions_link_parameters_to_config_keys():
    cf = facts_of('''
        import yaml, json, ast
        cfg = yaml.safe_load(open("c.yaml"))
        gen = MLPGenerator(cfg["non_linearity"], eval(cfg["nn_gen"]), int(cfg["z_dim"]))
        critic = MLPDiscriminator(non_linearity=args.act, hidden_dims=json.loads(config.model.widths))
        vae = VAE(self.args['input_dim'], ast.literal_eval(cfg.get("dims")), 3)
    ''')
    gen, critic, vae = (cf.constructions_of(n)[0] for n in ("MLPGenerator", "MLPDiscriminator", "VAE"))
    assert [r.key for r in gen.positional] == ["non_linearity", "nn_gen", "z_dim"]
    assert gen.var == "gen"
    assert gen.keys_by_param(["non_linearity", "hidden_dims", "z_dim"])["hidden_dims"].key == "nn_gen"
    assert {k: r.key for k, r in critic.keywords.items()} == {"non_linearity": "act", "hidden_dims": "model.widths"}
    assert [r.key if r else None for r in vae.positional] == ["input_dim", "dims", None]
    assert {"nn_gen", "z_dim", "act", "model.widths", "input_dim"} <= cf.config_keys
    assert cf.role_of_var("critic") == "critic"


def test_hidden_versus_final_in_forward_dataflow():
    cf = facts_of('''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        class ImageGenerator(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(16, 64)
                self.fc2 = nn.Linear(64, 784)
            def forward(self, x):
                x = F.relu(self.fc1(x))
                x = torch.sigmoid(self.fc2(x))
                return x
        class Critic(nn.Module):
            def __init__(self, dims):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims, dims[1:])])
                self.body = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid())
                self.head = nn.Linear(8, 1)
                self.gate = nn.Linear(8, 8)
            def forward(self, x):
                for layer in self.layers[:-1]:
                    x = torch.sigmoid(layer(x))
                x = self.layers[-1](x)
                h = self.body(x)
                g = torch.sigmoid(self.gate(h))
                return self.head(h * g)
    ''')
    gen = cf.network("ImageGenerator")
    assert [(a.position, a.location.line) for a in gen.activations] == [("final", 12)]
    critic = cf.network("Critic")
    assert sorted((a.position, a.via, a.location.line) for a in critic.activations) == [
        ("hidden", "functional", 23), ("hidden", "module", 18)]
    assert critic.final_sigmoid is None


def test_activation_picked_from_a_module_level_table():
    cf = facts_of('''
        import torch.nn as nn
        ACTS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
        class Encoder(nn.Module):
            def __init__(self, act, dims):
                super().__init__()
                layers = []
                for a, b in zip(dims, dims[1:]):
                    layers += [nn.Linear(a, b), ACTS[act]()]
                self.net = nn.Sequential(*layers, nn.Linear(dims[-1], 2))
        class Decoder(nn.Module):
            def __init__(self, act):
                super().__init__()
                self.act = ACTS.get(act, nn.ReLU)()
                self.fc1 = nn.Linear(2, 8)
                self.fc2 = nn.Linear(8, 4)
            def forward(self, z):
                return self.fc2(self.act(self.fc1(z)))
    ''')
    enc, dec = cf.network("Encoder"), cf.network("Decoder")
    assert [(a.via, a.position, a.by_name_param) for a in enc.activations] == [("by-name", "hidden", "act")]
    assert [(a.via, a.position, a.by_name_param) for a in dec.activations] == [("by-name", "hidden", "act")]
