"""report.html: one self-contained page (inline SVG plots drawn here, no matplotlib, no scripts)."""
from __future__ import annotations

import html
import math
from typing import Any

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f", "#854d0e", "#475569"]
SEV_COLOR = {"error": "#dc2626", "warning": "#d97706", "info": "#2563eb"}


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e4):
        return f"{v:.1e}"
    return f"{v:.3g}"


def _downsample(pts: list, n: int = 300) -> list:
    pts = [(s, v) for s, v in pts if v is not None and isinstance(v, (int, float)) and math.isfinite(v)]
    if len(pts) <= n:
        return pts
    size = len(pts) / n
    out = []
    for i in range(n):
        chunk = pts[int(i * size): int((i + 1) * size)]
        if chunk:
            out.append((sum(s for s, _ in chunk) / len(chunk), sum(v for _, v in chunk) / len(chunk)))
    return out


TITLE_PX = 7.6  # mean advance of a 13 px bold sans-serif character: what a title line may hold


def _title(title: str, width: int) -> tuple[str, int]:
    """The chart title as SVG text, wrapped to the chart's width (a long title would be cut off at the
    edge); the height it takes."""
    per_line = max(12, int((width - 16) / TITLE_PX))
    lines: list[str] = []
    for word in title.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    tspans = "".join(f'<tspan x="8" dy="{0 if i == 0 else 16}">{_e(t)}</tspan>' for i, t in enumerate(lines or [""]))
    return f'<text x="8" y="16" class="ct">{tspans}</text>', 16 * max(1, len(lines)) + 12


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) inside [lo, hi], about n of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    digits = max(0, -math.floor(math.log10(step))) + 1
    first = math.ceil(lo / step - 1e-9)
    return [round(k * step, digits) + 0.0 for k in range(first, math.floor(hi / step + 1e-9) + 1)]


def _decade(k: float) -> str:
    """A power of ten as a tick label: 0.01 ... 1000 written out, beyond that 1e-5, 1e6."""
    k = int(round(k))
    return f"{10.0 ** k:g}" if -2 <= k <= 3 else f"1e{k}"


def _log_ticks(y0: float, y1: float) -> list[float]:
    """Tick positions (log10 values) of a log axis: the powers of ten inside it when there are at least two,
    else 1, 2 and 5 times them, else five evenly spaced values."""
    decades = [float(k) for k in range(math.ceil(y0), math.floor(y1) + 1)]
    if len(decades) >= 2:
        step = max(1, math.ceil(len(decades) / 6))
        return decades[::step]
    steps = [k + math.log10(m) for k in range(math.floor(y0), math.ceil(y1) + 1) for m in (1, 2, 5)]
    steps = [v for v in steps if y0 <= v <= y1]
    if len(steps) >= 3:
        return steps
    return [y0 + (y1 - y0) * i / 4 for i in range(5)]


def threshold_lines(chart: str) -> list[tuple[float, str]]:
    """(default threshold, "codes value") of the runtime rules that draw a line on `chart` (their chart_line)."""
    from ganlint.probe.detectors import runtime_rules

    by_value: dict[tuple[float, str], list[str]] = {}
    for rule in runtime_rules():
        if rule.chart_line and rule.chart_line[0] == chart:
            _, option, word = rule.chart_line
            by_value.setdefault((float(rule.options[option]), word), []).append(rule.code)
    return [(v, f"{'/'.join(codes)} {word}{v:g}") for (v, word), codes in by_value.items()]


def line_chart(title: str, series: dict[str, list], *, log: bool = False, hlines: list[tuple[float, str]] | None = None,
               width: int = 470, height: int = 230, ylabel: str = "") -> str:
    """Lines over training steps. `log`: a log10 value axis, so labelled, with ticks at powers of ten."""
    data = {k: _downsample(v) for k, v in series.items()}
    data = {k: v for k, v in data.items() if v}
    if not data:
        return ""
    if log:
        data = {k: [(s, math.log10(v)) for s, v in pts if v > 0] for k, pts in data.items()}
        data = {k: v for k, v in data.items() if v}
        if not data:
            return ""
    xs = [s for pts in data.values() for s, _ in pts]
    ys = [v for pts in data.values() for _, v in pts]
    for y, _ in hlines or []:
        if not log or y > 0:
            ys.append(math.log10(y) if log else y)
    x0, x1 = min(xs), max(xs) or 1
    y0, y1 = min(ys), max(ys)
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = 0.06 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad
    head, T = _title(title, width)
    ylabel = ylabel or ("log scale" if log else "")
    L, R, B = 54 + (14 if ylabel else 0), 12, 30
    height += T - 26  # a wrapped title takes room from above, not from the plot
    W, H = width - L - R, height - T - B

    def X(s):
        return L + (s - x0) / ((x1 - x0) or 1) * W

    def Y(v):
        return T + (1 - (v - y0) / (y1 - y0)) * H

    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
           head, f'<rect x="{L}" y="{T}" width="{W}" height="{H}" class="plot"/>']
    if ylabel:
        out.append(f'<text transform="translate(12,{T + H / 2:.1f}) rotate(-90)" class="tk" text-anchor="middle">{_e(ylabel)}</text>')
    for v in (_log_ticks(y0, y1) if log else nice_ticks(y0, y1)):
        y = Y(v)
        lab = (_decade(v) if float(v).is_integer() else _fmt(10 ** v)) if log else _fmt(v)
        out.append(f'<line x1="{L}" x2="{L + W}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{L - 5}" y="{y + 3:.1f}" class="tk" text-anchor="end">{lab}</text>')
    for s in nice_ticks(x0, x1):
        out.append(f'<text x="{X(s):.1f}" y="{T + H + 16}" class="tk" text-anchor="middle">{s:g}</text>')
    out.append(f'<text x="{L + W}" y="{height - 2}" class="tk" text-anchor="end">step</text>')
    for y, label in hlines or []:
        if log and y <= 0:
            continue
        yy = Y(math.log10(y) if log else y)
        if T <= yy <= T + H:
            out.append(f'<line x1="{L}" x2="{L + W}" y1="{yy:.1f}" y2="{yy:.1f}" class="thr"/>'
                       f'<text x="{L + W - 3}" y="{yy - 3:.1f}" class="tk thrt" text-anchor="end">{_e(label)}</text>')
    legend = []
    for i, (name, pts) in enumerate(data.items()):
        c = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{X(s):.1f},{Y(v):.1f}" for j, (s, v) in enumerate(pts))
        out.append(f'<path d="{path}" fill="none" stroke="{c}" stroke-width="1.6"><title>{_e(name)}</title></path>')
        if len(pts) == 1:
            out.append(f'<circle cx="{X(pts[0][0]):.1f}" cy="{Y(pts[0][1]):.1f}" r="3" fill="{c}"/>')
        legend.append(f'<span class="lg"><i style="background:{c}"></i>{_e(name)}</span>')
    out.append("</svg>")
    return f'<figure class="chart">{"".join(out)}<figcaption>{"".join(legend[:12])}</figcaption></figure>'


def scatter(real: list, fake: list, title: str, width: int = 470, height: int = 380,
            bounds: tuple[float, float, float, float] | None = None) -> str:
    """Real and generated 2-D samples. `bounds` (x0, x1, y0, y1): the axes to use, so that two plots (before
    and after a fix) can be compared point for point; default: these points' own."""
    pts = [p for p in real + fake if len(p) >= 2 and all(math.isfinite(c) for c in p[:2])]
    if not pts:
        return ""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = bounds or (min(xs), max(xs), min(ys), max(ys))
    span = max(x1 - x0, y1 - y0, 1e-6) * 1.08
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    head, T = _title(title, width)
    L, S = 40, min(width - 60 - 50, height - T - 24)
    height = T + S + 24

    def X(v):
        return L + (v - (cx - span / 2)) / span * S

    def Y(v):
        return T + (1 - (v - (cy - span / 2)) / span) * S

    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
           head, f'<rect x="{L}" y="{T}" width="{S}" height="{S}" class="plot"/>']
    for v in nice_ticks(cx - span / 2, cx + span / 2):
        out.append(f'<text x="{X(v):.1f}" y="{T + S + 14}" class="tk" text-anchor="middle">{_fmt(v)}</text>')
    for w in nice_ticks(cy - span / 2, cy + span / 2):
        out.append(f'<text x="{L - 4}" y="{Y(w) + 3:.1f}" class="tk" text-anchor="end">{_fmt(w)}</text>')
    for p in real:
        if len(p) >= 2 and all(math.isfinite(c) for c in p[:2]):
            out.append(f'<circle cx="{X(p[0]):.1f}" cy="{Y(p[1]):.1f}" r="2.2" fill="#2563eb" fill-opacity=".35"/>')
    for p in fake:
        if len(p) >= 2 and all(math.isfinite(c) for c in p[:2]):
            out.append(f'<circle cx="{X(p[0]):.1f}" cy="{Y(p[1]):.1f}" r="2.2" fill="#dc2626" fill-opacity=".75"/>')
    lx = L + S + 10
    out.append(f'<circle cx="{lx}" cy="{T + 8}" r="4" fill="#2563eb" fill-opacity=".5"/><text x="{lx + 8}" y="{T + 12}" class="tk">real</text>'
               f'<circle cx="{lx}" cy="{T + 26}" r="4" fill="#dc2626"/><text x="{lx + 8}" y="{T + 30}" class="tk">generated</text>')
    out.append("</svg>")
    return f'<figure class="chart">{"".join(out)}</figure>'


def _args(info: dict) -> str:
    return ', '.join(f"{k}={a.get('value')}" for k, a in info.get('args', {}).items())


def _pick(series: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in series.items() if k.startswith(prefix)}


CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#111827}
header{padding:22px 32px;background:#111827;color:#f9fafb}
header h1{margin:0 0 4px;font-size:22px} header .sub{color:#cbd5e1}
.badge{display:inline-block;padding:3px 10px;border-radius:999px;font-weight:600;margin-right:8px}
.ok{background:#16a34a;color:#fff}.bad{background:#dc2626;color:#fff}.warn{background:#d97706;color:#fff}
main{padding:20px 32px;max-width:1500px}
section{margin:0 0 26px} h2{font-size:17px;margin:0 0 10px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.kpis{display:flex;flex-wrap:wrap;gap:10px}.kpi{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 14px;min-width:120px}
.kpi b{display:block;font-size:20px}.kpi span{color:#6b7280;font-size:12px}
.card{background:#fff;border:1px solid #e5e7eb;border-left:5px solid #999;border-radius:6px;padding:10px 14px;margin:0 0 10px}
.card h3{margin:0 0 4px;font-size:15px}.card .loc{color:#6b7280;font-family:ui-monospace,monospace;font-size:12px}
.ev{font-family:ui-monospace,monospace;font-size:12px;color:#374151;margin-top:6px;white-space:pre-wrap}
.grid2{display:flex;flex-wrap:wrap;gap:14px}.chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:0;padding:6px}
figcaption{font-size:12px;padding:0 8px 4px}.lg{margin-right:10px;white-space:nowrap}.lg i{display:inline-block;width:10px;height:3px;margin:0 4px 3px 0;vertical-align:middle}
svg .ct{font-weight:600;font-size:13px;fill:#111827}svg .tk{font-size:10px;fill:#6b7280}svg .plot{fill:#fcfcfd;stroke:#e5e7eb}
svg .grid{stroke:#eef0f3}svg .thr{stroke:#dc2626;stroke-dasharray:4 3}svg .thrt{fill:#dc2626}
table{border-collapse:collapse;background:#fff;font-size:13px}td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}.muted{color:#6b7280}
"""


def render_html(report) -> str:
    m = report.metrics
    from ganlint.probe.health import health_score

    score = health_score(report)
    errs = [f for f in report.findings if str(f.severity) == "error"]
    badge = ('<span class="badge ok">healthy</span>' if not report.findings else
             f'<span class="badge {"bad" if errs else "warn"}">{len(report.findings)} runtime problem(s)</span>')
    title = f"ganlint probe — {report.family or '?'}"
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{CSS}</style></head><body>"]
    parts.append(f"<header><h1>{badge}{_e(title)}</h1><div class=sub>{int(m.get('steps_run', 0))}/{report.steps_requested} steps "
                 f"· {report.stopped} · {_e(report.device)}{f' · {report.threads} thread(s)' if report.threads else ''} · seed {report.seed} "
                 f"· data {_e(report.data.get('name', '?'))} · {m.get('seconds', 0):.1f} s · health score {score:.2f} (lower is healthier)</div></header><main>")
    # KPIs
    kpis = [("mode_coverage", "mode coverage", lambda v: f"{v:.0%}"), ("precision", "on a real mode", lambda v: f"{v:.0%}"), ("spread_ratio", "spread gen/real", lambda v: f"{v:.2f}"),
            ("kl_real_fake", "KL(real‖gen)", _fmt), ("kl_fake_real", "KL(gen‖real)", _fmt), ("mmd", "MMD", _fmt),
            ("kl_final", "KL term", _fmt), ("kl_oscillation", "KL oscillation", _fmt), ("kl_trend", "KL trend /1k", _fmt),
            ("energy_gap", "energy gap", _fmt), ("infonce_accuracy", "InfoNCE acc.", _fmt),
            ("head_saturation", "head saturation", lambda v: f"{v:.0%}"), ("max_saturation", "max saturation", lambda v: f"{v:.0%}"),
            ("verdict_seconds", "first verdict (s)", _fmt)]
    cells = [f"<div class=kpi><b>{f(m[k])}</b><span>{lab}</span></div>" for k, lab, f in kpis
             if isinstance(m.get(k), (int, float)) and math.isfinite(m[k])]
    if cells:
        parts.append(f"<section><div class=kpis>{''.join(cells)}</div></section>")
    # findings
    parts.append("<section><h2>Findings</h2>")
    if not report.findings:
        parts.append("<p class=muted>No runtime problem measured in this run.</p>")
    for f in report.findings:
        sev = str(f.severity)
        ev = {k: v for k, v in f.evidence.items() if k not in ("per_mode", "events")}
        ev_txt = "\n".join(f"{k}: {v}" for k, v in ev.items())
        parts.append(f"<div class=card style='border-left-color:{SEV_COLOR.get(sev, '#999')}'><h3>{_e(f.code)} {_e(f.slug)} "
                     f"<span class=muted>({sev})</span></h3><div>{_e(f.message)}</div><div class=loc>{_e(f.location)}</div>"
                     f"<div class=ev>{_e(ev_txt)}</div></div>")
    st = [s for s in report.static if s.get("status") in ("confirmed", "not harmful here")]
    if st:
        parts.append("<p>" + " · ".join(f"static <b>{_e(s['code'])}</b>: {_e(s['status'])}"
                                       + (f" by {_e(', '.join(s.get('by', [])))}" if s.get("by") else "") for s in st) + "</p>")
    for n in report.notes:
        parts.append(f"<p class=muted>note: {_e(n)}</p>")
    for e in report.errors:
        parts.append(f"<p style='color:#dc2626'>error: {_e(e)}</p>")
    parts.append("</section>")
    # plots
    s = report.series
    charts = []
    smp = report.samples or {}
    if smp.get("real") and smp.get("fake") and len(smp["real"][0]) == 2:
        charts.append(scatter(smp["real"], smp["fake"], f"real vs generated (step {smp.get('step')})"))
    losses = {k: v for k, v in s.items() if k in ("loss_d", "loss_g", "loss", "recon")}
    charts.append(line_chart("losses", losses))
    samp = {k: v for k, v in s.items() if k in ("spread_ratio", "mode_coverage", "precision")}
    charts.append(line_chart("generated vs real: spread ratio, mode coverage, precision", samp, hlines=[*threshold_lines("samples"), (1.0, "")]))
    charts.append(line_chart("KL between real and generated (KDE)", {k: v for k, v in s.items() if k in ("kl_real_fake", "kl_fake_real")}, log=True))
    charts.append(line_chart("critic outputs / penalty norm", {k: v for k, v in s.items() if k in ("d_real", "d_fake", "gp_norm", "wasserstein")},
                             hlines=[(1.0, "‖∇D‖=1")] if "gp_norm" in s else None))
    for role in ("generator", "critic", "vae", "encoder", "energy"):
        layers = _pick(s, f"grad/{role}/")
        if layers:
            charts.append(line_chart(f"gradient norm by layer — {role}", layers, log=True))
    sat = {**{f"{k} (sat)": v for k, v in _pick(s, "sat/").items()}, **{f"{k} (head)": v for k, v in _pick(s, "head/").items()}}
    if sat:
        charts.append(line_chart("saturation: share of sigmoid/tanh inputs beyond ±5", sat, hlines=threshold_lines("saturation")))
    dead = _pick(s, "dead/")
    if dead:
        charts.append(line_chart("dead ReLU outputs (share of zeros)", dead, hlines=threshold_lines("dead")))
    if "kl" in s:
        charts.append(line_chart("VAE KL term", {"kl": s["kl"]}))
        charts.append(line_chart("VAE active units / log-variance", {k: v for k, v in s.items() if k in ("active_units", "log_var_min", "log_var_max")}))
    if "energy_gap" in s:
        charts.append(line_chart("energies: positive vs negative", {k: v for k, v in s.items() if k in ("e_pos", "e_neg", "energy_gap")},
                                 hlines=threshold_lines("energies")))
        charts.append(line_chart("in-batch InfoNCE accuracy", {k: v for k, v in s.items() if k in ("infonce_accuracy", "infonce_chance")}))
    parts.append(f"<section><h2>Measurements</h2><div class=grid2>{''.join(c for c in charts if c)}</div></section>")
    per_mode = (smp.get("stats") or {}).get("per_mode") or []
    if per_mode:
        prow = "".join(
            f"<tr><td>{p['mode']}</td><td>{p['real_share']:.0%}</td><td>{p['share']:.0%}</td><td>{_fmt(p['real_spread'])}</td>"
            f"<td>{_fmt(p['fake_spread']) if p.get('fake_spread') is not None else '–'}</td>"
            f"<td>{_fmt(p['spread_ratio']) if p.get('spread_ratio') is not None else '–'}</td>"
            f"<td>{'yes' if p['covered'] else '<b style=color:#dc2626>no</b>'}</td></tr>" for p in per_mode)
        parts.append("<section><h2>Modes of the real data (last evaluation)</h2><table><tr><th>mode</th><th>real share</th>"
                     "<th>generated share</th><th>real spread</th><th>generated spread</th><th>ratio</th><th>covered</th></tr>"
                     f"{prow}</table></section>")
    # tables
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v.get('value') if isinstance(v, dict) else v)}</td>"
                   f"<td class=muted>{_e(v.get('from') if isinstance(v, dict) else '')}</td></tr>" for k, v in report.settings.items())
    parts.append(f"<section class=grid2><div><h2>Hyperparameters used</h2><table><tr><th>name</th><th>value</th><th>from</th></tr>{rows}</table></div>")
    nrows = "".join(f"<tr><td>{_e(r)}</td><td>{_e(i.get('class'))}</td><td>{_e(i.get('parameters'))}</td><td>{_e(i.get('built_by'))}</td>"
                    f"<td class=muted>{_e(_args(i))}</td></tr>"
                    for r, i in report.networks.items())
    parts.append(f"<div><h2>Networks</h2><table><tr><th>role</th><th>class</th><th>parameters</th><th>built by</th><th>arguments</th></tr>{nrows}</table>")
    drows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in report.data.items())
    parts.append(f"<h2 style='margin-top:16px'>Data</h2><table>{drows}</table></div></section>")
    parts.append(f"<p class=muted>report.json schema {_e('ganlint-probe/1')} · files: {_e(', '.join(report.files))}</p></main></body></html>")
    return "".join(parts)
