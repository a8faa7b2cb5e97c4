"""run_probe's engine: files -> settings -> networks -> data -> recipe + Probe -> findings -> report."""
from __future__ import annotations

import inspect
import os
import random
import sys
import time
from typing import Any

from ganlint.core.types import Location
from ganlint.probe.errors import ProbeError, UserCodeError

SMALL_NET_PARAMS = 2_000_000  # below this many parameters one intra-op thread wins on CPU (benchmarks/probe_speed.py)


def choose_threads(n_params: int, requested: int | None) -> int:
    import torch

    if requested:
        return max(1, int(requested))
    cores = os.cpu_count() or 1
    return 1 if n_params < SMALL_NET_PARAMS else min(cores, torch.get_num_threads() or cores)


def pick_device(device: str) -> str:
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ProbeError("--device cuda: CUDA is not available here (use --device cpu or auto)")
    return device


def collect_files(paths: list[str]) -> list[str]:
    from ganlint.reading.discovery import discover

    files, errors = discover(paths)
    if errors:
        raise ProbeError(str(errors[0]))
    return [f for f in files if os.path.basename(f) not in ("expected.toml",)]


def _class_location(cls) -> Location | None:
    try:
        f = inspect.getsourcefile(cls)
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None
    from ganlint.probe.trace.locate import _rel

    return Location(_rel(f), line)


def _static_facts(nets, hp, family) -> dict[str, Any]:
    import torch.nn as nn

    facts: dict[str, Any] = {}
    hidden: list[dict[str, Any]] = []  # where the built networks hold a hidden Sigmoid (evidence for the fixer)
    for role, net in nets.items():
        leaves = [(n, m) for n, m in net.named_modules() if not list(m.children())]
        for i, (n, m) in enumerate(leaves):
            if isinstance(m, nn.Sigmoid) and i < len(leaves) - 1 and role != "energy":
                hidden.append({"network": role, "network_class": type(net).__name__, "module_path": n,
                               "layer_index": i, "activation": type(m).__name__})
    facts["hidden_sigmoid"] = bool(hidden)
    facts["hidden_sigmoid_layers"] = hidden
    if family in ("gan", "wgan", "wgan-gp"):
        z = hp.get("latent_dim", {}).get("value")
        facts["latent_small"] = z is not None and int(z) < 8
        def hidden_units(net):
            lin = [m for m in net.modules() if isinstance(m, nn.Linear)]
            return sum(m.out_features for m in lin[:-1])

        facts["critic_weaker"] = hidden_units(nets["critic"]) < hidden_units(nets["generator"])
    if family == "energy":
        facts["sigmoid_head"] = any(isinstance(m, nn.Sigmoid) for m in nets["energy"].modules())
    return facts


def run(paths: list[str], *, steps=2000, seed=0, device="auto", family=None, data=None, entry=None, out_dir=None,
        time_budget=None, early_stop=True, write_report=True, progress=False, threads=None,
        rule_options: dict | None = None, schedule: dict | None = None, instruments: bool = True):
    import numpy as np
    import torch

    from ganlint.probe import builder as B
    from ganlint.probe import data as D
    from ganlint.probe.api import Probe
    from ganlint.probe.recipes import hyperparams, make_recipe
    from ganlint.probe.report import ProbeReport
    from ganlint.probe.settings import read_settings

    t0 = time.perf_counter()
    if family is not None and family not in ("wgan-gp", "wgan", "gan", "vae", "energy"):
        raise ProbeError(f"--family {family!r}: use wgan-gp, wgan, gan, vae or energy")
    files = collect_files(paths)
    py_files = [f for f in files if f.endswith(".py")]
    ps = read_settings(files)  # reads every file once; the builder works on these texts
    model_files = B.model_files_in(py_files, ps.facts.texts)
    if not model_files and not entry:
        raise ProbeError(f"no model code (nn.Module classes or {B.ENTRY_NAME}) in {', '.join(paths)}; "
                         "pass the model file, or --entry module:function")
    dev = pick_device(device)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    normalize = bool(ps.value("normalize", "any", False))

    # data dimension before building, when the data says it
    dims: dict[str, Any] = {}
    pre = None
    if data is not None or (ps.data_section and (ps.data_section.get("path") or ps.data_section.get("file"))):
        if not (isinstance(data, str) and data.lower() in D.BUILTINS):
            pre = D.resolve(data, ps.data_section, family or "gan", seed=seed, dims={}, normalize=normalize)
            dims["data_dim"] = pre.dim if pre.x is not None else None
    elif ps.data_section and ps.data_section.get("means"):
        dims["data_dim"] = len(ps.data_section["means"][0])
    user_dirs = sorted({os.path.dirname(os.path.abspath(f)) for f in files}
                       | {os.path.abspath(p) for p in paths if os.path.isdir(p)} | {os.getcwd()})
    old_threads = torch.get_num_threads()
    torch.set_num_threads(1 if threads is None else max(1, int(threads)))  # building is cheap; set for real below
    built = B.build(model_files, ps, entry=entry, data_dim=dims.get("data_dim"), family=family, user_dirs=user_dirs)
    texts = {f: ps.facts.texts[f] for f in py_files if f in ps.facts.texts}  # the texts read_settings read
    fam = built.family
    static_fams = set(ps.facts.families())  # the static facts read_settings already gathered
    if family is None:
        fitting = {f for f in static_fams if _fits(f, set(built.networks))}
        if len(fitting) == 1:  # the static facts (code reader) say which family; else the probe's own reading
            fam = fitting.pop()
        else:
            fam = B.detect_family(set(built.networks), ps, texts, built.networks) or fam
    built.extras["gan_loss"] = B.gan_loss_kind(texts)
    from ganlint.probe.loss_shape import reconstruction_reduction

    built.extras["recon_reduction"] = reconstruction_reduction(texts) if fam == "vae" else None
    n_params = sum(p.numel() for n in built.networks.values() for p in n.parameters())
    nthreads = choose_threads(n_params, threads) if dev == "cpu" else old_threads
    torch.set_num_threads(nthreads)

    # data
    args = {k: a["value"] for info in built.info.values() for k, a in info.get("args", {}).items()}
    ddims = {"data_dim": args.get("input_dim") or args.get("data_dim") or dims.get("data_dim"),
             "context_dim": args.get("context_dim"), "action_dim": args.get("action_dim")}
    if pre is not None and data is not None:  # --data wins over what an entry point returns
        ds = pre
        if fam in ("gan", "wgan", "wgan-gp") and ds.modes is None and ds.x is not None:
            ds.modes, ds.labels = D.find_modes(ds.x, seed=seed)
    elif isinstance(data, str) and data.lower() in D.BUILTINS:
        ds = D.resolve(data, ps.data_section, fam, seed=seed, dims=ddims, normalize=normalize)
    elif built.data is not None:
        ds = D.resolve(built.data, None, fam, seed=seed, dims=ddims, normalize=normalize)
    elif pre is not None:
        ds = pre
        if fam in ("gan", "wgan", "wgan-gp") and ds.modes is None and ds.x is not None:
            ds.modes, ds.labels = D.find_modes(ds.x, seed=seed)
    else:
        ds = D.resolve(data, ps.data_section, fam, seed=seed, dims=ddims, normalize=normalize)
    for net in built.networks.values():
        net.to(dev).train()
    hp = hyperparams(ps, fam, built, texts)

    # locations for findings
    locs: dict[str, Location] = {}
    for role, net in built.networks.items():
        loc = _class_location(type(net))
        if loc:
            locs[role] = loc
    if "vae" not in locs and "encoder" in locs:
        locs["vae"] = locs["encoder"]
    for canon in ("activation", "learning_rate", "latent_dim", "gp_weight", "kl_weight", "temperature", "batch_size",
                  "n_critic", "hidden_sizes"):
        s = ps.find(canon, "any")
        if s is not None:
            locs[f"setting:{canon}"] = s.location
    locs["default"] = next(iter(locs.values())) if locs else Location(model_files[0] if model_files else paths[0], 1)

    # probe + recipe
    sample = None
    real = None
    if fam in ("gan", "wgan", "wgan-gp") and ds.x is not None:
        real = ds.x
    context = {"locations": locs, "static_facts": _static_facts(built.networks, hp, fam),
               "kl_anneal_steps": hp.get("kl_anneal_steps", {}).get("value"),
               "temperature": hp.get("temperature", {}).get("value") if fam == "energy" else None,
               "trained_by": "recipe", "vae_loss_shape": {"recon": built.extras.get("recon_reduction")}}
    probe_holder: dict[str, Any] = {}

    def sample_fn(n, g=None):
        return probe_holder["recipe"].sample(n, g)

    probe = Probe(built.networks, fam, real=real if instruments else None,
                  sample=sample_fn if (real is not None and instruments) else None,
                  modes=ds.modes, schedule=schedule, rule_options=rule_options, seed=seed,
                  instruments=bool(instruments), context=context)
    if instruments == "none":  # benchmarks: the bare recipe, hooks doing nothing at all
        probe.instruments = []
    recipe = make_recipe(fam, built.networks, hp, ds, dev, probe, built.extras)
    probe_holder["recipe"] = recipe

    # training
    stopped = "completed"
    t_train = time.perf_counter()
    verdict_step, verdict_time, stable, last_codes = None, None, 0, None
    min_steps = {"vae": int(0.75 * steps), "energy": int(0.5 * steps)}.get(fam, min(600, steps))
    check_every = probe.schedule["samples"]
    tty = progress and sys.stderr.isatty()
    user_exc: UserCodeError | None = None
    probe.on_train_start()
    i = -1
    try:
        for i in range(steps):
            recipe.step(i)
            if probe.has_non_finite:
                stopped = "non-finite"
                break
            if tty and (i % 20 == 0 or i == steps - 1):
                frac = (i + 1) / steps
                sys.stderr.write(f"\rganlint probe [{'#' * int(30 * frac):<30}] {i + 1}/{steps} steps")
                sys.stderr.flush()
            if time_budget is not None and time.perf_counter() - t0 > float(time_budget):
                stopped = "time-budget"
                break
            if instruments and instruments != "none" and (i + 1) % check_every == 0:
                codes = tuple(sorted(f.code for f in probe.findings() if int(f.severity) > 1))  # info flickers
                if codes == last_codes:
                    stable += 1
                else:
                    stable, last_codes = 0, codes
                    verdict_step, verdict_time = i + 1, time.perf_counter() - t_train
                if early_stop and i + 1 >= min_steps and stable >= 3:
                    stopped = "early-stop"
                    break
    except KeyboardInterrupt:
        stopped = "interrupted"
    except ProbeError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's forward/loss raised
        stopped = "error"
        user_exc = B.user_error(exc, f"training step {i}", user_dirs)
    finally:
        if tty:
            sys.stderr.write("\n")
    steps_run = i + 1 if stopped != "interrupted" else max(i, 0)
    probe.step = max(steps_run - 1, probe.step)
    if stopped in ("time-budget", "interrupted", "non-finite") and real is not None and not probe.has_non_finite:
        try:
            probe.measure_samples_now()
        except Exception:  # noqa: BLE001
            pass
    train_s = time.perf_counter() - t_train
    for ins in probe.instruments:
        ins.on_train_end(probe)
    report: ProbeReport = probe.finish()
    report.notes.extend(dict.fromkeys(probe.context.get("notes", [])))
    if verdict_step is not None:
        report.metrics["verdict_step"] = float(verdict_step)
        report.metrics["verdict_seconds"] = round(verdict_time, 3)
    report.metrics["steps_run"] = float(steps_run)
    report.metrics["seconds"] = round(train_s, 3)
    report.family = fam
    report.device = dev
    report.threads = nthreads if dev == "cpu" else None
    report.seed = seed
    report.steps_requested = steps
    report.stopped = stopped
    report.files = files
    report.settings = hp
    if fam == "vae":
        rr = built.extras.get("recon_reduction")
        report.settings["recon_reduction"] = {"value": rr or "mean", "from": "the code's reconstruction loss" if rr
                                              else "not in the code: the recipe's mean"}
    report.networks = built.info
    report.data = {"name": ds.name, **ds.info}
    report.timings = {"total_s": round(time.perf_counter() - t0, 3), "train_s": round(train_s, 3),
                      "steps_per_s": round(steps_run / train_s, 1) if train_s > 0 else None}
    if user_exc is not None:
        report.errors.append(str(user_exc))
    _data_findings(report, ds, locs, ps, probe)
    _static_review(report, ps.facts, probe, built, hp, fam)
    report.findings.sort(key=lambda f: (-int(f.severity), f.code))
    if write_report:
        report.write(out_dir or "ganlint-probe")
    torch.set_num_threads(old_threads)
    if user_exc is not None:
        raise user_exc
    return report


def _fits(family: str, roles: set[str]) -> bool:
    if family in ("gan", "wgan", "wgan-gp"):
        return {"generator", "critic"} <= roles
    if family == "vae":
        return "vae" in roles or {"encoder", "decoder"} <= roles
    return family in roles


def _data_findings(report, ds, locs, ps, probe) -> None:
    """The rules that judge the real data the probe trains with (their `data_finding`; the decision is theirs)."""
    if ds.x is None or ds.info.get("standardised"):
        return
    from ganlint.checking.registry import all_rules

    for rule in all_rules():
        if not hasattr(rule, "data_finding"):
            continue
        judged = rule.data_finding(ds.x, {**rule.options, **probe.rule_options.get(rule.code, {})})
        if judged is not None:
            loc = ps.data_location or locs.get("default") or Location("<data>", 1)
            report.findings.append(rule.finding(judged[0], loc, evidence=judged[1], family=report.family))


def _static_review(report, static_facts, probe, built, hp, fam) -> None:
    """Static findings the run confirms or finds harmless (a rule's `harmless_in_run`: e.g. a small latent on
    a 2-D toy whose every mode is covered)."""
    static: list[dict[str, Any]] = []
    from ganlint.checking.registry import all_rules
    from ganlint.checking.runner import run_rules

    sfind = run_rules(static_facts)
    runtime_codes = {f.code for f in report.findings}
    confirmed_by: dict[str, list[str]] = {}
    for f in report.findings:
        for c in f.evidence.get("confirms", []) if isinstance(f.evidence, dict) else []:
            confirmed_by.setdefault(c, []).append(f.code)
    facts = probe.context.get("static_facts", {})
    seen = set()
    for sf in sfind:
        entry = {"code": sf.code, "slug": sf.slug, "file": sf.location.file, "line": sf.location.line}
        if sf.code in confirmed_by:
            entry.update(status="confirmed", by=sorted(set(confirmed_by[sf.code])))
        else:
            entry.update(status="not observed")
        static.append(entry)
        seen.add(sf.code)
    for code, by in confirmed_by.items():
        if code not in seen:
            static.append({"code": code, "status": "confirmed", "by": sorted(set(by)), "from": "runtime view of the networks"})
    dim = probe.context.get("data_dim") or (len(report.samples.get("real", [[0, 0]])[0]) if report.samples.get("real") else None)
    for rule in all_rules():
        review = getattr(rule, "harmless_in_run", None)
        note = review(fam, facts, report.metrics, hp, dim, runtime_codes) if review else None
        if not note:
            continue
        for e in static:
            if e["code"] == rule.code:
                e.update(status="not harmful here")
                break
        else:
            static.append({"code": rule.code, "status": "not harmful here"})
        report.notes.append(note)
    report.static = static
