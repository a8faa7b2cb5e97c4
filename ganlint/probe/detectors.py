"""Detectors: windows of metric series -> Findings with evidence (numbers, step window, network, layer).

Each finding is built through its rule in rules/gl5NN_*.py (code, slug, severity, thresholds as options).
"""
from __future__ import annotations

import math
from typing import Any

from ganlint.core.types import Finding, Location
from ganlint.probe.stats import linfit, mean, oscillation, windows

GAN = ("gan", "wgan", "wgan-gp")


def _rule(code):
    from ganlint.checking.registry import rule_by_code

    return rule_by_code(code)


def _vals(probe, name) -> list[float]:
    return [v for _, v in probe.series.get(name, [])]


def _last_window(probe, name, frac: float = 0.25, min_points: int = 3):
    pts = probe.series.get(name, [])
    if not pts:
        return [], (0, 0)
    n = max(min_points, int(math.ceil(len(pts) * frac)))
    w = pts[-n:]
    return [v for _, v in w], (int(w[0][0]), int(w[-1][0]))


def _loc(probe, role: str | None = None, setting: str | None = None) -> Location:
    locs = probe.context.get("locations", {})
    if setting and f"setting:{setting}" in locs:
        return locs[f"setting:{setting}"]
    if role and role in locs:
        return locs[role]
    return locs.get("default") or Location("<probe>", 1)


def _related(probe, *keys) -> list[Location]:
    locs = probe.context.get("locations", {})
    return [locs[k] for k in keys if k in locs]


def _r(x, n=4):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else round(float(x), n)


def _make(probe, code, message, location, evidence, related=None, confirms=None) -> Finding | None:
    rule = _rule(code)
    if rule is None:
        return None
    if confirms:
        evidence["confirms"] = confirms
        message += f" (confirms {', '.join(confirms)})"
    return rule.finding(message, location, evidence=evidence, related=related, family=probe.family)


def _confirmable(probe) -> dict[str, bool]:
    """Static conditions the probe can see in the built networks and hyperparameters."""
    c = probe.context.get("static_facts", {})
    return {"GL001": bool(c.get("hidden_sigmoid")), "GL103": bool(c.get("latent_small")),
            "GL102": bool(c.get("critic_weaker")), "GL301": bool(c.get("sigmoid_head"))}


def detect(probe) -> list[Finding]:
    out: list[Finding] = []
    probe.context["notes"] = []
    fam = probe.family
    conf = _confirmable(probe)
    opt = probe.opt

    # GL505 non-finite
    if probe.events:
        e = probe.events[0]
        f = _make(probe, "GL505", f"non-finite value ({e['value']}) first seen at step {e['step']} in the {e['what']}",
                  _loc(probe, "default"), {"step": e["step"], "tensor": e["what"], "events": probe.events[:10]})
        out.append(f)

    # GL501 saturation / GL531 energy head / GL502 dead units
    o501, o502, o531 = opt("GL501"), opt("GL502"), opt("GL531")
    sat_by_role: dict[str, list] = {}
    dead_by_role: dict[str, list] = {}
    for name in sorted(probe.series):
        kind, _, rest = name.partition("/")
        if kind not in ("sat", "dead", "head"):
            continue
        role, _, layer = rest.partition("/")
        vals, win = _last_window(probe, name)
        m = mean(vals)
        if not math.isfinite(m):
            continue
        if kind == "sat" and m > o501["fraction"]:
            sat_by_role.setdefault(role, []).append((layer, m, win, probe.layer_kinds.get(name, "")))
        elif kind == "dead" and m >= o502["zero_fraction"]:
            dead_by_role.setdefault(role, []).append((layer, m, win))
        elif kind == "head":
            probe.context.setdefault("head_saturation", m)
            if m > o531["fraction"]:
                ev_extra = {}
                lossv = _vals(probe, "loss")
                chance = _vals(probe, "infonce_chance")
                tau = probe.context.get("temperature")
                if lossv and chance and tau:
                    B = round(1.0 / chance[-1])
                    ev_extra = {"infonce_loss": _r(mean(lossv[-max(20, len(lossv) // 10):])),
                                "infonce_floor_width1": _r(math.log(1 + (B - 1) * math.exp(-1.0 / float(tau))))}
                f = _make(probe, "GL531",
                          f"the energy head's {probe.layer_kinds.get(name, 'Sigmoid')} ({layer}) is saturated for "
                          f"{m:.0%} of samples (|input| > {o531['preact_threshold']:g}) over steps {win[0]}-{win[1]}",
                          _loc(probe, "energy"), {"network": role, "layer": layer, "saturated_fraction": _r(m),
                                                  "steps": list(win), "threshold": o531["preact_threshold"], **ev_extra},
                          confirms=["GL301"] if conf["GL301"] else None)
                out.append(f)
    spread = mean(_vals(probe, "spread_ratio")[-3:]) if _vals(probe, "spread_ratio") else None
    for role, layers in sat_by_role.items():
        worst = max(layers, key=lambda t: t[1])
        ev = {"network": role, "layers": {l: _r(m) for l, m, _, _ in layers}, "worst_layer": worst[0],
              "saturated_fraction": _r(worst[1]), "steps": list(worst[2]), "threshold": o501["preact_threshold"]}
        if spread is not None and role == "generator":
            ev["spread_ratio"] = _r(spread)
        msg = (f"{len(layers)} {worst[3] or 'sigmoid/tanh'} layer(s) of the {role} saturated: in {worst[0]} "
               f"{worst[1]:.0%} of pre-activations lie beyond ±{o501['preact_threshold']:g} (steps {worst[2][0]}-{worst[2][1]})")
        if spread is not None and role == "generator":
            msg += f"; generated/real spread {spread:.2f}"
        out.append(_make(probe, "GL501", msg, _loc(probe, role, "activation"), ev,
                         related=_related(probe, role), confirms=["GL001"] if conf["GL001"] else None))
    for role, layers in dead_by_role.items():
        worst = max(layers, key=lambda t: t[1])
        out.append(_make(probe, "GL502", f"{len(layers)} ReLU layer(s) of the {role} mostly dead: {worst[0]} outputs "
                         f"zero {worst[1]:.0%} of the time (steps {worst[2][0]}-{worst[2][1]})", _loc(probe, role),
                         {"network": role, "layers": {l: _r(m) for l, m, _ in layers}, "steps": list(worst[2])}))

    # GL503 / GL504 gradients
    o503, o504 = opt("GL503"), opt("GL504")
    for role in probe.networks:
        layer_names = [n for n in probe.series if n.startswith(f"grad/{role}/")]
        lastm = {}
        for n in layer_names:
            vals, win = _last_window(probe, n)
            lastm[n.split("/", 2)[2]] = (mean(vals), win)
        tiny = {l: m for l, (m, _) in lastm.items() if math.isfinite(m) and m < o503["min_norm"]}
        order = [l for l, _ in probe.layers(role)] if role in probe.networks else list(lastm)
        order = [l for l in order if l in lastm]
        ratio = None
        if len(order) >= 2:
            first, last = lastm[order[0]][0], lastm[order[-1]][0]
            if math.isfinite(first) and math.isfinite(last) and last > 0:
                ratio = first / last
        if lastm and (tiny or (ratio is not None and ratio < o503["min_ratio"])):
            win = next(iter(lastm.values()))[1]
            msg = (f"gradients vanish in the {role}: " + (f"{len(tiny)} layer(s) below {o503['min_norm']:g}" if tiny
                   else f"first/last layer gradient ratio {ratio:.1e} < {o503['min_ratio']:g}") + f" (steps {win[0]}-{win[1]})")
            out.append(_make(probe, "GL503", msg, _loc(probe, role), {"network": role, "tiny_layers": {k: _r(v, 12) for k, v in tiny.items()},
                             "first_last_ratio": _r(ratio, 8), "steps": list(win)},
                             confirms=["GL001"] if conf["GL001"] and probe.layer_kinds else None))
        tot = _vals(probe, f"gradnorm/{role}")
        if tot:
            vals, win = _last_window(probe, f"gradnorm/{role}")
            m = mean(vals)
            w = [mean(c) for c in windows(tot, 8)]
            grow = 0
            for a, b in zip(w, w[1:]):
                grow = grow + 1 if (a > 0 and b >= o504["growth"] * a) else 0
                if grow >= o504["growth_windows"]:
                    break
            if (math.isfinite(m) and m > o504["max_norm"]) or grow >= o504["growth_windows"]:
                out.append(_make(probe, "GL504", f"the {role}'s gradient norm explodes: {m:.3g} over steps {win[0]}-{win[1]}"
                                 + (f", growing ≥{o504['growth']:g}x for {grow} windows" if grow >= o504["growth_windows"] else ""),
                                 _loc(probe, role, "learning_rate"), {"network": role, "grad_norm": _r(m), "window_means": [_r(x) for x in w], "steps": list(win)}))

    # GL506 loss oscillation (info)
    o506 = opt("GL506")
    # adversarial losses (loss_d, loss_g) see-saw by design: only single-objective losses are judged
    for name in ("loss",) if fam not in GAN else ():
        v = _vals(probe, name)
        if len(v) < 200:
            continue
        osc = oscillation(v, int(o506["windows"]))
        w = [mean(c) for c in windows(v, int(o506["windows"]))]
        slope, _ = linfit(list(range(len(w))), w)
        trend = abs(slope * len(w))
        spread_w = (max(w) - min(w)) if w else 0
        if osc["flip_rate"] > o506["flip_fraction"] and osc["noise_ratio"] > 4 and trend < 0.5 * spread_w:
            out.append(_make(probe, "GL506", f"{name} changes direction in {osc['flip_rate']:.0%} of windows without a trend",
                             _loc(probe, None, "learning_rate"), {"loss": name, **{k: _r(x) for k, x in osc.items()}}))

    # GAN family: GL510 / GL511 / GL512 / GL513 / GL514
    if fam in GAN:
        cov = _vals(probe, "mode_coverage")
        spr = _vals(probe, "spread_ratio")
        steps_s = [s for s, _ in probe.series.get("spread_ratio", [])]
        o510, o511 = opt("GL510"), opt("GL511")
        modes = int(_vals(probe, "modes")[-1]) if _vals(probe, "modes") else None
        if len(cov) >= 2 and max(cov[-2:]) < 1.0:
            covered = int(_vals(probe, "modes_covered")[-1])
            out.append(_make(probe, "GL510", f"generated samples cover {covered} of {modes} modes of the real data "
                             f"(last two evaluations, steps {int(probe.series['mode_coverage'][-2][0])}-{int(probe.series['mode_coverage'][-1][0])})",
                             _loc(probe, "generator"), {"modes": modes, "modes_covered": covered, "coverage": [_r(c) for c in cov[-3:]],
                                                        "steps": [int(probe.series["mode_coverage"][-2][0]), int(probe.series["mode_coverage"][-1][0])],
                                                        "network": "generator",
                                                        "per_mode": probe.last_samples.get("stats", {}).get("per_mode")},
                             related=_related(probe, "critic"),
                             confirms=[c for c in ("GL001", "GL102", "GL103") if conf[c]] or None))
        if len(spr) >= 3:
            m = mean(spr[-3:])
            if m < o511["min_ratio"]:
                kl = _vals(probe, "kl_real_fake")
                ev = {"spread_ratio": _r(m), "spread_ratio_series": [_r(x) for x in spr[-3:]],
                      "steps": [steps_s[-3], steps_s[-1]], "per_mode": probe.last_samples.get("stats", {}).get("per_mode"),
                      "kl_real_fake": _r(kl[-1]) if kl else None, "threshold": o511["min_ratio"]}
                out.append(_make(probe, "GL511", f"generated per-mode spread is {m:.2f}x the real spread (< {o511['min_ratio']:g}) "
                                 f"over steps {steps_s[-3]}-{steps_s[-1]}: the samples sit on the modes' centres",
                                 _loc(probe, "generator"), ev, related=_related(probe, "setting:latent_dim", "setting:activation"),
                                 confirms=[c for c in ("GL001", "GL103") if conf[c]] or None))
        if fam == "gan" and _vals(probe, "d_fake"):
            o = opt("GL512")
            df, win = _last_window(probe, "d_fake")
            acc, _ = _last_window(probe, "d_accuracy")
            gg, _ = _last_window(probe, "gradnorm/generator")
            mdf, macc, mgg = mean(df), mean(acc), mean(gg) if gg else float("nan")
            if (mdf < o["d_fake_max"] or macc > o["accuracy"]) and math.isfinite(mgg) and mgg < o["g_grad_max"]:
                out.append(_make(probe, "GL512", f"the discriminator wins: mean D(G(z)) {mdf:.3f}, accuracy {macc:.0%}, generator "
                                 f"gradient norm {mgg:.1e} (steps {win[0]}-{win[1]})", _loc(probe, "critic"),
                                 {"d_fake": _r(mdf), "d_accuracy": _r(macc), "generator_grad_norm": _r(mgg, 10), "steps": list(win)}))
        if fam == "wgan-gp" and _vals(probe, "gp_norm"):
            o = opt("GL513")
            v, win = _last_window(probe, "gp_norm")
            m = mean(v)
            if math.isfinite(m) and not (o["low"] <= m <= o["high"]):
                out.append(_make(probe, "GL513", f"mean ‖∇D(x̂)‖ at interpolates is {m:.2f}, outside [{o['low']:g}, {o['high']:g}] "
                                 f"(steps {win[0]}-{win[1]})", _loc(probe, "critic", "gp_weight"), {"penalty_norm": _r(m), "steps": list(win)}))
        if fam in ("wgan", "wgan-gp") and len(_vals(probe, "loss_g")) >= 200:
            o = opt("GL514")
            g = [mean(c) for c in windows(_vals(probe, "loss_g"), 8)]
            d = [mean(c) for c in windows(_vals(probe, "loss_d"), 8)]
            rise = mean(g[-2:]) - mean(g[:2])
            ups = sum(1 for a, b in zip(g, g[1:]) if b > a) / max(len(g) - 1, 1)
            dchange = abs(mean(d[-2:]) - mean(d[-4:-2]))
            if rise > o["min_rise"] and ups >= o["min_trend_fraction"] and dchange < 0.25 * rise:
                out.append(_make(probe, "GL514", f"the generator loss rises by {rise:.2f} (to {g[-1]:.2f}) while the critic loss stalls "
                                 f"near {d[-1]:.2f}", _loc(probe, "generator", "learning_rate"),
                                 {"loss_g_windows": [_r(x) for x in g], "loss_d_windows": [_r(x) for x in d], "rise": _r(rise)}))

    # VAE: GL520 / GL521 / GL522
    if fam == "vae":
        kl = _vals(probe, "kl")
        if len(kl) >= 100:
            o520, o521, o522 = opt("GL520"), opt("GL521"), opt("GL522")
            km = kl_measures(probe, o520, o521)
            kl_steps = [int(probe.series["kl"][0][0]), int(probe.series["kl"][-1][0])]
            if km["kl_oscillation"] > o520["min_rel_std"] and km["kl_flip_rate"] > o520["min_flip_rate"] and km["kl_noise_ratio"] > 4:
                out.append(_make(probe, "GL520", f"the KL term oscillates: detrended windowed KL varies by {km['kl_oscillation']:.0%} of its mean, "
                                 f"direction changes in {km['kl_flip_rate']:.0%} of windows ({km['kl_noise_ratio']:.0f}x the sampling noise)",
                                 _loc(probe, "vae", "kl_weight"), {**{k: _r(v) for k, v in km.items()}, "steps": kl_steps, "network": "vae"},
                                 related=_related(probe, "setting:learning_rate")))
            if km["kl_trend_rel"] > o521["min_rel_rise"]:
                out.append(_make(probe, "GL521", f"the KL term keeps rising after the warm-up: +{km['kl_trend_rel']:.0%} of its mean "
                                 f"from step {km['kl_after_step']} to the end (KL {km['kl_start']:.3g} -> {km['kl_end']:.3g})",
                                 _loc(probe, "vae", "kl_weight"), {**{k: _r(v) for k, v in km.items()},
                                                                   "steps": [km["kl_after_step"], kl_steps[1]], "network": "vae"},
                                 related=_related(probe, "setting:latent_dim")))
            lastkl, win = _last_window(probe, "kl")
            act, _ = _last_window(probe, "active_units")
            mk, ma = mean(lastkl), mean(act) if act else float("nan")
            if mk < o522["min_kl"] or (math.isfinite(ma) and ma < o522["min_active_share"]):
                out.append(_make(probe, "GL522", f"posterior collapse: KL {mk:.3g}, {ma:.0%} of latent units active (steps {win[0]}-{win[1]})",
                                 _loc(probe, "vae", "kl_weight"), {"kl": _r(mk, 6), "active_share": _r(ma), "steps": list(win)}))

    # energy: GL530 / GL532
    if fam == "energy" and _vals(probe, "energy_gap"):
        gap, win = _last_window(probe, "energy_gap", 0.1, 20)
        m = mean(gap)
        o = opt("GL530")
        allg = _vals(probe, "energy_gap")
        half = mean(allg[len(allg) // 2: len(allg) // 2 + max(20, len(allg) // 10)])
        rising = math.isfinite(half) and (m - half) > max(0.002, o.get("min_rise", 0.25) * abs(half))
        if math.isfinite(m) and m < o["min_gap"] and rising:
            probe.context.setdefault("notes", []).append(
                f"energy gap {m:.3f} is below {o['min_gap']:g} but still rising (from {half:.3f} at mid-run): "
                "not judged yet (GL530); probe longer (--steps) to decide")
        if math.isfinite(m) and m < o["min_gap"] and not rising:
            out.append(_make(probe, "GL530", f"mean E(neg) - E(pos) is {m:.3f} (< {o['min_gap']:g}) over steps {win[0]}-{win[1]}: "
                             f"negatives are barely separated", _loc(probe, "energy"),
                             {"energy_gap": _r(m), "e_pos": _r(mean(_last_window(probe, 'e_pos', 0.1, 20)[0])),
                              "e_neg": _r(mean(_last_window(probe, 'e_neg', 0.1, 20)[0])), "steps": list(win)},
                             related=_related(probe, "setting:temperature"), confirms=["GL301"] if conf["GL301"] else None))
        acc, win = _last_window(probe, "infonce_accuracy", 0.1, 20)
        chance = _vals(probe, "infonce_chance")
        o = opt("GL532")
        if acc and chance and mean(acc) < o["max_ratio"] * chance[-1]:
            out.append(_make(probe, "GL532", f"in-batch InfoNCE accuracy {mean(acc):.3f} stays near chance {chance[-1]:.3f} "
                             f"(steps {win[0]}-{win[1]})", _loc(probe, "energy"),
                             {"infonce_accuracy": _r(mean(acc)), "chance": _r(chance[-1]), "steps": list(win)}))
    return [f for f in out if f is not None]


def kl_measures(probe, o520=None, o521=None) -> dict[str, float]:
    o520 = o520 or probe.opt("GL520")
    o521 = o521 or probe.opt("GL521")
    pts = probe.series.get("kl", [])
    kl = [v for _, v in pts]
    osc = oscillation(kl, int(o520["windows"]))
    n = len(pts)
    anneal = probe.context.get("kl_anneal_steps") or 0
    after = max(int(n * o521["warmup_fraction"]), int(anneal))
    after = min(after, max(n - 20, 0))
    tail = kl[after:]
    w = [mean(c) for c in windows(tail, 10)]
    slope, icpt = linfit(list(range(len(w))), w)
    start, end = icpt, icpt + slope * (len(w) - 1)
    scale = abs(mean(tail)) or 1.0
    return {"kl_oscillation": osc["rel_std"], "kl_flip_rate": osc["flip_rate"], "kl_noise_ratio": osc["noise_ratio"],
            "kl_trend": slope * len(w) / max(len(tail), 1) * 1000.0, "kl_trend_rel": (end - start) / scale,
            "kl_start": start, "kl_end": end, "kl_after_step": int(pts[after][0]) if pts else 0,
            "kl_final": mean(kl[-max(10, n // 20):])}


def summary_metrics(probe) -> dict[str, float]:
    m: dict[str, float] = {}

    def last(name, n=3):
        v = _vals(probe, name)
        return mean(v[-n:]) if v else None

    for k in ("mode_coverage", "precision", "kl_real_fake", "kl_fake_real", "log_likelihood", "mmd"):
        if last(k, 1) is not None:
            m[k] = last(k, 1)
    if _vals(probe, "spread_ratio"):
        m["spread_ratio"] = last("spread_ratio", 3)
    for k in ("loss_d", "loss_g", "loss", "gp_norm", "d_real", "d_fake", "wasserstein", "recon", "kl",
              "active_units", "e_pos", "e_neg"):
        if _vals(probe, k):
            m[k + "_final"] = mean(_last_window(probe, k, 0.1)[0])
    if probe.family == "vae" and len(_vals(probe, "kl")) >= 100:
        km = kl_measures(probe)
        m.update({k: v for k, v in km.items() if isinstance(v, (int, float))})
    if probe.family == "energy" and _vals(probe, "energy_gap"):
        m["energy_gap"] = mean(_last_window(probe, "energy_gap", 0.1, 20)[0])
        m["infonce_accuracy"] = mean(_last_window(probe, "infonce_accuracy", 0.1, 20)[0])
        m["infonce_chance"] = _vals(probe, "infonce_chance")[-1]
        if "head_saturation" in probe.context:
            m["head_saturation"] = probe.context["head_saturation"]
        hs = [n for n in probe.series if n.startswith("head/")]
        if hs:
            m["head_saturation"] = mean(_last_window(probe, hs[0])[0])
    sats = [mean(_last_window(probe, n)[0]) for n in probe.series if n.startswith("sat/")]
    if sats:
        m["max_saturation"] = max(sats)
    for role in probe.networks:
        if _vals(probe, f"gradnorm/{role}"):
            m[f"grad_norm_{role}"] = mean(_last_window(probe, f"gradnorm/{role}")[0])
    m["non_finite"] = float(len(probe.events))
    m["steps_run"] = float(probe.step + 1)
    return {k: (float(v) if v is not None else float("nan")) for k, v in m.items()}
