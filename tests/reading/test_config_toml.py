"""TOML reader: tables, dotted keys, inline tables, arrays of tables, multi-line values."""
from __future__ import annotations

import pytest

from ganlint.core.errors import InputError
from ganlint.reading.config import read_config_file


def read(text: str):
    return {s.key: s for s in read_config_file("c.toml", text)}


def test_tables_and_roles():
    text = "# top\nseed = 1\n[energy]\nenergy_learning_rate = 1e-3  # comment\ntemperature = 0.5\n\n[train]\nsteps = 20000\n"
    s = read(text)
    lr = s["energy.energy_learning_rate"]
    assert lr.value == 1e-3 and lr.location.line == 4 and lr.location.column == 24 and lr.raw == "1e-3"
    assert lr.canonical == "learning_rate" and lr.role == "energy"
    assert s["energy.temperature"].role == "energy" and s["energy.temperature"].location.line == 5
    assert s["train.steps"].value == 20000 and s["train.steps"].location.line == 8
    assert s["seed"].location.line == 2


def test_same_key_in_two_tables():
    s = read("[generator]\nlr = 1e-4\n[critic]\nlr = 4e-4\n")
    assert s["generator.lr"].location.line == 2 and s["generator.lr"].role == "generator"
    assert s["critic.lr"].location.line == 4 and s["critic.lr"].role == "critic"


def test_dotted_and_quoted_keys_and_inline_tables():
    text = 'gen.lr = 1e-4\n"disc".lr = 2e-4\nopt = { lr = 3e-4, betas = [0.5, 0.9] }\n[a."b.c"]\nx = 1\n'
    s = read(text)
    assert s["gen.lr"].location.line == 1 and s["gen.lr"].role == "generator"
    assert s["disc.lr"].location.line == 2
    assert s["opt.lr"].value == 3e-4 and s["opt.lr"].location.line == 3 and s["opt.lr"].raw == "3e-4"
    assert s["opt.betas"].value == [0.5, 0.9] and s["opt.betas"].raw == "[0.5, 0.9]"
    assert s["a.b.c.x"].location.line == 5


def test_arrays_of_tables_and_multiline_values():
    text = (
        'note = """\nlr = 5\n"""\n'
        "hidden = [\n  256,  # first\n  256,\n]\n"
        "[[layers]]\nunits = 64\n[[layers]]\nunits = 32\n"
    )
    s = read(text)
    assert s["note"].location.line == 1
    assert s["hidden"].value == [256, 256] and s["hidden"].location.line == 4 and s["hidden"].location.end_line == 7
    assert s["layers.0.units"].value == 64 and s["layers.0.units"].location.line == 9
    assert s["layers.1.units"].value == 32 and s["layers.1.units"].location.line == 11


def test_string_lists_and_numeric_strings():
    s = read('nn_gen = "[256,256]"\nlr = "1e-3"\n')
    assert s["nn_gen"].value == [256, 256] and s["nn_gen"].value_style == "string-list"
    assert s["lr"].value == 0.001


@pytest.mark.parametrize("text,line", [("a = \n", 1), ("[x]\ny = [1,\n", 2), ("a = 1\na = 2\n", 2), ("k = 'x\n", 1)])
def test_malformed(text, line):
    with pytest.raises(InputError) as err:
        read_config_file("bad.toml", text)
    assert err.value.line == line and "\n" not in str(err.value)


def test_pyproject_keeps_only_training_settings():
    text = '[project]\nname = "x"\n[tool.ganlint.rules.GL106]\nmin_batch = 32\n[tool.train]\nbatch_size = 16\n'
    keys = [s.key for s in read_config_file("pyproject.toml", text)]
    assert keys == ["tool.train.batch_size"]
