"""The run mode's device-side instruments, in process: the same numbers as the recipe mode's instruments
(ganlint.probe.api), and no copy to the CPU on the steps off the read-back schedule (what lets them follow
networks to CUDA without a sync per step)."""
import os
import sys

import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402

from ganlint.probe.api import Activations, GradNorms, Probe  # noqa: E402
from ganlint.probe.trace.instruments import DeviceActivations, DeviceGradNorms, DeviceParams, read_back  # noqa: E402

SYNCS = {"item", "tolist", "cpu", "numpy", "__float__", "__bool__", "__int__", "to"}


TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
GANLINT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__import__("ganlint").__file__))) + os.sep + "ganlint" + os.sep


class CountSyncs(TorchFunctionMode):
    """Counts the tensor calls made by ganlint's code that copy a value to the host (or to another device);
    torch's own (Adam reads its step count with .item()) and the loop's are not ganlint's."""

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in SYNCS:
            f = sys._getframe(1)
            while f is not None and f.f_code.co_filename.startswith(TORCH_DIR):
                f = f.f_back
            if f is not None and f.f_code.co_filename.startswith(GANLINT_DIR):
                self.calls.append(f"{name} at {os.path.basename(f.f_code.co_filename)}:{f.f_lineno}")
        return func(*args, **(kwargs or {}))


def _pushed():
    out = []
    return out, lambda names, step, value: out.append((names, step, value))


def test_device_grad_norms_equal_the_recipe_instrument():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2, bias=False), nn.Linear(2, 1))
    net[3].weight.requires_grad_(False)  # a layer without gradients is left out, as GradNorms leaves it
    net[3].bias.requires_grad_(False)
    net(torch.randn(7, 3)).pow(2).sum().backward()
    recipe = Probe({"critic": net}, "gan", instruments=False)
    GradNorms(1).on_after_backward(recipe, "critic", 0)
    out, push = _pushed()
    DeviceGradNorms(push).measure(Probe({"critic": net}, "gan", instruments=False), "critic", 0)
    (names, step, norms), = out
    assert norms.device == net[0].weight.device and norms.dim() == 1  # one tensor, not a float per layer
    got = dict(zip(names, norms.tolist()))
    want = {k: v[0][1] for k, v in recipe.series.items()}
    assert set(got) == set(want) == {"grad/critic/0", "grad/critic/2", "gradnorm/critic"}
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-5)
    manual = torch.cat([net[0].weight.grad.flatten(), net[0].bias.grad]).norm()
    assert got["grad/critic/0"] == pytest.approx(float(manual), rel=1e-5)


def test_device_activations_equal_the_recipe_instrument_at_a_threshold():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    nn.init.normal_(net[0].weight, std=2.0)
    x = torch.randn(32, 4)
    shares = []
    for ins, push in ((Activations(1, threshold=1.5), None), (DeviceActivations(1, None, threshold=1.5), True)):
        probe = Probe({"generator": net}, "gan", instruments=False)
        out, fn = _pushed()
        if push:
            ins.push = fn
        ins.on_train_start(probe)
        ins.on_train_batch_start(probe, 0)
        net(x)
        net(x[:8])  # two forward calls in the iteration: counted together
        ins.on_train_batch_end(probe, 0, {})
        shares.append({k: v[0][1] for k, v in probe.series.items()} if not push else
                      {names[0]: float(v) for names, _, v in out})
    recipe, device = shares
    assert set(recipe) == set(device) == {"sat/generator/1", "dead/generator/3"}
    for k in recipe:
        assert device[k] == pytest.approx(recipe[k])
    pre = net[0](torch.cat([x, x[:8]]))
    assert device["sat/generator/1"] == pytest.approx(float((pre.abs() > 1.5).float().mean()))
    assert not ins.handles  # hooks are on for the measured iteration only


def test_device_params_names_the_first_non_finite_tensor_with_one_copy_when_healthy():
    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    probe = Probe({"critic": net}, "gan", instruments=False)
    with CountSyncs() as c:
        DeviceParams().check(probe, 50)
    assert probe.events == [] and len(c.calls) == 1  # one host copy for the whole network
    with torch.no_grad():
        net[2].weight[0, 1] = float("inf")
    DeviceParams().check(probe, 100)
    assert probe.events == [{"step": 100, "what": "parameter critic.2.weight", "value": "nan"}]


def test_no_host_copy_off_the_read_back_schedule(tmp_path):
    """A GAN loop under the tracer, in process: the steps between read-backs (every FLUSH generator steps)
    make no host copy at all, so on CUDA nothing syncs per step; the read-back steps do copy (the counter
    sees them)."""
    from ganlint.probe.trace.hooks import Tracer
    from ganlint.probe.trace.measures import FLUSH

    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    D = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    og, od = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    tracer = Tracer(steps=None, time_budget=None, watch=False, stop_on=None,
                    user_dirs=[os.path.dirname(os.path.abspath(__file__))])
    tracer.install()
    per_step: dict[int, list[str]] = {}
    try:
        for _ in range(2 * FLUSH + 3):
            with CountSyncs() as c:
                real, z = torch.randn(16, 2) + 1, torch.randn(16, 2)
                fake = G(z)
                od.zero_grad()
                (F.binary_cross_entropy_with_logits(D(real), torch.ones(16, 1))
                 + F.binary_cross_entropy_with_logits(D(fake.detach()), torch.zeros(16, 1))).backward()
                od.step()
                og.zero_grad()
                F.binary_cross_entropy_with_logits(D(fake), torch.ones(16, 1)).backward()
                og.step()
            if not tracer.discovering:
                per_step[tracer.control.main_steps] = c.calls
    finally:
        tracer.uninstall()
    tracer.measure.flush()
    assert tracer.measure is not None and tracer.measure.by_role.keys() == {"generator", "critic"}
    first = min(per_step)  # discovery's end and the critic's next step look once for weight clipping: one copy each
    assert all(len(per_step[k]) <= 1 for k in (first, first + 1)), (per_step[first], per_step[first + 1])
    off = {k: v for k, v in per_step.items() if k % FLUSH and k > first + 1}
    assert len(off) > FLUSH and all(not v for v in off.values()), {k: v for k, v in off.items() if v}
    assert per_step[FLUSH] and per_step[2 * FLUSH]  # the read-backs
    series = tracer.measure.probe.series
    assert len(series["loss_g"]) >= 2 * FLUSH - 12 and "gradnorm/critic" in series and "sat/critic/1" in series


def test_read_back_keeps_each_value_in_place_with_one_host_copy():
    """The losses (0-d, of any float dtype) are stacked in one op and the per-layer vectors concatenated:
    every entry still gets its own values, in buffer order, as float32 would give them, and floats stay None."""
    buf = [("loss_d", 1, torch.tensor(0.1, dtype=torch.float64)), (("grad/a", "gradnorm/a"), 1, torch.tensor([3.0, 4.0])),
           ("kl", 1, torch.tensor(2.5, dtype=torch.float16)), ("chance", 1, 0.25), ("sat/a", 2, torch.tensor([0.5])),
           ("loss_g", 2, torch.tensor(-1.0 / 3.0))]
    with CountSyncs() as c:
        vals = read_back(buf)
    expect = [None if not isinstance(v, torch.Tensor) else v.reshape(-1).float().tolist() for _, _, v in buf]
    assert vals == expect and vals[0] == [torch.tensor(0.1).item()] and vals[3] is None
    assert sorted(x.split()[0] for x in c.calls) == ["cpu", "tolist"], c.calls  # one copy for the whole buffer


def test_kept_features_hold_the_newest_rows_with_a_running_count():
    """The kept generator batches: the oldest batch goes once the others still hold the limit, and the running
    row count (what the evaluation schedule reads) equals the rows actually held."""
    from collections import deque

    from ganlint.probe.trace.measures import Measures

    m = Measures.__new__(Measures)
    m.kept_rows = {"real": 0, "fake": 0}
    buf: deque = deque()
    for n in (100, 300, 50, 400, 10):
        m._keep(buf, "fake", torch.zeros(n, 2), 500)
        assert m.kept_rows["fake"] == sum(len(b) for b in buf)
        assert sum(len(b) for b in buf) - len(buf[0]) < 500  # nothing more could go and still hold 500
    assert [len(b) for b in buf] == [300, 50, 400, 10]  # 100 went at 400; 300 stays: the rest hold 460
