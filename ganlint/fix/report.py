"""fix-report.json and fix-report.html: the baseline and the fixed project side by side."""
from __future__ import annotations

import html
import json
import math
import os
from typing import Any

from ganlint.fix.writer import write_all

PLOT_METRICS = ("mode_coverage", "spread_ratio", "kl_real_fake", "kl_fake_real", "kl_oscillation", "kl_trend_rel",
                "energy_gap", "infonce_accuracy", "head_saturation", "max_saturation")


def report_dict(vres, plan) -> dict[str, Any]:
    b, f = vres.baseline, vres.final
    before_after = {}
    for k in PLOT_METRICS:
        if k in b.metrics or k in f.metrics:
            before_after[k] = {"before": _num(b.metrics.get(k)), "after": _num(f.metrics.get(k))}
    before_after["health"] = {"before": b.score, "after": f.score}
    return {
        "schema": "ganlint-fix/1",
        "family": plan.family,
        # run: every probe run was the user's patched program (ganlint/fix/program.py); recipe: ganlint's loop
        "mode": "run" if getattr(vres, "program", None) else "recipe",
        "program": os.path.relpath(vres.program) if getattr(vres, "program", None) else None,
        "files": [os.path.relpath(p) for p in plan.files],
        "changed": [os.path.relpath(p) for p in vres.result.changed],
        "baseline": b.to_dict(),
        "stages": [{"stage": s, "kept": kept, "run": r.to_dict(),
                    "fixes": [fx.to_dict() for fx in plan.fixes if fx.stage == s]} for s, r, kept in vres.stage_runs],
        "search": {"study": vres.study_name, "trials": [t.to_dict() for t in vres.trials], "best_params": vres.search_params},
        "final": f.to_dict(),
        "before_after": before_after,
        "probe_runs": vres.probe_runs,
        "first_healthy_run": vres.first_healthy_run,
        "cpu_seconds": round(vres.cpu_seconds, 2),
        "wall_seconds": round(vres.wall_seconds, 2),
        "applied": [fx.to_dict() for fx in vres.result.applied],
        "samples": {"before": b.samples, "after": f.samples},
        "series": {"before": b.series, "after": f.series},
    }


def _num(v: Any) -> Any:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return None if (isinstance(v, float) and not math.isfinite(v)) else v
    return None


# series -> (chart title, log axis): KL spans decades between a collapsed and a healthy run
SERIES_TITLES = {"spread_ratio": ("spread ratio, generated / real", False), "mode_coverage": ("mode coverage", False),
                 "kl_real_fake": ("KL(real ‖ generated), KDE estimate", True), "kl": ("VAE KL term", False),
                 "energy_gap": ("energy gap, E(neg) − E(pos)", False), "loss_d": ("critic / discriminator loss", False),
                 "loss_g": ("generator loss", False), "loss": ("loss", False)}


def _points(samples: dict[str, Any]) -> list:
    return [p for p in (samples.get("real") or []) + (samples.get("fake") or [])
            if isinstance(p, (list, tuple)) and len(p) >= 2 and all(isinstance(x, (int, float)) and math.isfinite(x) for x in p[:2])]


def _plots(d: dict[str, Any]) -> str:
    """Before and after on the same axes: the two scatter plots share their bounds, and each measured
    series is one chart holding its before and after curves."""
    from ganlint.probe.html import line_chart, scatter

    before, after = d["samples"]["before"] or {}, d["samples"]["after"] or {}
    both = _points(before) + _points(after)
    figures = []
    if both:
        xs, ys = [p[0] for p in both], [p[1] for p in both]
        bounds = (min(xs), max(xs), min(ys), max(ys))
        for name, smp in (("before", before), ("after", after)):
            if _points(smp):
                figures.append(scatter(smp.get("real") or [], smp.get("fake") or [], f"{name}: real vs generated",
                                       bounds=bounds))
    sb, sa = d.get("series", {}).get("before") or {}, d.get("series", {}).get("after") or {}
    for k in [k for k in sb if k in sa]:
        title, log = SERIES_TITLES.get(k, (k.replace("_", " "), False))
        figures.append(line_chart(title, {"before": sb[k], "after": sa[k]}, log=log))
    figures = [f for f in figures if f]
    return f"<section><h2>Before and after</h2><div class=grid2>{''.join(figures)}</div></section>" if figures else ""


def _table(head: list[str], rows: list[list[str]]) -> str:
    return ("<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table>")


def _applied(d: dict[str, Any]) -> list[list[str]]:
    """One row per rule (a rule's fix may be several planned fixes: its own and the planner's completion)."""
    by_code: dict[str, dict[str, Any]] = {}
    for a in d["applied"]:
        row = by_code.setdefault(a["code"], {"stage": a["stage"], "source": a["source"], "messages": [], "files": set()})
        if a["message"] not in row["messages"]:
            row["messages"].append(a["message"])
        row["files"].update(e["file"] for e in a.get("edits", []) if e.get("file"))
    return [[f"<b>{_e(code)}</b>", str(r["stage"]), _e("; ".join(r["messages"])), _e(r["source"]),
             _e(", ".join(sorted(r["files"])))] for code, r in by_code.items()]


def render_html(d: dict[str, Any]) -> str:
    from ganlint.probe.html import CSS

    b, f = d["baseline"], d["final"]
    badge = '<span class="badge ok">healthy</span>' if f["healthy"] else '<span class="badge bad">still unhealthy</span>'
    title = f"ganlint fix --verify — {d['family'] or '?'}"
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{CSS}</style></head><body>",
             f"<header><h1>{badge}{_e(title)}</h1><div class=sub>{d['probe_runs']} probe run(s) · CPU {d['cpu_seconds']} s "
             + (f"· ran the patched program {_e(d['program'])} " if d.get("program") else "")
             + f"· wall {d['wall_seconds']} s · health score {_f(b['health'])} → {_f(f['health'])} (lower is healthier)</div></header><main>"]
    kpis = [("health", _f(b["health"]), _f(f["health"])),
            ("runtime findings", _e(", ".join(b["codes"]) or "none"), _e(", ".join(f["codes"]) or "none"))]
    kpis += [(k.replace("_", " "), _f(v["before"]), _f(v["after"])) for k, v in d["before_after"].items()
             if k != "health" and (v["before"] is not None or v["after"] is not None)]
    parts.append("<section><div class=kpis>" + "".join(f"<div class=kpi><b>{x} → {y}</b><span>{_e(k)}</span></div>"
                                                        for k, x, y in kpis) + "</div></section>")
    if b.get("error"):
        parts.append(f"<p style='color:#dc2626'>the probe could not run the project: {_e(b['error'])}</p>")
    parts.append(_plots(d))
    applied = _applied(d)
    if applied:
        parts.append("<section><h2>Applied fixes</h2>" + _table(["rule", "stage", "fix", "source", "files"], applied)
                     + "</section>")
    if d["stages"]:
        rows = [[str(s["stage"]), "kept" if s["kept"] else "dropped", _f(s["run"]["health"]),
                 "yes" if s["run"]["healthy"] else "no", _e(", ".join(s["run"]["codes"]) or "none"),
                 _e(", ".join(dict.fromkeys(fx["code"] for fx in s["fixes"])))] for s in d["stages"]]
        parts.append("<section><h2>Stages, each probed</h2>"
                     + _table(["stage", "decision", "health", "healthy", "runtime findings", "rules"], rows) + "</section>")
    if d["search"]["trials"]:
        rows = [[_e(", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in t["params"].items())),
                 _f(t["health"]), "yes" if t["healthy"] else "no"] for t in d["search"]["trials"]]
        parts.append(f"<section><h2>Search over the documents' ranges (study {_e(d['search']['study'])})</h2>"
                     + _table(["parameters", "health", "healthy"], rows) + "</section>")
    parts.append(f"<p class=muted>fix-report.json schema {_e(d['schema'])} · files: {_e(', '.join(d['files']))}</p>"
                 "</main></body></html>")
    return "".join(p for p in parts if p)


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _f(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def write_reports(vres, plan, out_dir: str) -> dict[str, str]:
    d = report_dict(vres, plan)
    paths = {"json": os.path.join(out_dir, "fix-report.json"), "html": os.path.join(out_dir, "fix-report.html")}
    write_all({paths["json"]: json.dumps(d, indent=1, allow_nan=False, default=str),
               paths["html"]: render_html(d)})
    return paths
