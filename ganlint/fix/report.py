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


def _scatter(samples: dict[str, Any], title: str, size: int = 280) -> str:
    real, fake = samples.get("real") or [], samples.get("fake") or []
    pts = [p for p in real + fake if isinstance(p, (list, tuple)) and len(p) >= 2 and all(isinstance(x, (int, float)) for x in p[:2])]
    if not pts:
        return f"<figure><svg width='{size}' height='{size}'><text x='10' y='20'>no 2-D samples</text></svg><figcaption>{html.escape(title)}</figcaption></figure>"
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (size - 20) / max(x1 - x0, 1e-9)
    sy = (size - 20) / max(y1 - y0, 1e-9)
    s = min(sx, sy)

    def dots(points, color):
        return "".join(f"<circle cx='{10 + (p[0] - x0) * s:.1f}' cy='{size - 10 - (p[1] - y0) * s:.1f}' r='1.6' fill='{color}' fill-opacity='0.5'/>"
                       for p in points if isinstance(p, (list, tuple)) and len(p) >= 2)

    return (f"<figure><svg width='{size}' height='{size}' style='border:1px solid #ccc'>{dots(real, '#1f77b4')}{dots(fake, '#111')}</svg>"
            f"<figcaption>{html.escape(title)} (blue real, black generated)</figcaption></figure>")


def _plots(d: dict[str, Any]) -> str:
    """Before/after scatter plots side by side, then one chart per measured series (before and after)."""
    before, after = d["samples"]["before"] or {}, d["samples"]["after"] or {}
    try:
        from ganlint.probe.html import line_chart, scatter
    except Exception:  # noqa: BLE001 - the probe's helpers are optional here
        line_chart = scatter = None
    if scatter is not None:
        sc = scatter(before.get("real") or [], before.get("fake") or [], "before") + \
            scatter(after.get("real") or [], after.get("fake") or [], "after")
    else:
        sc = ""
    if "<svg" not in sc:
        sc = _scatter(before, "before") + _scatter(after, "after")
    charts = ""
    if line_chart is not None:
        sb, sa = d.get("series", {}).get("before") or {}, d.get("series", {}).get("after") or {}
        for k in [k for k in sb if k in sa]:
            try:
                charts += line_chart(k, {"before": sb[k], "after": sa[k]})
            except Exception:  # noqa: BLE001
                continue
    return f'<div class="side">{sc}</div><div class="side" style="flex-wrap:wrap">{charts}</div>'


def render_html(d: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{_f(v['before'])}</td><td>{_f(v['after'])}</td></tr>"
                   for k, v in d["before_after"].items())
    stages = "".join(
        f"<tr><td>{s['stage']}</td><td>{'kept' if s['kept'] else 'dropped'}</td><td>{_f(s['run']['health'])}</td>"
        f"<td>{html.escape(', '.join(fx['code'] for fx in s['fixes']))}</td></tr>" for s in d["stages"])
    trials = "".join(f"<tr><td>{html.escape(json.dumps(t['params']))}</td><td>{_f(t['health'])}</td><td>{t['healthy']}</td></tr>"
                     for t in d["search"]["trials"])
    applied = "".join(f"<li><b>{html.escape(a['code'])}</b> (stage {a['stage']}, {html.escape(a['source'])}): {html.escape(a['message'])}</li>"
                      for a in d["applied"])
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>ganlint fix report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:3px 8px}}
.side{{display:flex;gap:2em}} .plot{{fill:#fafafa;stroke:#ccc}} .tk{{font-size:10px;fill:#555}} .ct{{font-size:13px;font-weight:bold}}
figure{{margin:0}} .lg{{margin-right:1em;font-size:12px}} .lg i{{display:inline-block;width:10px;height:10px;margin-right:4px}}</style></head><body>
<h1>ganlint fix --verify ({html.escape(str(d['family']))})</h1>
<p>{d['probe_runs']} probe run(s), CPU {d['cpu_seconds']} s. Health (lower is better): {_f(d['baseline']['health'])} before, {_f(d['final']['health'])} after.</p>
{_plots(d)}
<h2>Before / after</h2><table><tr><th>metric</th><th>before</th><th>after</th></tr>{rows}</table>
<p>Runtime codes before: {html.escape(', '.join(d['baseline']['codes']) or '-')}; after: {html.escape(', '.join(d['final']['codes']) or '-')}</p>
<h2>Stages</h2><table><tr><th>stage</th><th>decision</th><th>health</th><th>fixes</th></tr>{stages}</table>
<h2>Search</h2><table><tr><th>params</th><th>health</th><th>healthy</th></tr>{trials}</table>
<h2>Applied</h2><ul>{applied}</ul>
</body></html>"""


def _f(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def write_reports(vres, plan, out_dir: str) -> dict[str, str]:
    d = report_dict(vres, plan)
    paths = {"json": os.path.join(out_dir, "fix-report.json"), "html": os.path.join(out_dir, "fix-report.html")}
    write_all({paths["json"]: json.dumps(d, indent=1, allow_nan=False, default=str),
               paths["html"]: render_html(d)})
    return paths
