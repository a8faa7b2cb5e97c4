"""Benchmark: `ganlint fix --verify` on document 000's broken WGAN-GP vs a plain Optuna search from scratch.

Both sides use the same probe (same steps, seed, data) and the same notion of "healthy" (both modes covered,
per-mode spread 0.7-1.4x of the real data, no runtime warning). The plain search gets the space a user would
write down for this config: every knob the staged plan and its search touch, with the documents' values and
the user's original ones (activation, critic widths, lr, batch, n_critic, z_dim, λ), TPE-sampled, stopped at
the first healthy trial or at the budget. Reported: probe runs to the first healthy config and CPU seconds
(this process plus its workers), in the same run. The staged plan should need at most a third of the trials.

    .venv/bin/python benchmarks/fix_vs_optuna.py [--steps 300] [--budget 12] [--seeds 0,1,2]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "fixtures", "wgan_gp_000_broken")

SPACE = {  # the plain search's space: original values plus the documents' choices
    "non_linearity": ["Sigmoid", "LeakyReLU", "ReLU", "Tanh"],
    "nn_disc": [[32, 128], [128, 128], [256, 256]],
    "learning_rate": [1e-3, 2e-4, 1e-4, 5e-5],
    "batch_size": [16, 64, 128],
    "n_critic": [4, 5],
    "z_dim": (2, 32),
    "grad_penalty": [10.0, 5.0, 1.0],
}


def cpu() -> float:
    me, ch = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def copy_fixture() -> str:
    d = tempfile.mkdtemp(prefix="ganlint-bench-")
    dest = os.path.join(d, "p")
    shutil.copytree(FIXTURE, dest)
    os.unlink(os.path.join(dest, "expected.toml"))
    return dest


def staged(steps: int, seed: int) -> dict:
    from ganlint.fix import input_files
    from ganlint.fix.planner import make_plan
    from ganlint.fix.verify import VerifyOptions, verify_plan

    d = copy_fixture()
    t0, c0 = time.perf_counter(), cpu()
    plan = make_plan(input_files([d]))
    res = verify_plan(plan, options=VerifyOptions(steps=steps, seed=seed, trials=12, workers=1, report_dir=None, progress=False))
    out = {"probe_runs": res.probe_runs, "first_healthy": res.first_healthy_run, "healthy": res.final.healthy,
           "cpu": cpu() - c0, "wall": time.perf_counter() - t0,
           "spread": res.final.metrics.get("spread_ratio"), "coverage": res.final.metrics.get("mode_coverage")}
    shutil.rmtree(os.path.dirname(d), ignore_errors=True)
    return out


def plain_optuna(steps: int, seed: int, budget: int, sampler_seed: int) -> dict:
    import optuna

    from ganlint.core.types import Edit
    from ganlint.fix import input_files
    from ganlint.fix.edits import apply_edits
    from ganlint.fix.verify import probe_texts
    from ganlint.fix.writer import common_root

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    d = copy_fixture()
    files = input_files([d])
    cfg = next(f for f in files if f.endswith("config.yaml"))
    texts = {f: open(f).read() for f in files}
    root = common_root(files)
    kw = {"steps": steps, "seed": seed, "device": "cpu", "family": "wgan-gp", "data": None, "entry": None, "time_budget": None}
    t0, c0 = time.perf_counter(), cpu()
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=sampler_seed, n_startup_trials=5))
    first_healthy = None
    for i in range(budget):
        trial = study.ask()
        params = {}
        for name, spec in SPACE.items():
            if isinstance(spec, tuple):
                params[name] = trial.suggest_int(name, *spec)
            elif name == "nn_disc":
                params[name] = SPACE[name][trial.suggest_categorical(name, list(range(len(spec))))]
            else:
                params[name] = trial.suggest_categorical(name, spec)
        edits = [Edit("set-setting", cfg, target=k, new=v) for k, v in params.items()]
        cand = {**texts, **apply_edits(texts, edits)}
        r = probe_texts(cand, files, root, kw, f"plain {i}")
        study.tell(trial, r["score"])
        if r["healthy"]:
            first_healthy = i + 1
            break
    out = {"trials": len(study.trials), "first_healthy": first_healthy, "cpu": cpu() - c0, "wall": time.perf_counter() - t0}
    shutil.rmtree(os.path.dirname(d), ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--budget", type=int, default=12, help="plain search: at most this many trials")
    ap.add_argument("--seeds", default="0,1", help="plain search: TPE seeds (the mean is reported)")
    ap.add_argument("--probe-seed", type=int, default=0)
    a = ap.parse_args()
    print(f"fixture: fixtures/wgan_gp_000_broken; probe: {a.steps} steps, seed {a.probe_seed}, CPU, 1 worker each", flush=True)
    s = staged(a.steps, a.probe_seed)
    print(f"ganlint fix --verify : {s['probe_runs']} probe runs, first healthy at run {s['first_healthy']}, "
          f"final healthy={s['healthy']} (coverage {s['coverage']}, spread {s['spread']:.2f}), CPU {s['cpu']:.1f} s, wall {s['wall']:.1f} s",
          flush=True)
    plain = []
    for seed in [int(x) for x in a.seeds.split(",")]:
        p = plain_optuna(a.steps, a.probe_seed, a.budget, seed)
        plain.append(p)
        fh = p["first_healthy"] if p["first_healthy"] else f">{a.budget} (none healthy)"
        print(f"plain Optuna (TPE seed {seed}): first healthy at trial {fh}, {p['trials']} trials, CPU {p['cpu']:.1f} s, "
              f"wall {p['wall']:.1f} s", flush=True)
    # trials to healthy; a search that never got there counts as budget + 1 (a lower bound)
    to_h = [p["first_healthy"] or a.budget + 1 for p in plain]
    mean_plain = sum(to_h) / len(to_h)
    mean_cpu = sum(p["cpu"] for p in plain) / len(plain)
    staged_n = s["first_healthy"] or s["probe_runs"]
    print(f"trials to a healthy config: staged {staged_n} vs plain {mean_plain:.1f} (ratio {staged_n / mean_plain:.2f}; "
          f"target <= 0.33); CPU to finish: staged {s['cpu']:.1f} s vs plain {mean_cpu:.1f} s")
    return 0 if staged_n * 3 <= mean_plain else 1


if __name__ == "__main__":
    sys.exit(main())
