"""Deterministic stand-ins for the probe (module-level: picklable into spawned worker processes).

They score a candidate project from its text the way the documents reason (a Sigmoid hidden layer, a
high learning rate and a large λ hurt), so the planner/verify logic can be tested without training."""
import os
import re
import time


def score_000(texts, files, root, kwargs, label=""):
    t = "".join(v for k, v in texts.items() if k.endswith((".yaml", ".yml")))
    score = 0.0
    if re.search(r"non_linearity:\s*Sigmoid", t):
        score += 3.0
    lr = float(re.search(r"learning_rate:\s*([0-9.e-]+)", t).group(1))
    score += 1.0 if lr > 2e-4 else 0.0
    gp = float(re.search(r"grad_penalty:\s*([0-9.e-]+)", t).group(1))
    z = int(re.search(r"z_dim:\s*(\d+)", t).group(1))
    healthy = score == 0 and gp <= 5.0 and z >= 8
    score += 0.0 if healthy else 0.5 + (0.1 if gp > 5 else 0.0)
    time.sleep(float(os.environ.get("FAKEPROBE_SLEEP", "0")))
    return {"label": label, "score": score, "healthy": healthy, "codes": [] if healthy else ["GL511"],
            "metrics": {"spread_ratio": 1.0 if healthy else 0.3, "mode_coverage": 1.0}}


def never_healthy(texts, files, root, kwargs, label=""):
    d = score_000(texts, files, root, kwargs, label)
    d["healthy"] = False
    d["score"] += 1.0
    return d


def shared_worker(storage, study_name, paths, trials, out):
    """One machine of the shared search: plan + verify against `storage` (runs in its own process)."""
    from ganlint.fix import input_files
    from ganlint.fix.planner import make_plan
    from ganlint.fix.verify import VerifyOptions, verify_plan

    files = input_files(paths)
    plan = make_plan(files)
    opts = VerifyOptions(probe_fn=never_healthy, storage=storage, study_name=study_name, trials=trials, workers=1,
                         report_dir=None, progress=False)
    res = verify_plan(plan, options=opts)
    with open(out, "w") as fh:
        fh.write(f"{os.getpid()} {len(res.trials)}\n")
