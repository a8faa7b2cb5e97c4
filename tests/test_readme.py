"""The README's rule table is generated from the rules; CI runs the README's test command."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import update_readme_table as updater  # noqa: E402


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_rule_table_is_current():
    text = _readme()
    assert updater.START in text and updater.END in text
    current = text.split(updater.START, 1)[1].split(updater.END, 1)[0].strip()
    assert current == updater.table().strip(), "README rule table is stale: run python scripts/update_readme_table.py"


def test_rule_table_lists_every_rule_once():
    from ganlint.checking.registry import all_rules

    text = _readme().split(updater.START, 1)[1].split(updater.END, 1)[0]
    rows = re.findall(r"^\| (GL\d{3}) \| `([a-z0-9-]+)` \|", text, flags=re.M)
    assert [c for c, _ in rows] == [r.code for r in all_rules()]
    assert dict(rows) == {r.code: r.slug for r in all_rules()}


def test_updater_check_mode_detects_a_stale_table(tmp_path):
    stale = _readme().replace(updater.END, "| GL000 | `stale` | info | check | x |  | x |\n" + updater.END, 1)
    path = tmp_path / "README.md"
    path.write_text(stale, encoding="utf-8")
    script = ROOT / "scripts" / "update_readme_table.py"
    proc = subprocess.run([sys.executable, str(script), "--check", "--readme", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "stale" in proc.stderr
    proc = subprocess.run([sys.executable, str(script), "--readme", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0
    assert path.read_text(encoding="utf-8") == _readme().split(updater.START)[0] + updater.START + "\n" + \
        updater.table() + updater.END + _readme().split(updater.END, 1)[1]


def _fenced_command_lines(text: str) -> list[str]:
    """The command lines of the README's fenced blocks, in order (first line of each bash block)."""
    lines = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S):
        if lang in ("bash", "sh", "shell", "console"):
            cmd = [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
            if cmd:
                lines.append(cmd[0].lstrip("$ ").strip())
    return lines


def test_ci_runs_the_readmes_test_command():
    commands = _fenced_command_lines(_readme())
    assert len(commands) >= 2, commands
    test_cmd = commands[1]
    assert "pytest" in test_cmd, f"the README's second command should run the tests: {test_cmd}"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert test_cmd in ci_lines, f".ci/run does not run the README's test command {test_cmd!r}"
