"""Overhead of `ganlint probe train.py` (run mode, default schedule) vs the same program run plainly for the
same number of generator (or model) steps.

Three programs (written to a temp folder): a 2-D WGAN-GP (n_critic 5), an MNIST-size DCGAN (1x28x28,
batch 32, 32/64 channels) and a VAE on 784-D data. Both sides are child processes started the same way by
this script (`python prog.py N` and `ganlint probe prog.py --steps N -- ...`) and each times its own loop,
writing the seconds in a `finally:` block so that the probe's stop is timed the same way:
- "steady": from loop iteration WARM (20: after the probe's discovery window and its first-20 capture
  window) to the end. This is the figure held to the 1.10x target: the per-step cost of the instruments.
- "whole": from iteration 0, discovery included (the probe's one-time set-up once the networks are known).
- "end-to-end": the CPU of the whole command from exec to exit (getrusage of the finished children). Start-up
  does not cancel here: the probed side pays a second interpreter (the CLI parent) and ganlint's imports and
  writes its report; the median extra seconds are printed beside the ratio. The loop figures above leave
  start-up out on both sides alike, since it happens before iteration 0 in each process.

Built for a shared, noisy machine: the runs are interleaved in pairs (plain and probed back to back, the
order alternating between repeats), and each pair gives one ratio, so a load change between minutes hits
both runs of a pair alike. Printed per program: the median, min and max of the pair ratios and the ratio
of the fastest runs, for wall-clock and for CPU time (time.process_time: the process's own CPU, all its
threads, the sample-statistics worker included, so CPU ratios also count work the wall clock may hide on a
second core), the loop thread's own CPU time (time.thread_time: what the training loop itself pays, the
worker's evaluations excluded), and the spread of the plain runs (max/min wall: the noise the ratios carry).
The last lines hold each program's steady CPU median against the target.

    .venv/bin/python benchmarks/trace_overhead.py [--steps 300] [--repeats 5] [--only wgan] [--in-process] [--count]

--in-process: traced and plain blocks of the program's steps alternate inside one interpreter (after the
discovery window; the order alternating between pairs), the least noisy view of the per-step cost the
instruments add to the loop thread (process-wide costs, such as imports, hit both blocks there).
--count: no timing at all: the torch API calls and Python-level calls the instruments add per iteration,
plain vs traced in one interpreter. Load-independent, so a change's effect shows even on a busy machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

TARGET = 1.10  # the probe's overhead bound: steady-state CPU of the probed loop / the plain loop's
HEAD = """
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
torch.set_num_threads(1)
ITERS, OUT, WARM = int(sys.argv[1]), sys.argv[2], 20
t = {}
"""
TAIL = """
try:
    for it in range(ITERS):
        if it == 0:
            t["start"], t["cpu_start"], t["thr_start"] = time.perf_counter(), time.process_time(), time.thread_time()
        if it == WARM:
            t["warm"], t["cpu_warm"], t["thr_warm"] = time.perf_counter(), time.process_time(), time.thread_time()
        step(it)
finally:
    end, cpu, thr = time.perf_counter(), time.process_time(), time.thread_time()
    json.dump({"whole": end - t["start"], "steady": end - t.get("warm", end), "cpu_whole": cpu - t["cpu_start"],
               "cpu_steady": cpu - t.get("cpu_warm", cpu), "thread_steady": thr - t.get("thr_warm", thr),
               "iters": it}, open(OUT, "w"))
"""
PROGRAMS = {
    "wgan-gp 2-D": """
G = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
D = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1))
og = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.9))
od = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.5, 0.9))
def real(n=256):
    return torch.randn(n, 2) * 0.1 + torch.randint(0, 2, (n, 1)) * 4 - 2
def step(it):
    for _ in range(5):
        x, fake = real(), G(torch.randn(256, 2)).detach()
        a = torch.rand(256, 1)
        xh = (a * x + (1 - a) * fake).requires_grad_(True)
        g = torch.autograd.grad(D(xh).sum(), xh, create_graph=True)[0]
        loss_d = D(fake).mean() - D(x).mean() + 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()
        od.zero_grad(); loss_d.backward(); od.step()
    loss_g = -D(G(torch.randn(256, 2))).mean()
    og.zero_grad(); loss_g.backward(); og.step()
""",
    "dcgan 28x28": """
G = nn.Sequential(nn.ConvTranspose2d(32, 64, 7, 1, 0, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
                  nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),
                  nn.ConvTranspose2d(32, 1, 4, 2, 1, bias=False), nn.Tanh())
D = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                  nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2, inplace=True),
                  nn.Conv2d(64, 1, 7, 1, 0, bias=False), nn.Sigmoid())
og = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
od = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
bce = nn.BCELoss()
data = torch.rand(32, 1, 28, 28) * 2 - 1
def step(it):
    x = data + 0.05 * torch.randn_like(data)
    fake = G(torch.randn(32, 32, 1, 1))
    od.zero_grad()
    (bce(D(x).view(-1), torch.ones(32)) + bce(D(fake.detach()).view(-1), torch.zeros(32))).backward()
    od.step()
    og.zero_grad(); bce(D(fake).view(-1), torch.ones(32)).backward(); og.step()
""",
    "vae 784-D": """
class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)
    def forward(self, x):
        h = F.relu(self.fc1(x)); mu, lv = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * lv)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, lv
model = VAE()
opt = torch.optim.Adam(model.parameters(), 1e-3)
data = torch.rand(128, 784)
def step(it):
    recon, mu, lv = model(data)
    loss = F.binary_cross_entropy(recon, data, reduction="sum") - 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())
    opt.zero_grad(); loss.backward(); opt.step()
""",
}


def run_once(path: str, steps: int, probed: bool, tmp: str) -> dict:
    """One run as a child process; adds "process_cpu": the CPU seconds of the whole command from exec to exit
    (start-up, torch import, the probe's parent and child process, its report: RUSAGE_CHILDREN counts the
    grandchild too, since the probe's parent waits for it)."""
    import resource

    out = os.path.join(tmp, "t.json")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if probed:
        ganlint = os.path.join(os.path.dirname(sys.executable), "ganlint")
        cmd = [ganlint, "probe", path, "--steps", str(steps), "--out", os.path.join(tmp, "probe"), "--",
               str(steps * 10), out]
    else:
        cmd = [sys.executable, path, str(steps), out]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not os.path.isfile(out):
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr[-1500:]}")
    with open(out) as fh:
        res = json.load(fh)
    os.remove(out)
    res["process_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return res


def _ratios(plain: list[dict], probed: list[dict], key: str) -> tuple[float, float, float, float]:
    """(median of the pair ratios, min and max of the pair ratios, fastest probed / fastest plain)."""
    import statistics

    pairs = [q[key] / p[key] for p, q in zip(plain, probed) if p[key] > 0]
    return (statistics.median(pairs), min(pairs), max(pairs),
            min(q[key] for q in probed) / min(p[key] for p in plain))


def _load(name: str) -> tuple[dict, str]:
    """The program's globals (its networks, optimizers and step()), compiled as a file in a temp folder."""
    body = next(b for k, b in PROGRAMS.items() if k.startswith(name))
    tmp = tempfile.mkdtemp()
    g: dict = {"__name__": "program"}
    code = "import torch, torch.nn as nn, torch.nn.functional as F\ntorch.manual_seed(0)\n" + textwrap.dedent(body)
    exec(compile(code, os.path.join(tmp, "program.py"), "exec"), g)  # noqa: S102 - the benchmark's own program
    return g, tmp


def count_calls(name: str, steps: int) -> None:
    """--count: what the instruments add per loop iteration, counted, not timed (so the load of a shared machine
    does not enter): torch API calls (a TorchFunctionMode sees every torch function and Tensor method call) and
    Python-level calls (sys.setprofile: Python and C function calls), plain vs traced after the discovery and
    first-20 capture windows, over `steps` iterations (a whole number of schedule periods: every read-back,
    activation sample and evaluation is in it)."""
    from collections import Counter

    import torch
    from torch.overrides import TorchFunctionMode

    from ganlint.probe.trace.hooks import Tracer

    class Count(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.n = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.n += 1
            return func(*args, **(kwargs or {}))

    def counted(it0: int) -> tuple[float, float]:
        calls = Counter()

        def prof(frame, event, arg):
            if event in ("call", "c_call"):
                calls[event] += 1

        mode = Count()
        with mode:
            sys.setprofile(prof)
            try:
                for i in range(steps):
                    g["step"](it0 + i)
            finally:
                sys.setprofile(None)
        return mode.n / steps, sum(calls.values()) / steps

    torch.set_num_threads(1)
    g, tmp = _load(name)
    t0, p0 = counted(0)
    tracer = Tracer(steps=None, time_budget=None, watch=False, stop_on=None, user_dirs=[tmp])
    tracer.install()
    try:
        it = 0
        while tracer.discovering or tracer.control.main_steps < 40:
            g["step"](it)
            it += 1
        t1, p1 = counted(it)
    finally:
        tracer.uninstall()
    print(f"{name:<13} per iteration over {steps}: torch calls {t0:.1f} plain, {t1:.1f} traced (+{t1 - t0:.1f}, "
          f"{t1 / t0:.3f}x); Python calls {p0:.0f} plain, {p1:.0f} traced (+{p1 - p0:.0f}, {p1 / p0:.3f}x)", flush=True)


def in_process(name: str, steps: int, repeats: int) -> None:
    """--in-process: one interpreter, the program's step() in blocks of `steps` iterations, traced (after the
    discovery window and the first-20 capture window) and plain alternating; the loop thread's CPU time of
    each block (no process start-up, no report writing; the sample worker's CPU not counted)."""
    import statistics
    import time

    import torch

    from ganlint.probe.trace.hooks import Tracer

    torch.set_num_threads(1)
    g, tmp = _load(name)

    def block(it0: int) -> tuple[float, float]:
        w, c = time.perf_counter(), time.thread_time()
        for i in range(steps):
            g["step"](it0 + i)
        return time.perf_counter() - w, time.thread_time() - c

    def traced() -> tuple[float, float]:
        tracer = Tracer(steps=None, time_budget=None, watch=False, stop_on=None, user_dirs=[tmp])
        tracer.install()
        try:
            it = 0
            while tracer.discovering or tracer.control.main_steps < 40:
                g["step"](it)
                it += 1
            return block(it)
        finally:
            tracer.uninstall()
            if tracer.measure is not None and tracer.measure.evaluator is not None:
                tracer.measure.evaluator.drain()

    block(0)  # warm-up of both paths, untimed
    traced()
    cpu, wall = [], []
    for i in range(repeats):  # the order alternates: a load change or a warm-up hits both sides alike
        if i % 2 == 0:
            (w0, c0), (w1, c1) = block(0), traced()
        else:
            (w1, c1), (w0, c0) = traced(), block(0)
        cpu.append(c1 / c0)
        wall.append(w1 / w0)
    print(f"{name:<13} in process, {steps}-step blocks x {repeats}: loop thread CPU median {statistics.median(cpu):.3f}x "
          f"[{min(cpu):.3f}..{max(cpu):.3f}]; wall median {statistics.median(wall):.3f}x [{min(wall):.3f}..{max(wall):.3f}]",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", default="", help="run the programs whose name starts with this (wgan, dcgan, vae)")
    ap.add_argument("--in-process", action="store_true", help="traced and plain blocks alternating in one process")
    ap.add_argument("--count", action="store_true", help="count the torch and Python calls added per iteration")
    a = ap.parse_args()
    if a.in_process or a.count:
        for name in PROGRAMS:
            if name.startswith(a.only):
                subprocess.run([sys.executable, __file__, "--count-one" if a.count else "--in-process-one", name,
                                str(a.steps), str(a.repeats)], env=dict(os.environ, OMP_NUM_THREADS="1"), check=False)
        return
    import statistics

    rows: list[tuple[str, float]] = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{a.steps} steps, {a.repeats} interleaved pairs per program; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'program':<13} {'plain s':>8} {'noise':>6} | {'wall steady med/fastest':>23} | "
          f"{'CPU steady med [min..max] fastest':>34} | {'CPU whole med':>13} | "
          f"{'loop thread CPU med [min..max]':>30} | {'end-to-end CPU med, extra s':>27}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in PROGRAMS.items():
            if not name.startswith(a.only):
                continue
            path = os.path.join(tmp, name.split()[0] + ".py")
            with open(path, "w") as fh:
                fh.write(textwrap.dedent(HEAD) + textwrap.dedent(body) + textwrap.dedent(TAIL))
            plain, probed = [], []
            for i in range(a.repeats):  # pairs back to back, the order alternating
                first_plain = i % 2 == 0
                r1 = run_once(path, a.steps, not first_plain, tmp)
                r2 = run_once(path, a.steps, first_plain, tmp)
                p, q = (r1, r2) if first_plain else (r2, r1)
                plain.append(p)
                probed.append(q)
            ws, cs = _ratios(plain, probed, "steady"), _ratios(plain, probed, "cpu_steady")
            cw, ts = _ratios(plain, probed, "cpu_whole"), _ratios(plain, probed, "thread_steady")
            ee = _ratios(plain, probed, "process_cpu")
            extra = statistics.median(q["process_cpu"] - p["process_cpu"] for p, q in zip(plain, probed))
            wall = [p["whole"] for p in plain]
            rows.append((name, cs[0]))
            print(f"{name:<13} {min(wall):8.2f} {max(wall) / min(wall):5.2f}x | {ws[0]:13.3f}x {ws[3]:7.3f}x | "
                  f"{cs[0]:11.3f}x [{cs[1]:.3f}..{cs[2]:.3f}] {cs[3]:6.3f}x | {cw[0]:12.3f}x | "
                  f"{ts[0]:14.3f}x [{ts[1]:.3f}..{ts[2]:.3f}] | {ee[0]:17.3f}x {extra:+7.2f}",
                  flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end {load:.1f}")
    for name, r in rows:
        print(f"{name:<13} steady CPU median {r:.3f}x: {'within' if r <= TARGET else 'OVER'} the {TARGET:.2f}x target")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] in ("--in-process-one", "--count-one"):  # a fresh interpreter per program
        if sys.argv[1] == "--count-one":
            count_calls(sys.argv[2], int(sys.argv[3]))
        else:
            in_process(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        os._exit(0)  # the sample worker thread is a daemon: no join at exit
    main()
