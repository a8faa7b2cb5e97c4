"""Known answers for the run mode's pieces, in process (no subprocess): data flow, family evidence,
the KL per latent dimension, InfoNCE accuracy/energies, the feature map's size."""
import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402

from ganlint.probe.trace.discovery import Flow, Net, assign_roles, mu_logvar_index  # noqa: E402
from ganlint.probe.trace.family import clip_bound, family_of  # noqa: E402
from ganlint.probe.trace.features import PROJ_DIM, FeatureMap  # noqa: E402


def _flow_of(run):
    from torch.nn.modules import module as mmod

    flow = Flow()
    hs = [mmod.register_module_forward_pre_hook(flow.pre), mmod.register_module_forward_hook(flow.post, always_call=True)]
    try:
        run()
    finally:
        for h in hs:
            h.remove()
    return flow


def test_roles_from_data_flow_not_names():
    # deliberately misleading names: the data flow decides
    gen_named_critic = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    critic_named_gen = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))

    def step():
        fake = gen_named_critic(torch.randn(16, 4))
        critic_named_gen(torch.randn(16, 2))
        critic_named_gen(fake.detach())

    flow = _flow_of(step)
    nets = [Net("a", None, critic_named_gen, [critic_named_gen], cls="Generator"),
            Net("b", None, gen_named_critic, [gen_named_critic], cls="Discriminator")]
    assign_roles(nets, flow, set())
    assert (nets[0].role, nets[1].role) == ("critic", "generator")
    detached = [e for e in flow.edges if e.src == id(gen_named_critic) and e.dst == id(critic_named_gen)]
    assert detached and not detached[0].connected  # .detach(): the edge is seen, the graph is not carried


def test_graph_edge_through_reparameterisation():
    enc, dec = nn.Linear(8, 6), nn.Linear(3, 8)

    def step():
        h = enc(torch.randn(5, 8))
        mu, logvar = h[:, :3], h[:, 3:]
        dec(mu + torch.randn_like(mu) * torch.exp(0.5 * logvar))

    flow = _flow_of(step)
    assert any(e.src == id(enc) and e.dst == id(dec) and e.connected for e in flow.edges)
    assert mu_logvar_index((torch.zeros(5, 8), torch.zeros(5, 3), torch.zeros(5, 3))) == (1, 2)
    assert mu_logvar_index((torch.zeros(5, 1), torch.zeros(5, 10))) is None


def test_family_evidence():
    assert family_of({"generator", "critic"}, {"grad_penalty", "backward"}, None, set())[0] == "wgan-gp"
    assert family_of({"generator", "critic"}, {"bce_logits"}, None, set())[0] == "gan"
    assert family_of({"generator", "critic"}, set(), 0.01, set())[0] == "wgan"
    assert family_of({"generator", "critic"}, set(), None, {"gan"})[0] == "gan"  # hinge: static tie-break
    assert family_of({"vae"}, set(), None, set())[0] == "vae"


def test_clip_bound_sees_weight_clipping_only():
    d = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    assert clip_bound(d.parameters()) is None
    for p in d.parameters():
        p.data.mul_(100).clamp_(-0.01, 0.01)
    assert clip_bound(d.parameters()) == pytest.approx(0.01)


def test_kl_per_dim_matches_torch_distributions():
    from torch.distributions import Normal, kl_divergence

    mu, logvar = torch.randn(64, 5), torch.randn(64, 5)
    ours = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean(0)  # the formula measures.py uses
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).mean(0)
    assert torch.allclose(ours, ref, atol=1e-5)


def test_infonce_accuracy_and_energy_gap_known_answer():
    from types import SimpleNamespace

    from ganlint.probe.trace.measures import Measures

    m = Measures(SimpleNamespace(seed=0, control=SimpleNamespace(main_steps=3)))
    logits = torch.full((4, 4), 0.0)
    logits[torch.arange(4), torch.arange(4)] = 2.0
    logits[3, 0] = 5.0  # row 3 picks the wrong column
    m.infonce(logits, torch.arange(4))
    got = {name: float(v) for name, _, v in m.buf}
    assert got["infonce_accuracy"] == pytest.approx(0.75) and got["infonce_chance"] == pytest.approx(0.25)
    # E = -logit: E(pos) = -2, E(neg) = -(5/3) for row 3 and 0 elsewhere
    assert got["e_pos"] == pytest.approx(-2.0) and got["e_neg"] == pytest.approx(-(5 / 3) / 4)
    assert got["energy_gap"] == pytest.approx(got["e_neg"] - got["e_pos"])


def test_feature_map_is_small_and_keeps_low_dim_data():
    fm = FeatureMap(0)
    x2 = torch.randn(10, 2)
    assert torch.equal(fm(x2), x2)
    imgs = torch.rand(7, 3, 64, 64)
    f = fm(imgs)
    assert f.shape == (7, PROJ_DIM)
    assert torch.equal(fm(imgs), f)  # a fixed projection: the same images, the same features
    # pooling first: a 64x64 image and its 8x8 average give the same features
    small = torch.nn.functional.adaptive_avg_pool2d(imgs, 8)
    assert torch.allclose(fm(small), f, atol=1e-5)
