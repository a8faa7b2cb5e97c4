"""YAML reader: keys, values, value locations, string-lists, aliases, bombs, errors."""
from __future__ import annotations

import time

import pytest

from ganlint.core.errors import InputError
from ganlint.reading.config import read_config_file


def read(text: str, name: str = "c.yaml"):
    return {s.key: s for s in read_config_file(name, text)}


def test_flat_values_lines_and_columns():
    s = read("# comment\nlr: 0.001\nz_dim: 3\nname: wgan\nuse_gp: true\nnothing: null\n")
    assert s["lr"].value == 0.001 and s["lr"].canonical == "learning_rate"
    assert (s["lr"].location.line, s["lr"].location.column, s["lr"].location.end_column) == (2, 5, 10)
    assert s["lr"].raw == "0.001" and s["lr"].style == "yaml"
    assert s["z_dim"].value == 3 and isinstance(s["z_dim"].value, int) and s["z_dim"].location.line == 3
    assert s["name"].value == "wgan"
    assert s["use_gp"].value is True
    assert s["nothing"].value is None


def test_numeric_strings_become_numbers():
    s = read("lr: 1e-3\nlr2: '2e-4'\nbs: \"64\"\nversion: v1.0\n")
    assert s["lr"].value == 0.001
    assert s["lr2"].value == 2e-4
    assert s["bs"].value == 64
    assert s["version"].value == "v1.0"


def test_string_lists():
    s = read('nn_gen: "[256,256]"\nnn_disc: "[32, 128]"\nnot_list: "[a b"\n')
    g = s["nn_gen"]
    assert g.value == [256, 256] and g.value_style == "string-list" and g.raw == '"[256,256]"'
    assert g.canonical == "hidden_sizes" and g.role == "generator"
    assert s["nn_disc"].value == [32, 128] and s["nn_disc"].role == "critic"
    assert s["not_list"].value == "[a b" and s["not_list"].value_style is None


def test_nested_keys_and_roles():
    text = "model:\n  generator:\n    lr: 1.0e-4\n    hidden: [64, 64]\n  critic:\n    lr: 4.0e-4\ndata:\n  std: 0.5\n"
    s = read(text)
    assert s["model.generator.lr"].role == "generator" and s["model.generator.lr"].location.line == 3
    assert s["model.generator.hidden"].value == [64, 64] and s["model.generator.hidden"].canonical == "hidden_sizes"
    assert s["model.critic.lr"].role == "critic" and s["model.critic.lr"].value == 4e-4
    assert s["data.std"].value == 0.5 and s["data.std"].canonical is None and s["data.std"].location.line == 8


def test_lists_of_mappings_give_indexed_keys():
    text = "optimizers:\n  - name: adam\n    lr: 0.001\n  - name: sgd\n    lr: 0.1\nmeans: [[-2, 0], [2, 0]]\n"
    s = read(text)
    assert s["optimizers.0.lr"].value == 0.001 and s["optimizers.0.lr"].location.line == 3
    assert s["optimizers.1.lr"].value == 0.1 and s["optimizers.1.lr"].location.line == 5
    assert s["means"].value == [[-2, 0], [2, 0]]


def test_multi_document():
    s = read_config_file("c.yaml", "lr: 0.1\n---\nbatch_size: 16\n")
    assert [(x.key, x.location.line) for x in s] == [("lr", 1), ("batch_size", 3)]


def test_alias_keeps_anchor_line_and_merge_keys():
    text = "base: &b\n  lr: 0.001\n  bs: 32\nrun:\n  <<: *b\n  bs: 64\n"
    s = read(text)
    assert s["run.lr"].value == 0.001 and s["run.lr"].location.line == 2
    assert s["run.bs"].value == 64 and s["run.bs"].location.line == 6


def test_non_ascii_columns_are_characters():
    s = read("name: 能量模型\nlr: 0.5  # 学习率\nx: [\"é\", 1]\ny: 2\n")
    assert s["name"].location.column == 7 and s["name"].location.end_column == 11 and s["name"].raw == "能量模型"
    assert s["x"].raw == '["é", 1]' and s["y"].location.line == 4


def _bomb(mapping: bool) -> str:
    names = "abcdefghi"
    if mapping:
        lines = ["a: &a {" + ", ".join(f"k{i}: lol" for i in range(9)) + "}"]
    else:
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate(names[1:]):
        prev = names[i]
        if mapping:
            body = ", ".join(f"k{j}: *{prev}" for j in range(9))
            lines.append(f"{name}: &{name} {{{body}}}")
        else:
            lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


# 9**9 = 387M expanded nodes: without the budget these take hours, so a CPU-time bound far above the guarded
# cost (well under 1 s) still fails on the unguarded reader, and a loaded machine does not fail it
_BOMB_CPU_S = 10.0


def test_billion_laughs_of_mappings_is_refused_fast():
    start = time.process_time()
    with pytest.raises(InputError) as err:
        read_config_file("bomb.yaml", _bomb(mapping=True))
    assert time.process_time() - start < _BOMB_CPU_S
    assert "alias bomb" in str(err.value) and err.value.file == "bomb.yaml"


def test_billion_laughs_of_lists_is_harmless_and_fast():
    start = time.process_time()
    try:
        read_config_file("bomb.yaml", _bomb(mapping=False))
    except InputError as exc:
        assert "alias bomb" in str(exc)
    assert time.process_time() - start < _BOMB_CPU_S


def test_recursive_alias_is_an_input_error():
    with pytest.raises(InputError):
        read_config_file("r.yaml", "a: &a\n  b: *a\n")


@pytest.mark.parametrize(
    "text,line",
    [("lr: [1, 2\n", 2), ("a: b: c\n", 1), ("x:\n  - 1\n - 2\n", 3), ("key: 'unterminated\n", 2), ("a: *nope\n", 1)],
)
def test_malformed_yaml_is_one_input_error_with_line(text, line):
    with pytest.raises(InputError) as err:
        read_config_file("bad.yaml", text)
    assert err.value.file == "bad.yaml"
    assert err.value.line == line
    assert "\n" not in str(err.value)


def test_empty_and_scalar_documents():
    assert read_config_file("e.yaml", "") == []
    assert read_config_file("e.yaml", "# only a comment\n") == []
    assert read_config_file("e.yaml", "just a string\n") == []
    assert read_config_file("e.yaml", "- 1\n- 2\n") == []


def test_context_names_alpha_beta():
    s = read("optimizer: adam\nalpha: 0.9\n")
    assert s["alpha"].canonical == "optim_alpha"
    s = read("alpha: 0.9\nlr: 0.1\n")
    assert s["alpha"].canonical is None
    s = read("vae:\n  beta: 0.01\noptim:\n  beta: 0.9\n")
    assert s["vae.beta"].canonical == "kl_weight"
    assert s["optim.beta"].canonical is None
    s = read("beta: 4.0\nlr: 0.1\n")
    assert s["beta"].canonical is None


def test_a_long_flow_list_is_read_whatever_its_length():
    """Fuzz input 130: `fix` wrote a 100,000-item list (it copies the generator's widths) into a file that
    then read as an "alias bomb": what plain text holds is read, only aliases' expansion has the budget."""
    text = "anchor: &w 3\nz: *w\nnn_gen: [" + ", ".join(["256"] * 120_000) + "]\n"
    settings = {s.key: s for s in read_config_file("big.yaml", text)}
    assert len(settings["nn_gen"].value) == 120_000 and settings["z"].value == 3
