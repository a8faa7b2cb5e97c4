"""Fuzzing the config readers (hypothesis).

1. Arbitrary text (and bytes decoded as the CLI would) into every reader raises nothing but InputError.
2. Generated nested dicts dumped to YAML / JSON / TOML / Python come back with the right values, and each
   value's location spans exactly its source text, on the line of its key.
Bounded (max_examples, no deadline) so the suite stays fast.
"""
from __future__ import annotations

import ast
import json
import os
import string
import tomllib
import warnings

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ganlint.core.errors import InputError
from ganlint.reading.config import read_config_file, read_python_settings
from ganlint.reading.config.values import LineIndex

# GANLINT_FUZZ_EXAMPLES=5000 for a long local run; the suite keeps it small.
_N = int(os.environ.get("GANLINT_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=_N, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND = settings(max_examples=max(1, _N * 3 // 5), deadline=None, suppress_health_check=[HealthCheck.too_slow])

YAML_ALPHABET = "ab:-,[]{}&*!|>'\"%@`#?\n \t01.e\\<=~"
TOML_ALPHABET = "ab=.[]{},\"'#\n \t01.e-:+_tf\\TZ"
JSON_ALPHABET = '{}[]:,"ab01.e-+ \ntrufalsn\\'
PY_ALPHABET = "abc[]{}()=:,.'\"\n 01e-+*/_\\#@"


def only_input_errors(name: str, text: str) -> None:
    try:
        settings_ = read_config_file(name, text)
    except InputError as exc:
        assert exc.file == name
        assert "\n" not in str(exc)
        return
    assert isinstance(settings_, list)


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet=YAML_ALPHABET, max_size=200)))
def test_yaml_garbage(text):
    only_input_errors("f.yaml", text)


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet=TOML_ALPHABET, max_size=200)))
def test_toml_garbage(text):
    only_input_errors("f.toml", text)


@FUZZ
@given(st.one_of(st.text(), st.text(alphabet=JSON_ALPHABET, max_size=200)))
def test_json_garbage(text):
    only_input_errors("f.json", text)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["f.yaml", "f.json", "f.toml"]))
def test_bytes_decoded_leniently(data, name):
    only_input_errors(name, data.decode("utf-8", "replace"))


@FUZZ
@given(st.text(alphabet=PY_ALPHABET, max_size=200))
def test_python_garbage(text):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    try:
        out = read_python_settings("f.py", tree, text)
    except InputError:
        return
    assert isinstance(out, list)


# -- round trips ---------------------------------------------------------------------------------
KEYS = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8).filter(
    lambda k: k not in ("defaults",) and not k.startswith("_")
)
WORDS = st.text(alphabet=string.ascii_letters + " _-", max_size=12)
NUMBERS = st.one_of(st.integers(-(10**9), 10**9), st.floats(allow_nan=False, allow_infinity=False))
SCALARS = st.one_of(NUMBERS, st.booleans(), WORDS)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4))
TREES = st.dictionaries(
    KEYS, st.recursive(VALUES, lambda inner: st.dictionaries(KEYS, inner, min_size=1, max_size=4), max_leaves=12),
    min_size=1, max_size=6,
)


def flatten(tree: dict, prefix: tuple = ()) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(flatten(v, (*prefix, k)))
        else:
            out[".".join((*prefix, k))] = v
    return out


def same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip() if a.strip() != a or b.strip() != b else a == b
    return a == b and type(a) is type(b) or (isinstance(a, float) and isinstance(b, float) and a == b)


def check_round_trip(name: str, text: str, tree: dict, key_marker) -> None:
    settings_ = read_config_file(name, text)
    expected = flatten(tree)
    got = {s.key: s for s in settings_}
    assert set(got) == set(expected), (text, sorted(got), sorted(expected))
    index = LineIndex(text)
    lines = text.splitlines()
    for key, s in got.items():
        want = expected[key]
        if isinstance(want, str) and want.strip() != want:
            want = s.value  # YAML folds surrounding blanks of plain scalars; not a reader property
        assert same(s.value, want), (key, s.value, want, text)
        loc = s.location
        span = text[index.offset(loc.line, loc.column):index.offset(loc.end_line, loc.end_column)]
        assert span == s.raw and span.strip(), (key, span, s.raw)
        leaf = key.rsplit(".", 1)[-1]
        # the key is on the value's line (or, for a YAML block sequence, on the line above it)
        near = lines[loc.line - 1] + (lines[loc.line - 2] if loc.line >= 2 and isinstance(s.value, list) else "")
        assert key_marker(leaf) in near, (key, loc, lines[loc.line - 1])


@ROUND
@given(TREES, st.sampled_from([None, True, False]))
def test_yaml_round_trip(tree, flow):
    text = yaml.safe_dump(tree, default_flow_style=flow, sort_keys=False, width=10**6)
    check_round_trip("r.yaml", text, tree, lambda leaf: leaf)  # keys may be quoted ('null': 0)


@ROUND
@given(TREES, st.sampled_from([2, None]))
def test_json_round_trip(tree, indent):
    text = json.dumps(tree, indent=indent)
    check_round_trip("r.json", text, tree, lambda leaf: f'"{leaf}":')


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    return "[" + ", ".join(_toml_value(x) for x in v) + "]"


def _inline(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_inline(x)}" for k, x in v.items()) + "}"
    return _toml_value(v)


def dump_toml(tree: dict, inline_depth: int = 99) -> str:
    """Tables down to `inline_depth`, inline tables below it."""
    lines: list[str] = []

    def emit(table: dict, prefix: list[str]) -> None:
        if prefix:
            lines.append("[" + ".".join(prefix) + "]")
        for k, v in table.items():
            if not isinstance(v, dict):
                lines.append(f"{k} = {_toml_value(v)}")
            elif len(prefix) >= inline_depth:
                lines.append(f"{k} = {_inline(v)}")
        for k, v in table.items():
            if isinstance(v, dict) and len(prefix) < inline_depth:
                emit(v, [*prefix, k])

    emit(tree, [])
    return "\n".join(lines) + "\n"


@ROUND
@given(TREES, st.sampled_from([0, 1, 99]))
def test_toml_round_trip(tree, inline_depth):
    text = dump_toml(tree, inline_depth)
    assert tomllib.loads(text) == tree
    check_round_trip("r.toml", text, tree, lambda leaf: f"{leaf} =")


@ROUND
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=8), st.sampled_from(["subscript", "literal", "argparse"]))
def test_python_round_trip(flat, form):
    if form == "subscript":
        lines = ["config = {}"] + [f"config[{k!r}] = {v!r}" for k, v in flat.items()]
    elif form == "literal":
        lines = ["config = {"] + [f"    {k!r}: {v!r}," for k, v in flat.items()] + ["}"]
    else:
        lines = ["import argparse", "p = argparse.ArgumentParser()"] + [
            f"p.add_argument('--{k}', default={v!r})" for k, v in flat.items()
        ]
    text = "\n".join(lines) + "\n"
    got = {s.key: s for s in read_python_settings("r.py", ast.parse(text), text)}
    assert set(got) == set(flat)
    index = LineIndex(text)
    for k, s in got.items():
        assert same(s.value, flat[k]), (k, s.value, flat[k])
        loc = s.location
        assert repr(k) in lines[loc.line - 1] or f"--{k}" in lines[loc.line - 1]
        assert text[index.offset(loc.line, loc.column):index.offset(loc.end_line, loc.end_column)] == s.raw


# -- numbers beyond use and size/depth budgets (issue 11) ------------------------------------------
_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=6000)
NUMBER_TEXTS = st.one_of(
    _DIGITS, _DIGITS.map(lambda d: "-" + d), _DIGITS.map(lambda d: "0x" + d),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(1, 9), st.integers(-400, 400)),
    st.builds(lambda m, e: f"{m}.5e+{e}", st.integers(1, 9), st.integers(300, 999)),
    st.sampled_from([".inf", "-.inf", ".nan", "inf", "nan", "Infinity", "NaN", "1_000", "0b101", "1e309"]),
)
FORMATS = {
    "f.yaml": lambda key, num: f"{key}: {num}\nnn_gen: [{num}, 2]\n",
    "f.toml": lambda key, num: f"{key} = {num}\nnn_gen = [{num}, 2]\n",
    "f.json": lambda key, num: f'{{"{key}": {num}, "nn_gen": [{num}, 2]}}\n',
    "f.py": lambda key, num: f"{key} = {num}\nnn_gen = [{num}, 2]\n",
}


@FUZZ
@given(st.sampled_from(sorted(FORMATS)), st.sampled_from(["lr", "batch_size", "tau", "n_critic"]), NUMBER_TEXTS)
def test_every_number_read_is_usable_or_an_error_at_its_line(name, key, num):
    """A value that reaches the rules fits a float (or is an infinity/nan written as one); anything else is
    an InputError on line 1 or 2, never OverflowError/ValueError out of a rule."""
    from ganlint.reading.config.values import finite_number

    text = FORMATS[name](key, num)
    try:
        if name.endswith(".py"):
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError):
                return  # Python itself refuses 4300+ digits: the project reports that syntax error
            out = read_python_settings(name, tree, text)
        else:
            out = read_config_file(name, text)
    except InputError as exc:
        assert exc.file == name and exc.line in (1, 2) and "\n" not in str(exc), str(exc)
        return
    for s in out:
        for v in s.value if isinstance(s.value, list) else [s.value]:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not finite_number(v):
                assert isinstance(v, float) and any(w in (s.raw or "").lower() for w in ("inf", "nan")), (s, num)


@settings(max_examples=max(5, _N // 10), deadline=None)
@given(st.integers(150, 30000), st.sampled_from(["dotted", "header", "array", "inline"]))
@example(200, "header")
@example(200, "dotted")
def test_toml_depth_budget_fails_fast_at_its_line(parts, form):
    import time

    body = {
        "dotted": "a" + "".join(f".k{i}" for i in range(parts)) + " = 1\n",
        "header": "[" + ".".join(f"t{i}" for i in range(parts)) + "]\nx = 1\n",
        "array": "x = " + "[" * parts + "]" * parts + "\n",
        "inline": "x = " + "{a = " * parts + "1" + "}" * parts + "\n",
    }[form]
    text = "lr = 1e-3\n" + body
    start = time.process_time()
    try:
        read_config_file("deep.toml", text)
    except InputError as exc:
        # a table of exactly 200 parts is within the budget; its key `x` on line 3 is the 201st level
        line = 3 if (form, parts) == ("header", 200) else 2
        assert exc.line == line and "200" in str(exc), str(exc)
    else:
        assert parts <= 200
    assert time.process_time() - start < 2.0  # 20,000 parts took 30-40 s and 2.3 GB before
