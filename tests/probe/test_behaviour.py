"""Run behaviour: reproducible, non-finite values, user exceptions, time budget, Ctrl-C, CLI exit codes,
default discovery, the Probe API for custom loops."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from ganlint.probe import run_probe
from ganlint.probe.errors import BuildError, UserCodeError

from .conftest import FIXTURES, SCENARIOS


def _metrics(rep):
    return {k: v for k, v in rep.metrics.items() if k not in ("seconds", "verdict_seconds")}


def test_same_seed_same_metrics_other_seed_differs():
    a = run_probe([str(FIXTURES / "wgan_gp_000_broken")], steps=120, seed=3, write_report=False, early_stop=False)
    b = run_probe([str(FIXTURES / "wgan_gp_000_broken")], steps=120, seed=3, write_report=False, early_stop=False)
    c = run_probe([str(FIXTURES / "wgan_gp_000_broken")], steps=120, seed=4, write_report=False, early_stop=False)
    assert _metrics(a) == _metrics(b)
    assert a.series["loss_d"] == b.series["loss_d"]
    assert a.series["loss_d"] != c.series["loss_d"]


def test_instruments_do_not_change_training():
    """Instruments only observe: the loss trajectory is the same with and without them."""
    from ganlint.probe.runner import run

    on = run([str(FIXTURES / "vae_003_healthy")], steps=150, write_report=False, early_stop=False)
    off = run([str(FIXTURES / "vae_003_healthy")], steps=150, write_report=False, early_stop=False, instruments=False)
    assert on.series["loss"] == off.series["loss"]


def test_non_finite_becomes_gl505_and_report_is_written(tmp_path):
    rep = run_probe([str(FIXTURES / "vae_003_broken" / "model.py"), str(SCENARIOS / "nan_vae" / "config.py")],
                    steps=300, out_dir=str(tmp_path))
    assert rep.stopped == "non-finite" and "GL505" in rep.codes
    f = next(f for f in rep.findings if f.code == "GL505")
    assert isinstance(f.evidence["step"], int) and f.evidence["tensor"]
    d = json.loads((tmp_path / "report.json").read_text())
    assert d["stopped"] == "non-finite" and any(x["code"] == "GL505" for x in d["findings"])


def test_exception_in_user_code_points_at_the_users_line(tmp_path):
    with pytest.raises(UserCodeError) as info:
        run_probe([str(SCENARIOS / "raises")], steps=50, out_dir=str(tmp_path))
    assert info.value.file.endswith(os.path.join("raises", "model.py")) and info.value.line == 19
    assert "RuntimeError" in str(info.value)
    assert json.loads((tmp_path / "report.json").read_text())["stopped"] == "error"


def test_time_budget_stops_and_reports(tmp_path):
    t = time.perf_counter()
    rep = run_probe([str(FIXTURES / "wgan_gp_000_broken")], steps=100000, time_budget=4, out_dir=str(tmp_path))
    assert time.perf_counter() - t < 30
    assert rep.stopped == "time-budget" and 0 < rep.metrics["steps_run"] < 100000
    # samples measured at the stop (the spread ratio is left out when no sample lies on a mode, as here)
    assert "mode_coverage" in rep.metrics and "precision" in rep.metrics
    assert (tmp_path / "report.json").is_file()


def test_cannot_build_is_one_clear_error_exit_2(ganlint_cmd, clean_env, tmp_path):
    proc = subprocess.run([*ganlint_cmd, "probe", str(SCENARIOS / "unbuildable"), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=clean_env, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "n_widgets" in lines[0] and "--entry" in lines[0]


def test_cli_default_discovery_json_and_exit_codes(ganlint_cmd, clean_env, tmp_path):
    proj = tmp_path / "proj"
    shutil.copytree(SCENARIOS / "entry_point", proj)
    (proj / "pyproject.toml").write_text('[tool.ganlint]\nmodel = "nets.py"\nconfig = "config.yaml"\n')
    proc = subprocess.run([*ganlint_cmd, "probe", "--entry", "nets:make", "--steps", "200", "--format", "json",
                           "--out", str(tmp_path / "out"), "--threads", "1"],
                          capture_output=True, text=True, env=clean_env, cwd=proj, timeout=120)
    assert "using nets.py, config.yaml" in proc.stderr and "[tool.ganlint]" in proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["findings"] == []
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    assert rep["schema"] == "ganlint-probe/1" and rep["threads"] == 1 and rep["networks"]["generator"]["built_by"].startswith("entry")


def _read_until(fd: int, pattern: str, deadline: float) -> str:
    """What the child wrote to the terminal `fd` until `pattern` appears (or the deadline passes)."""
    import re
    import select

    seen = ""
    while time.time() < deadline and not re.search(pattern, seen):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal (it exited)
                break
            if not chunk:
                break
            seen += chunk.decode("utf-8", "replace")
    return seen


def test_ctrl_c_stops_training_and_writes_the_report(ganlint_cmd, clean_env, tmp_path):
    """Ctrl-C during training: the partial report is written and said to be partial, exit 130.

    The child gets SIGINT's default disposition, as a terminal's Ctrl-C finds it, even when this suite runs
    with SIGINT ignored (a background job, some CI runners): Python only turns SIGINT into KeyboardInterrupt
    when it was not ignored at start. Its stderr is a terminal, so its progress bar says when training runs.
    The child runs in its own process group, killed whatever happens."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([*ganlint_cmd, "probe", str(FIXTURES / "wgan_gp_000_broken"), "--steps", "100000", "--full",
                             "--out", str(tmp_path)], stdout=subprocess.PIPE, stderr=slave, text=True, env=clean_env,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    try:
        bar = _read_until(master, r"\] ([4-9]\d|\d{3,})/100000 steps", time.time() + 120)  # 41+ steps done
        assert "/100000 steps" in bar, f"training did not start: {bar!r}"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        err = bar + _read_until(master, r"partial report", time.time() + 5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    assert "Traceback" not in err, err
    rep = json.loads((tmp_path / "report.json").read_text())
    steps = int(rep["metrics"]["steps_run"])
    assert rep["stopped"] == "interrupted" and steps > 0
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert f"interrupted at step {steps}: partial report in {tmp_path}" in err
    assert "No runtime problems found" not in out and f"Interrupted at step {steps}: partial report" in out


def test_probe_api_in_a_custom_loop(tmp_path):
    """The 10-line example of docs/probe.md: a user's own loop, hooks + context manager."""
    import torch
    import torch.nn as nn

    from ganlint.probe import Probe

    torch.manual_seed(0)
    torch.set_num_threads(1)  # small networks: one intra-op thread (see docs/probe.md)
    G = nn.Sequential(nn.Linear(2, 32), nn.Sigmoid(), nn.Linear(32, 2))
    D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    real = torch.randn(2000, 2) * 0.5 + torch.tensor([[3.0, 0.0]])
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    with Probe({"generator": G, "critic": D}, "wgan", real=real, sample=lambda n: G(torch.randn(n, 2) * 20),
               out_dir=str(tmp_path), write_report=True) as probe:
        for step in range(300):
            x = real[torch.randint(2000, (64,))]
            loss_d = D(G(torch.randn(64, 2) * 20).detach()).mean() - D(x).mean()
            opt_d.zero_grad(); loss_d.backward(); probe.on_after_backward("critic", step); opt_d.step()  # noqa: E702
            loss_g = -D(G(torch.randn(64, 2) * 20)).mean()
            opt_g.zero_grad(); loss_g.backward(); probe.on_after_backward("generator", step); opt_g.step()  # noqa: E702
            probe.on_train_batch_end(step, {"loss_d": loss_d, "loss_g": loss_g})
    rep = probe.report
    assert "GL501" in rep.codes  # inputs scaled by 20 saturate the generator's Sigmoid
    assert any(k.startswith("grad/critic/") for k in rep.series) and any(k.startswith("grad/generator/") for k in rep.series)
    assert (tmp_path / "report.html").is_file()


def test_lightning_adapter_is_lazy():
    """Importing the adapter imports neither torch nor lightning; accessing GanlintCallback imports the first
    installed package (or says which to install). In a fresh interpreter: the test session has them loaded."""
    code = """if True:
        import importlib.util, sys
        import ganlint.probe.lightning as adapter
        heavy = ("torch", "lightning", "pytorch_lightning")
        assert not [m for m in heavy if m in sys.modules], [m for m in heavy if m in sys.modules]
        installed = [p for p in adapter.PACKAGES if importlib.util.find_spec(p.split(".")[0]) is not None]
        try:
            cls = adapter.GanlintCallback
        except ImportError as exc:
            assert not installed and "lightning" in str(exc), exc
            print("absent")
        else:
            assert installed and installed[0] in sys.modules and cls is adapter.GanlintCallback
            print("loaded", installed[0])
    """
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] in ("absent", "loaded")


def test_gl103_on_a_2d_toy_covering_every_mode_is_not_harmful_here(tmp_path):
    proj = tmp_path / "z2"
    shutil.copytree(SCENARIOS / "entry_point", proj)
    cfg = proj / "config.yaml"
    cfg.write_text(cfg.read_text().replace("z_dim: 8", "z_dim: 2"))
    rep = run_probe([str(proj)], entry="nets:make", steps=600, write_report=False, threads=1)
    assert not {"GL510", "GL511"} & set(rep.codes) and rep.metrics["mode_coverage"] == 1.0
    gl103 = [s for s in rep.static if s["code"] == "GL103"]
    assert gl103 and gl103[0]["status"] == "not harmful here"
    assert any("GL103" in n and "not harmful" in n for n in rep.notes)


def test_data_builtin_name_and_file_and_runtime_gl004(tmp_path):
    import numpy as np

    folder = str(SCENARIOS / "entry_point")
    ring = run_probe([folder], entry="nets:make", data="ring8", steps=100, write_report=False, threads=1)
    assert ring.data["name"] == "ring8" and ring.metrics.get("mode_coverage") is not None
    assert ring.samples["stats"]["modes"] == 8
    raw = np.random.default_rng(0).normal(50.0, 10.0, size=(3000, 2)).astype("float32")
    np.save(tmp_path / "x.npy", raw)
    rep = run_probe([folder], entry="nets:make", data=str(tmp_path / "x.npy"), steps=100, write_report=False, threads=1)
    assert rep.data["kind"] == "file" and abs(rep.data["mean"][0] - 50) < 1
    f = next(f for f in rep.findings if f.code == "GL004")
    assert f.evidence["max_abs_mean"] > 40 and f.evidence["runtime"] is True


def test_cli_reads_rule_options_and_ignore_from_pyproject(ganlint_cmd, clean_env, tmp_path):
    proj = tmp_path / "proj"
    shutil.copytree(SCENARIOS / "entry_point", proj)
    (proj / "pyproject.toml").write_text('[tool.ganlint]\nignore = ["GL510"]\n\n[tool.ganlint.rules.GL511]\nmin_ratio = 50.0\n')
    proc = subprocess.run([*ganlint_cmd, "probe", ".", "--entry", "nets:make", "--steps", "400", "--format", "json",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, env=clean_env, cwd=proj, timeout=120)
    codes = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    assert "GL511" in codes and "GL510" not in codes, proc.stderr  # threshold 50x: any spread is "collapsed"
    assert proc.returncode == 1
