"""Mutations of seed projects, as data: a Mutation names an operation, a file, a position and a payload, so
hypothesis can draw and shrink them and benchmarks/fuzz.py can draw the same ones from a seeded RNG.

The payloads are the input classes that broke ganlint before (issue 11): numbers beyond float range and
beyond int()'s digit limit, YAML tag tricks, deep nesting and 20,000-part dotted keys, files grown by
repetition, broken encodings, cross-format renames, and [tool.ganlint] options holding all of those."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

NUMBERS = [
    "1" + "0" * 400, "2e309", "-2e309", "1e-400", "9" * 5000, "0x" + "f" * 400, "0x" + "f" * 5000, "nan", ".nan",
    ".inf", "-.inf", "inf", "-inf", "Infinity", "NaN", "-0", "0", "-1", "1_000", "1__0", "0b101", "0o17", "1.5",
    "1e308", "5e-324", "True", "null", "~", "''", "1e", ".", "-", "+1", "0x", "1:30", "1,5", "1" * 4301,
    "1.0e+309", "[2e309]", '"[1e999, 3]"', "1" + "0" * 5000 + ".0",
]
VALUE_TRICKS = [
    "!!int 1.5", "!!float abc", "!!binary ###", "!!timestamp 2001-99-99", "!!timestamp 2001-12-14",
    "!!python/object:os.system", "!!python/tuple [1, 2]", "!!set {a, b}", "!!omap [1, 2]", "&a 3", "*a",
    "*undefined", "!Custom 3", "!!str 4", "!!null 3", "!!bool maybe", "!!float .inf", "!!int 0x1F", "[1,    2]",
    "{a:   1}", '"[256,256]"', "'(3,)'", "[[[]]]", "{}", "[]", '"${oc.env:HOME}"', "${model.z_dim}",
    "${undefined.key}", "???", "!!float 1e999", "!!int " + "7" * 5000, "2001-12-14 21:59:43.10 -5", "|\n  block",
    ">-\n  folded text", '"\\ud800"', "'\\x00'", '"' + "x" * 100_000 + '"',
]
STRUCTURES = [
    "[" * 300 + "]" * 300,
    "x: " + "[" * 2000 + "]" * 2000,
    "x = " + "[" * 300 + "]" * 300,
    "x = " + "{a = " * 250 + "1" + "}" * 250,
    "a" + "".join(f".k{i}" for i in range(300)) + " = 1",
    "a" + "".join(f".k{i}" for i in range(20000)) + " = 1",
    "[" + ".".join(f"t{i}" for i in range(5000)) + "]",
    '{"a": ' * 3000 + "1" + "}" * 3000,
    "x: &a [" + ", ".join(["*a"] * 3) + "]",
    "\n".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdefgh", "bcdefghi")),
    "lr = " + "(" * 150 + "1" + ")" * 150,
    "lr = " + "-" * 3000 + "1",
    "lr = " + " + ".join(["1"] * 20000),
    "nn_gen: [" + ", ".join(["256"] * 50000) + "]",
    "k: " + "x" * 300_000,
    "\n".join(f"key_{i}: {i}" for i in range(30000)),
]
LINES = [
    "lr: 1e-3", "learning_rate: 2e309", "n_critic: !!int 1.5", "<<: *base", "defaults:\n  - model: nope",
    "[tool.ganlint]", "[tool.ganlint.rules.GL104]\nmax_lr = " + "1" * 5000, "max_lr = 1e309", "x = {", "\t",
    "\x0c", "\ufeff", "# ganlint: ignore", "# noqa: GL104", "# ganlint: ignore-file", "---", "...", "%YAML 1.1",
    '"a": 1,', "}", "]", "[[a]]", "a.b.c = 1", 'key = """', "'''", "lr = 10**400", "lr = 1e309",
    "lr = (10**6)**64", "def f(:", "class X(nn.Module): pass", "import torch", "self.out = nn.Sigmoid()",
    "if True:\n        pass", "λ = 1e-3", "x = '\\N{BOGUS}'", "match cfg:\n    case {'lr': lr}: pass",
    "x: int = 1e999", "x = 0x" + "f" * 5000, "tau = " + "1" * 400, "batchsize = 1e309", "temperature: .nan",
    "nn_gen: [2e309]", "batch_size: -.inf", "z_dim: 0", "grad_penalty: -1", "n_critic: 0", "kl_weight: 0",
    "criterion = nn.BCELoss()", "loss = torch.log(1 - D(G(z))).mean()", "log_var.exp()",
    "p.data.clamp_(-0.01, 0.01)", "opt = torch.optim.Adam(netG.parameters(), lr=1e309)",
    "nn.Linear(0x" + "f" * 400 + ", 1)", "\udcff\udcfe", "\x00", "\r", "\u2028", "\u200b",
]
ALPHABETS = [
    "ab:-,[]{}&*!|>'\"%@`#?\n \t01.e\\<=~",  # YAML
    "ab=.[]{},\"'#\n \t01.e-:+_tf\\TZ",  # TOML
    '{}[]:,"ab01.e-+ \ntrufalsn\\',  # JSON
    "abc[]{}()=:,.'\"\n 01e-+*/_\\#@",  # Python
]
OPS = ("number", "value", "insert_line", "delete_lines", "duplicate_line", "repeat_file", "swap_lines", "indent",
       "splice", "chars", "truncate", "structure", "encoding", "rename", "pyproject")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?")
_VALUE = re.compile(r"(?m)(?<=[:=])[ \t]*[^\n]+$")
_RENAMES = {".yaml": ".toml", ".yml": ".json", ".toml": ".yaml", ".json": ".yaml", ".py": ".yaml"}


@dataclass(frozen=True)
class Mutation:
    op: str
    file: int  # which file of the project (modulo their number)
    at: float  # where in it, 0..1
    payload: int  # which payload / count (modulo the pool's size)


def _pick(pool: Sequence, i: int):
    return pool[i % len(pool)]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _index(n: int, at: float) -> int:
    return min(max(n - 1, 0), int(at * n)) if n else 0


def apply(project: dict[str, str], mutations: Sequence[Mutation], *, max_repeat: int = 4) -> dict[str, str]:
    """The project with every mutation applied in turn (a new dict; texts may hold lone surrogates, which
    `write_project` turns into invalid UTF-8 bytes). `max_repeat` bounds "repeat_file" (size growth)."""
    files = dict(project)
    for m in mutations:
        if not files:
            break
        names = sorted(files)
        name = names[m.file % len(names)]
        files = _one(files, name, m, max_repeat)
    return files


def _one(files: dict[str, str], name: str, m: Mutation, max_repeat: int) -> dict[str, str]:
    text = files[name]
    lines = _lines(text)
    i = _index(len(lines), m.at)
    op = m.op
    if op == "number":
        spots = list(_NUMBER.finditer(text))
        if spots:
            s = spots[_index(len(spots), m.at)]
            text = text[:s.start()] + _pick(NUMBERS, m.payload) + text[s.end():]
    elif op == "value":
        spots = list(_VALUE.finditer(text))
        if spots:
            s = spots[_index(len(spots), m.at)]
            pool = VALUE_TRICKS + NUMBERS
            text = text[:s.start()] + " " + _pick(pool, m.payload) + text[s.end():]
    elif op == "insert_line":
        lines.insert(i, _pick(LINES, m.payload))
        text = "\n".join(lines)
    elif op == "delete_lines":
        del lines[i:i + 1 + m.payload % 3]
        text = "\n".join(lines)
    elif op == "duplicate_line":
        lines[i:i + 1] = [lines[i]] * (2 + m.payload % 40) if lines else []
        text = "\n".join(lines)
    elif op == "repeat_file":
        text = text * (2 + m.payload % max(1, max_repeat - 1))
    elif op == "swap_lines":
        j = _index(len(lines), (m.at + 0.37 + m.payload / 97) % 1.0)
        lines[i], lines[j] = lines[j], lines[i]
        text = "\n".join(lines)
    elif op == "indent":
        line = lines[i]
        lines[i] = (" " * (1 + m.payload % 8) + line, "\t" + line, line.lstrip())[m.payload % 3]
        text = "\n".join(lines)
    elif op == "splice":
        donor = _lines(files[sorted(files)[m.payload % len(files)]])
        j = _index(len(donor), (m.at * 7.3) % 1.0)
        lines[i:i] = donor[j:j + 1 + m.payload % 6]
        text = "\n".join(lines)
    elif op == "chars":
        alphabet = _pick(ALPHABETS, m.payload)
        pos = _index(len(text) + 1, m.at)
        junk = "".join(alphabet[(m.payload * 7 + k * 13) % len(alphabet)] for k in range(1 + m.payload % 12))
        text = text[:pos] + junk + text[pos:]
    elif op == "truncate":
        text = text[:_index(len(text) + 1, m.at)]
    elif op == "structure":
        lines.insert(i, _pick(STRUCTURES, m.payload))
        text = "\n".join(lines)
    elif op == "encoding":
        kind = m.payload % 6
        text = (text.replace("\n", "\r\n"), "\ufeff" + text, text.replace("\n", "\r"), text.rstrip("\n"),
                text[:len(text) // 2] + "\udcc3\udc28" + text[len(text) // 2:], text.expandtabs(1).replace("    ", "\t"))[kind]
    elif op == "rename":
        stem, dot, ext = name.rpartition(".")
        new = stem + _RENAMES.get("." + ext, ".yaml") if dot else name + ".yaml"
        if new not in files:
            files = {k: v for k, v in files.items() if k != name}
            name = new
    elif op == "pyproject":
        table = _pick(PYPROJECT_TABLES, m.payload)
        files = dict(files)
        files["pyproject.toml"] = files.get("pyproject.toml", "") + "\n" + table + "\n"
        return files
    files = dict(files)
    files[name] = text
    return files


PYPROJECT_TABLES = [
    "[tool.ganlint.rules.GL104]\nmax_lr = " + "1" * 5000,
    "[tool.ganlint.rules.GL104]\nmax_lr = " + "1" + "0" * 400,
    "[tool.ganlint.rules.GL104]\nmax_lr = 1e309",
    "[tool.ganlint.rules.GL104]\nmax_lr = nan",
    "[tool.ganlint.rules.GL104]\nproposed = -inf",
    "[tool.ganlint.rules.GL104]\nmax_lr = 0x" + "f" * 5000,
    "[tool.ganlint.rules.GL105]\nmin_n_critic = 1.5",
    "[tool.ganlint.rules.GL102]\nmin_ratio = [1, 2]",
    "[tool.ganlint.rules.GL302]\nbounded_tau = 0.0",
    "[tool.ganlint.rules]\n" + "a" + "".join(f".k{i}" for i in range(20000)) + " = 1",
    "[tool.ganlint]\nselect = [" + ", ".join(['"GL1"'] * 5000) + "]",
    "[tool.ganlint]\nselect = " + "[" * 400 + "]" * 400,
    "[tool.ganlint]\nfail-on = 1e309",
    "[tool.ganlint.custom-rules.GL901]\nslug = \"big\"\nsetting = \"batch_size\"\nmax = " + "9" * 400,
    "[tool.ganlint.custom-rules.GL902]\nslug = \"x\"\nsetting = \"learning_rate\"\nmin = nan\nmax = inf",
    "[tool.ganlint]\nper-file-ignores = {\"*.py\" = [\"GL1\"], \"" + "a" * 5000 + "\" = [\"GL2\"]}",
    "[tool.ganlint]\nexclude = [\"[\", \"**/**/**/**/**\", \"!\"]",
    "[tool.ganlint]\nmodel = \"" + "../" * 300 + "x.py\"",
]


def write_project(root, files: dict[str, str]) -> None:
    """Write a (mutated) project under `root`; lone surrogates become the invalid bytes they stand for."""
    from pathlib import Path

    for rel, text in files.items():
        path = Path(root, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")
        path.write_bytes(data)
