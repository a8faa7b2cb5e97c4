"""One run reads each file once: the probe's builder uses the texts its settings reader read."""
from __future__ import annotations

import builtins
import glob
from pathlib import Path

import pytest

pytest.importorskip("torch")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_builder_reads_no_file_the_settings_reader_read(monkeypatch):
    import ganlint.reading.project as project
    from ganlint.probe.builder import build, model_files_in
    from ganlint.probe.settings import read_settings

    files = sorted(glob.glob(str(FIXTURES / "wgan_gp_000_broken" / "*")))
    reads: dict[str, int] = {}
    real_read, real_open = project.read_text, builtins.open

    def counting_read(path):
        reads[path] = reads.get(path, 0) + 1
        return real_read(path)

    def counting_open(path, *a, **k):
        if str(path) in files:
            reads[str(path)] = reads.get(str(path), 0) + 1
        return real_open(path, *a, **k)

    monkeypatch.setattr(project, "read_text", counting_read)
    ps = read_settings(files)
    monkeypatch.setattr(builtins, "open", counting_open)
    built = build(model_files_in(files, ps.facts.texts), ps, data_dim=2)
    assert set(built.networks) == {"generator", "critic"}
    model_files = [f for f in files if f.endswith(".py")]
    assert model_files and all(reads.get(f) == 1 for f in model_files), reads
