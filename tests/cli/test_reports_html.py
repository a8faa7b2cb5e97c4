"""report.html (probe) and fix-report.html (fix --verify) read at a glance: chart titles fit their charts,
log axes say so and tick at powers of ten, the fix report wears the probe report's style, shows before and
after on the same axes, lists each rule once and has no empty section. The last test opens both pages in a
real browser (headless Chromium, skipped where none is installed) and measures every chart text."""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "wgan_gp_000_broken"


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, flags=re.S)


def _title_lines(svg: str) -> list[str]:
    head = re.search(r'<text x="8" y="16" class="ct">(.*?)</text>', svg, flags=re.S)
    return re.findall(r"<tspan[^>]*>(.*?)</tspan>", head.group(1)) if head else []


# -- fix-report.html --------------------------------------------------------------------------------
def _stand_in_probe(texts, files, root, kwargs, label=""):
    """A deterministic probe for the report's sake: a hidden Sigmoid collapses the samples onto one point
    near (3, 0); without it they spread over both modes (x = -2 and +2). Lowering the learning rate helps."""
    cfg = "".join(v for k, v in texts.items() if k.endswith(".yaml"))
    sigmoid = "non_linearity: Sigmoid" in cfg
    lr_high = "learning_rate: 0.001" in cfg
    real = [[-2 + 0.1 * (i % 7), 0.1 * (i % 5)] for i in range(40)] + [[2 + 0.1 * (i % 7), 0.1 * (i % 5)] for i in range(40)]
    fake = ([[3.0, 0.0]] * 80) if sigmoid else [[(-6 if i % 2 else 6) + 0.05 * i, 0.2 * (i % 3)] for i in range(80)]
    score = 3.0 * sigmoid + 1.0 * lr_high
    return {"label": label, "score": score, "healthy": score == 0, "codes": ["GL511"] if score else [],
            "metrics": {"spread_ratio": 0.01 if sigmoid else 1.0, "mode_coverage": 0.5 if sigmoid else 1.0},
            "samples": {"real": real, "fake": fake},
            "series": {"spread_ratio": [[100, 0.01 if sigmoid else 0.9], [200, 0.01 if sigmoid else 1.0]]}}


def _fix_report(tmp_path):
    """fix --verify of stages 1-2 of the fixture with the stand-in probe: (its result, fix-report.html)."""
    from ganlint.fix import input_files
    from ganlint.fix.planner import make_plan
    from ganlint.fix.verify import VerifyOptions, verify_plan

    proj = tmp_path / "proj"
    shutil.copytree(FIXTURE, proj)
    plan = make_plan(input_files([str(proj)]))
    assert [f.code for f in plan.fixes].count("GL112") == 2  # critic's and generator's Adam: two planned fixes
    res = verify_plan(plan, upto=2, options=VerifyOptions(probe_fn=_stand_in_probe, trials=0, workers=1,
                                                          report_dir=str(tmp_path / "rep"), progress=False))
    return res, tmp_path / "rep" / "fix-report.html"


def test_fix_report_html_style_shared_axes_no_empty_section_each_rule_once(tmp_path):
    from ganlint.probe.html import CSS

    res, html_path = _fix_report(tmp_path)
    assert [kept for _, _, kept in res.stage_runs] == [True, True]
    page = html_path.read_text(encoding="utf-8")
    assert CSS in page and "<header>" in page  # the probe report's style
    # no empty section: every table has a data row, every section more than its heading; no search was run
    for table in re.findall(r"<table>.*?</table>", page, flags=re.S):
        assert table.count("<tr>") >= 2, table
    for section in re.findall(r"<section>(.*?)</section>", page, flags=re.S):
        assert re.sub(r"<h2>.*?</h2>", "", section).strip(), section
    assert "Search" not in page and "study" not in page
    applied = page.split("<h2>Applied fixes</h2>", 1)[1].split("</section>", 1)[0]
    assert applied.count("<b>GL112</b>") == 1 and applied.count("pass betas=(0.5, 0.9)") == 1
    stage2 = re.search(r"<tr><td>2</td>.*?</tr>", page).group(0)
    assert stage2.count("GL112") == 1
    # before and after on the same axes: the two scatter plots tick alike, though their own points span
    # different ranges (the collapsed "before" alone would get other ticks)
    scatters = [s for s in _svgs(page) if "real vs generated" in s]
    assert len(scatters) == 2
    ticks = [re.findall(r'class="tk" text-anchor="(?:middle|end)">([^<]+)<', s) for s in scatters]
    assert ticks[0] == ticks[1] and len(ticks[0]) >= 4
    from ganlint.probe.html import scatter

    alone = scatter(*[res.baseline.samples[k] for k in ("real", "fake")], "before")
    assert re.findall(r'class="tk" text-anchor="(?:middle|end)">([^<]+)<', alone) != ticks[0]
    d = json.loads((html_path.parent / "fix-report.json").read_text())
    assert d["baseline"]["codes"] == ["GL511"] and d["final"]["codes"] == []


# -- report.html of the probe ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def probe_page(tmp_path_factory) -> Path:
    from ganlint.probe import run_probe

    out = tmp_path_factory.mktemp("probe")
    run_probe([str(FIXTURE)], steps=160, seed=0, out_dir=str(out), early_stop=False, threads=1)
    return out / "report.html"


def test_probe_report_titles_fit_and_log_axes_are_labelled(probe_page):
    from ganlint.probe.html import TITLE_PX

    page = probe_page.read_text(encoding="utf-8")
    svgs = _svgs(page)
    assert len(svgs) >= 5
    long_titles = 0
    for svg in svgs:
        width = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
        lines = _title_lines(svg)
        assert lines, svg[:200]
        assert all(8 + len(line) * TITLE_PX <= width - 8 for line in lines), lines
        long_titles += len(lines) > 1 or sum(map(len, lines)) * TITLE_PX > width - 60
    assert long_titles  # the report has titles that overflowed a chart starting at x=54
    logs = [s for s in svgs if "log scale" in s]
    assert any("KL between real and generated" in s for s in logs)
    assert any("gradient norm by layer" in s for s in logs)
    for svg in logs:  # ticks at round values (1, 2 or 5 times a power of ten), written as such
        labels = [t for t in re.findall(r'class="tk" text-anchor="end">([^<]+)<', svg) if t != "step"]
        assert len(labels) >= 2, labels
        for t in labels:
            mantissa = float(t) / 10 ** math.floor(math.log10(float(t)))
            assert any(math.isclose(mantissa, m) for m in (1, 2, 5)), labels


def test_both_reports_in_a_real_browser(probe_page, tmp_path):
    """Chromium lays the pages out; a script measures each chart text's box against its chart."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    fix_page = _fix_report(tmp_path / "fixrun")[1]
    measure = """<script>
    const bad = [];
    for (const svg of document.querySelectorAll('svg')) {
      const w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height;
      const s = svg.getBoundingClientRect();
      for (const t of svg.querySelectorAll('text')) {
        const b = t.getBoundingClientRect();  // after transforms (the rotated axis label)
        if (b.left < s.left - 0.5 || b.top < s.top - 0.5 || b.right > s.right + 0.5 || b.bottom > s.bottom + 0.5)
          bad.push(t.textContent + ' [' + Math.round(b.left - s.left) + ',' + Math.round(b.right - s.left) + ' of ' + w + ']');
      }
    }
    document.body.setAttribute('data-outside', JSON.stringify(bad));
    document.body.setAttribute('data-svgs', document.querySelectorAll('svg').length);
    </script></body>"""
    for page in (probe_page, fix_page):
        probe = tmp_path / f"measure-{page.stem}.html"
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", measure), encoding="utf-8")
        proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000",
                               "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
                              capture_output=True, text=True, timeout=120)
        m = re.search(r"data-outside=\"([^\"]*)\"[^>]*data-svgs=\"(\d+)\"", proc.stdout)
        assert m, proc.stderr[-2000:]
        assert int(m.group(2)) >= 2
        assert json.loads(m.group(1).replace("&quot;", '"')) == [], page.name
