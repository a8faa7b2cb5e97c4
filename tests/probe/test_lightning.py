"""The Lightning adapter against a real `Trainer` (CPU, tiny networks): losses, gradient norms per network,
a real symptom (GL501) on the broken network and none on its healthy twin, both package names."""
from __future__ import annotations

import importlib

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from ganlint.probe.lightning import PACKAGES, make_callback_class  # noqa: E402


def _installed(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


INSTALLED = [p for p in PACKAGES if _installed(p) is not None]
if not INSTALLED:
    pytest.skip("neither lightning nor pytorch-lightning is installed", allow_module_level=True)

# Lightning's own noise (few dataloader workers, its pytree LeafSpec deprecation), not ganlint's
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*LeafSpec")]


def _trainer(pl, cb, max_steps):
    return pl.Trainer(max_steps=max_steps, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, callbacks=[cb])


def _gan_module(pl, G, D, scale):
    class WGAN(pl.LightningModule):
        """Manual optimisation, one optimizer per network: the critic's and the generator's gradients must be
        told apart from the optimizer each `on_before_optimizer_step` names."""

        def __init__(self):
            super().__init__()
            self.automatic_optimization = False
            self.G, self.D = G, D

        def sample(self, n):
            return self.G(torch.randn(n, 2) * scale)

        def training_step(self, batch, batch_idx):
            (x,) = batch
            opt_g, opt_d = self.optimizers()
            loss_d = self.D(self.sample(len(x)).detach()).mean() - self.D(x).mean()
            opt_d.zero_grad()
            self.manual_backward(loss_d)
            opt_d.step()
            loss_g = -self.D(self.sample(len(x))).mean()
            opt_g.zero_grad()
            self.manual_backward(loss_g)
            opt_g.step()
            self.log("train/loss_g", loss_g)  # logged: recorded as loss_g
            return {"loss_d": loss_d.detach()}  # returned: recorded as loss_d

        def configure_optimizers(self):
            return torch.optim.Adam(self.G.parameters(), 1e-3), torch.optim.Adam(self.D.parameters(), 1e-3)

    return WGAN()


def _fit_gan(pkg, hidden, scale, batches=150):
    pl = importlib.import_module(pkg)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    G = nn.Sequential(nn.Linear(2, 32), hidden, nn.Linear(32, 2))
    D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    real = torch.randn(2000, 2) * 0.5 + torch.tensor([[3.0, 0.0]])
    model = _gan_module(pl, G, D, scale)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(real), batch_size=64, shuffle=True)
    cb = make_callback_class(pkg)({"generator": G, "critic": D}, "wgan", real=real, sample=model.sample,
                                  schedule={"activations": 10})
    trainer = _trainer(pl, cb, max_steps=2 * batches)  # manual optimisation: global_step counts both optimizers
    trainer.fit(model, data)
    assert trainer.global_step == 2 * batches and cb.step == batches
    return cb.probe.report


@pytest.mark.parametrize("pkg", INSTALLED)
def test_gan_with_saturated_sigmoid_gets_gl501_and_its_healthy_twin_does_not(pkg):
    broken = _fit_gan(pkg, nn.Sigmoid(), scale=50.0)
    # a latent scaled by 50 saturates the generator's Sigmoid (~80% beyond ±5; x20 gives 51-57%: too close to 50%)
    assert "GL501" in broken.codes, broken.codes
    f = next(f for f in broken.findings if f.code == "GL501")
    assert f.evidence["network"] == "generator"
    # losses: one point per training batch, steps 0..149, from the returned dict and from self.log
    for name in ("loss_d", "loss_g"):
        assert [s for s, _ in broken.series[name]] == list(range(150)), name
    # gradient norms per network, on the grads schedule (every 25 batches), told apart by optimizer
    for role in ("critic", "generator"):
        assert [s for s, _ in broken.series[f"gradnorm/{role}"]] == [0, 25, 50, 75, 100, 125]
        assert any(k.startswith(f"grad/{role}/") for k in broken.series)
    assert [s for s, _ in broken.series["sat/generator/1"]][:3] == [0, 10, 20]
    assert "spread_ratio" in broken.series or broken.metrics.get("spread_ratio") is not None

    healthy = _fit_gan(pkg, nn.LeakyReLU(0.2), scale=1.0)
    assert "GL501" not in healthy.codes, healthy.codes
    assert len(healthy.series["loss_d"]) == 150 and "gradnorm/generator" in healthy.series


@pytest.mark.parametrize("pkg", INSTALLED)
def test_automatic_optimisation_single_module_step_alignment(pkg):
    """Automatic optimisation, networks=None (the LightningModule itself as "model"): a returned tensor is
    `loss`, `train_`/`_step` names are cleaned, `_epoch` values are not recorded each step, and every
    instrument uses the same step (batches done), not trainer.global_step (already advanced at batch end)."""
    pl = importlib.import_module(pkg)
    torch.manual_seed(0)
    torch.set_num_threads(1)

    class Regressor(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = ((self.net(x) - y) ** 2).mean()
            self.log("train_mse", loss, on_step=True, on_epoch=True)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), 0.05)

    x = torch.randn(320, 2)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=32)
    cb = make_callback_class(pkg)(schedule={"activations": 20})
    trainer = _trainer(pl, cb, max_steps=60)
    trainer.fit(Regressor(), data)
    rep = cb.probe.report
    assert cb.step == 60 and trainer.global_step == 60
    assert [s for s, _ in rep.series["loss"]] == list(range(60))
    assert [s for s, _ in rep.series["mse"]] == list(range(60)) and rep.series["mse"] == rep.series["loss"]
    assert not any(k.endswith(("_epoch", "_step")) or k.startswith("train") for k in rep.series), sorted(rep.series)
    assert [s for s, _ in rep.series["gradnorm/model"]] == [0, 25, 50]
    assert [s for s, _ in rep.series["sat/model/net.1"]] == [0, 20, 40]
    assert rep.series["loss"][-1][1] < rep.series["loss"][0][1]


@pytest.mark.parametrize("pkg", INSTALLED)
def test_callback_class_is_built_on_that_packages_callback_once(pkg):
    import ganlint.probe.lightning as adapter

    cls = make_callback_class(pkg)
    assert issubclass(cls, importlib.import_module(pkg).Callback)
    assert make_callback_class(pkg) is cls  # one class per package: isinstance works across accesses
    assert adapter.GanlintCallback is make_callback_class(INSTALLED[0])


def test_asking_for_a_package_that_is_not_installed_says_which():
    missing = [p for p in PACKAGES if p not in INSTALLED]
    if not missing:
        pytest.skip("both packages are installed")
    with pytest.raises(ImportError, match=missing[0].split(".")[0]):
        make_callback_class(missing[0])


@pytest.mark.parametrize("pkg", INSTALLED)
def test_an_error_in_training_still_leaves_a_report(pkg):
    pl = importlib.import_module(pkg)
    torch.manual_seed(0)

    class Breaks(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            if batch_idx == 30:
                raise RuntimeError("boom")
            return self.net(batch[0]).pow(2).mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), 0.01)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(640, 2)), batch_size=8)
    cb = make_callback_class(pkg)()
    with pytest.raises(RuntimeError, match="boom"):
        _trainer(pl, cb, max_steps=60).fit(Breaks(), data)
    rep = cb.probe.report
    assert rep.stopped == "error" and "boom" in rep.errors[0] and "training step 30" in rep.errors[0]
    assert len(rep.series["loss"]) == 30 and "gradnorm/model" in rep.series
