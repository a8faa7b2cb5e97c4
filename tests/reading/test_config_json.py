"""JSON reader: values and the line/column of every (nested) value."""
from __future__ import annotations

import json

import pytest

from ganlint.core.errors import InputError
from ganlint.reading.config import read_config_file


def read(text: str):
    return {s.key: s for s in read_config_file("c.json", text)}


def test_nested_lines_and_columns():
    text = '{\n  "lr": 0.001,\n  "model": {\n    "gen": {"lr": 2e-4, "hidden": [128, 128]},\n    "nn_disc": "[32,128]"\n  },\n  "batch_size": 32\n}\n'
    s = read(text)
    assert (s["lr"].location.line, s["lr"].location.column, s["lr"].location.end_column) == (2, 9, 14)
    g = s["model.gen.lr"]
    assert g.value == 2e-4 and g.location.line == 4 and g.role == "generator" and g.raw == "2e-4"
    assert text.splitlines()[3][g.location.column - 1:g.location.end_column - 1] == "2e-4"
    assert s["model.gen.hidden"].value == [128, 128] and s["model.gen.hidden"].location.line == 4
    d = s["model.nn_disc"]
    assert d.value == [32, 128] and d.value_style == "string-list" and d.raw == '"[32,128]"'
    assert s["batch_size"].value == 32 and s["batch_size"].location.line == 7


def test_same_leaf_in_two_objects_gets_its_own_line():
    text = '{"g": {"lr": 1},\n "d": {"lr": 2}}'
    s = read(text)
    assert s["g.lr"].location.line == 1 and s["d.lr"].location.line == 2


def test_arrays_of_objects_and_escapes():
    text = '{"opt": [{"lr": 1e-3}, {"lr": 0.1}], "name": "a\\"b{", "x": [1, [2, 3]], "t": true, "n": null}'
    s = read(text)
    assert s["opt.0.lr"].value == 1e-3 and s["opt.1.lr"].value == 0.1
    assert s["name"].value == 'a"b{'
    assert s["x"].value == [1, [2, 3]]
    assert s["t"].value is True and s["n"].value is None


def test_numeric_strings():
    s = read('{"lr": "1e-3", "bs": "64"}')
    assert s["lr"].value == 0.001 and s["bs"].value == 64


def test_matches_json_loads_on_a_real_config():
    text = open("fixtures/gan_002_broken/config.json").read()
    data = json.loads(text)
    s = read(text)
    assert s["lr"].value == data["lr"] and s["data.means"].value == data["data"]["means"]
    assert s["lr"].location.line == 5


@pytest.mark.parametrize("text,line", [('{"a": 1,\n"b": }', 2), ('{"a": 1', 1), ("{'a': 1}", 1), ('{"a": 1}\n{"b": 2}', 2)])
def test_malformed(text, line):
    with pytest.raises(InputError) as err:
        read_config_file("bad.json", text)
    assert err.value.line == line and "\n" not in str(err.value)


def test_deep_nesting_is_an_input_error():
    with pytest.raises(InputError):
        read_config_file("deep.json", "[" * 100000 + "]" * 100000)


def test_empty_file():
    assert read_config_file("e.json", "") == []
    assert read_config_file("e.json", "[1, 2]") == []
