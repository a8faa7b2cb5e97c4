"""Python source -> Settings, from the syntax tree only (never imported, never run).

What counts as a setting (literal values only; anything computed is skipped):

- ``py-dict``: ``config['vae_lr'] = 5e-4``, ``cfg['opt']['lr'] = 1e-4`` (nested -> ``opt.lr``),
  ``config = {'lr': 1e-3}`` / ``dict(lr=...)`` / ``EasyDict(...)`` / ``SimpleNamespace(...)`` assigned to a
  name, ``config.update({...})`` / ``config.update(lr=...)``. Subscript and update forms need a config-like
  container (``config``, ``cfg``, ``args``, ``hparams``, ``opt``, ``params``, ``self.args`` ...) or a name that
  was bound to a dict literal at module level; dict literals need a config-like name inside functions
  (any name at module level); a config-like function's returned dict literal counts too
  (``def get_config(): return {'lr': 1e-3}``). A generic container name is dropped from the key (``config['lr']`` -> ``lr``);
  a specific one is kept (``gen_cfg = {'lr': ..}`` -> ``gen_cfg.lr``, role generator).
- ``py-attr``: ``args.lr = 1e-3`` (config-like base, anywhere), class attributes and ``self.x = ...`` in
  methods of config-like classes (``class TrainConfig:``; never in ``nn.Module`` subclasses).
- ``py-const``: module-level ``LAMBDA = .1``, ``CRITIC_ITERS = 5``, ``lr: float = 2e-4``,
  ``BETA1, BETA2 = 0.5, 0.9`` (also inside module-level ``if``/``try``/``with`` blocks).
- ``argparse``: ``add_argument('--lr', type=float, default=2e-4)`` (key from ``dest`` or the long flag,
  dashes -> underscores; string defaults converted by ``type=float/int``), ``set_defaults(lr=...)``,
  ``click.option('--lr', default=...)``, absl ``flags.DEFINE_float('lr', 1e-3, ...)``.
- ``dataclass``: class-level fields of ``@dataclass`` / attrs / pydantic / NamedTuple classes, with a
  literal default or ``field(default=...)``.

Literals: numbers, strings, booleans, None, lists/tuples of literals (tuples become lists), unary
minus, and trivial arithmetic on number literals (``1e-3 * 2``). Strings like ``"[256,256]"`` become
lists (value_style "string-list").
"""
from __future__ import annotations

import ast
import re
from typing import Any, Iterable

from ganlint.core.types import Setting
from ganlint.reading.astwalk import calls_in, calls_on_lines, walk
from ganlint.reading.config.values import MAX_SETTINGS, finish, make_setting, string_list, too_many_settings
from ganlint.reading.config.python_declared import DeclaredSettings
from ganlint.reading.vocabulary import tokens

CONFIG_TOKENS = {
    "config", "cfg", "conf", "configs", "args", "arg", "opt", "opts", "options", "hparams", "hparam", "hp",
    "hps", "params", "param", "hyperparams", "hyperparameters", "hyper", "settings", "flags", "configuration",
    "kwargs", "cf", "hyp", "parameters",  # `class Parameters:` holding a model's sizes in `self.x = ...`
}
GENERIC_CONTAINERS = {
    "config", "cfg", "conf", "args", "arg", "opt", "opts", "options", "hparams", "hp", "hps", "params",
    "flags", "settings", "hyperparams", "hyperparameters", "c", "cf", "configuration", "kwargs", "hyp",
    "default_config", "default_cfg", "base_config", "train_config", "training_config", "train_cfg",
    "args_dict", "config_dict", "cfg_dict", "hyper_params",
}
DICT_FACTORIES = {"dict", "EasyDict", "edict", "SimpleNamespace", "Namespace", "ConfigDict", "AttrDict",
                  "DotMap", "Munch", "Box"}
ABSL_DEFINES = {"DEFINE_float", "DEFINE_integer", "DEFINE_string", "DEFINE_bool", "DEFINE_boolean",
                "DEFINE_list", "DEFINE_enum"}
MAX_LITERAL_DEPTH = 20
_NO = object()
# ast.get_source_segment's own line split (\n, \r\n, \r only; form feeds stay inside a line)
# the call names call() acts on, as whole words
_CALL_WORDS = re.compile(r"\b(?:%s)\b" % "|".join(sorted({"add_argument", "option", "set_defaults", "update", *ABSL_DEFINES})))
_SOURCE_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _config_like(name: str) -> bool:
    return bool(set(tokens(name)) & CONFIG_TOKENS)


def _generic(name: str) -> bool:
    return name in GENERIC_CONTAINERS or name.lower() in GENERIC_CONTAINERS


class _Reader(DeclaredSettings):
    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self._segment_lines: list[str] | None = None
        self.out: list[Setting] = []
        self.dict_names: set[str] = set()

    # -- values -----------------------------------------------------------------------------------
    def literal(self, node: ast.AST, depth: int = 0) -> Any:
        """The literal value of `node`, or _NO."""
        if depth > MAX_LITERAL_DEPTH:
            return _NO
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (bytes, type(Ellipsis))) or isinstance(node.value, complex):
                return _NO
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.literal(node.operand, depth + 1)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return -v if isinstance(node.op, ast.USub) else v
            return _NO
        if isinstance(node, ast.BinOp):
            a, b = self.literal(node.left, depth + 1), self.literal(node.right, depth + 1)
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
                return _NO
            try:
                if isinstance(node.op, ast.Add):
                    return a + b
                if isinstance(node.op, ast.Sub):
                    return a - b
                if isinstance(node.op, ast.Mult):
                    return a * b
                if isinstance(node.op, ast.Div):
                    return a / b
                if isinstance(node.op, ast.FloorDiv):
                    return a // b
                if isinstance(node.op, ast.Pow) and abs(b) <= 64 and abs(a) <= 1e6:
                    return a ** b
            except (ZeroDivisionError, OverflowError, ValueError):
                return _NO
            return _NO
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.literal(e, depth + 1) for e in node.elts]
            if any(i is _NO for i in items):
                return _NO
            return items
        return _NO

    def emit(self, parts: list[Any], node: ast.AST, value: Any, style: str, context: Iterable[str] = ()) -> None:
        if not parts or value is _NO:
            return
        value_style = None
        if isinstance(value, str):
            lst = string_list(value)
            if lst is not None:
                value, value_style = lst, "string-list"
        if isinstance(value, complex):
            return
        line = getattr(node, "lineno", 1)
        if len(self.out) >= MAX_SETTINGS:
            raise too_many_settings(self.path, line)
        end_line = getattr(node, "end_lineno", None) or line
        col = self.column(line, getattr(node, "col_offset", 0))
        end_col = self.column(end_line, node.end_col_offset) if getattr(node, "end_col_offset", None) is not None else None
        raw = self.segment(node)
        self.out.append(
            make_setting(parts, value, self.path, line, col, end_line, end_col, style=style, raw=raw,
                         value_style=value_style, context=context)
        )

    def segment(self, node: ast.AST) -> str | None:
        """ast.get_source_segment(self.text, node), splitting the text once per file instead of per call."""
        try:
            if node.end_lineno is None or node.end_col_offset is None:
                return None
            lineno = node.lineno - 1
            end_lineno = node.end_lineno - 1
            col_offset = node.col_offset
            end_col_offset = node.end_col_offset
        except AttributeError:
            return None
        lines = self._segment_lines
        if lines is None:
            lines = self._segment_lines = _SOURCE_LINE.findall(self.text)
        if end_lineno == lineno:
            return lines[lineno].encode()[col_offset:end_col_offset].decode()
        first = lines[lineno].encode()[col_offset:].decode()
        last = lines[end_lineno].encode()[:end_col_offset].decode()
        return "".join([first, *lines[lineno + 1:end_lineno], last])

    def column(self, line: int, byte_offset: int) -> int:
        """1-based character column from ast's UTF-8 byte offset."""
        if 1 <= line <= len(self.lines):
            text = self.lines[line - 1]
            if not text.isascii():
                return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "ignore")) + 1
        return byte_offset + 1

    # -- containers -------------------------------------------------------------------------------
    def container_chain(self, node: ast.AST) -> list[str] | None:
        """`config['a']['b']` / `self.args['a']` -> ['config', 'a', 'b'] (string keys only)."""
        chain: list[str] = []
        while True:
            if isinstance(node, ast.Subscript):
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)) and not isinstance(key.value, bool):
                    chain.append(str(key.value))
                    node = node.value
                    continue
                return None
            if isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
                continue
            if isinstance(node, ast.Name):
                chain.append(node.id)
                chain.reverse()
                return chain
            return None

    def key_from_chain(self, chain: list[str], module_level: bool) -> tuple[list[str], list[str]] | None:
        """(key parts, context) of an assignment target chain, or None when the base is not a config."""
        if chain and chain[0] == "self":
            chain = chain[1:]
            if len(chain) < 2 or not _config_like(chain[0]):
                return None
        if len(chain) < 2:
            return None
        base = chain[0]
        if not (_config_like(base) or (module_level and base in self.dict_names)):
            return None
        if _generic(base):
            return chain[1:], []
        return chain, []

    def dict_literal(self, node: ast.AST, parts: list[Any], style: str, depth: int = 0) -> None:
        if depth > MAX_LITERAL_DEPTH:
            return
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    self.value_tree(v, [*parts, k.value], style, depth + 1)
        elif self.is_factory(node):
            for arg in node.args[:1]:
                self.dict_literal(arg, parts, style, depth + 1)
            for kw in node.keywords:
                if kw.arg:
                    self.value_tree(kw.value, [*parts, kw.arg], style, depth + 1)

    def value_tree(self, node: ast.AST, parts: list[Any], style: str, depth: int) -> None:
        if self.is_dict_value(node):
            self.dict_literal(node, parts, style, depth)
        elif isinstance(node, (ast.List, ast.Tuple)) and any(isinstance(e, ast.Dict) for e in node.elts):
            for i, e in enumerate(node.elts):
                if isinstance(e, ast.Dict):
                    self.dict_literal(e, [*parts, i], style, depth + 1)
        else:
            self.emit(parts, node, self.literal(node), style)

    @staticmethod
    def call_name(node: ast.Call) -> str | None:
        f = node.func
        if isinstance(f, ast.Name):
            return f.id
        if isinstance(f, ast.Attribute):
            return f.attr
        return None

    def is_dict_value(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Dict) or self.is_factory(node)

    def is_factory(self, node: ast.AST) -> bool:
        """dict(...), EasyDict(...), SimpleNamespace(...), OmegaConf.create({...}), ml_collections.ConfigDict({...})."""
        if not isinstance(node, ast.Call):
            return False
        name = self.call_name(node)
        if name in DICT_FACTORIES:
            return True
        f = node.func
        return (name == "create" and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                and f.value.id == "OmegaConf")

    # -- statements -------------------------------------------------------------------------------
    def assignment(self, targets: list[ast.AST], value: ast.AST, module_level: bool) -> None:
        for target in targets:
            if isinstance(target, ast.Name):
                name = target.id
                if self.is_dict_value(value):
                    if module_level or _config_like(name):
                        if module_level:
                            self.dict_names.add(name)
                        self.dict_literal(value, [] if _generic(name) else [name], "py-dict")
                elif module_level and not (name.startswith("__") and name.endswith("__")):
                    self.emit([name], value, self.literal(value), "py-const")
            elif isinstance(target, (ast.Tuple, ast.List)) and module_level and isinstance(value, (ast.Tuple, ast.List)):
                if len(target.elts) == len(value.elts):
                    for t, v in zip(target.elts, value.elts):
                        if isinstance(t, ast.Name):
                            self.emit([t.id], v, self.literal(v), "py-const")
            elif isinstance(target, (ast.Subscript, ast.Attribute)):
                chain = self.container_chain(target)
                if chain is None:
                    continue
                found = self.key_from_chain(chain, module_level)
                if found is None:
                    continue
                parts, context = found
                style = "py-dict" if isinstance(target, ast.Subscript) else "py-attr"
                if self.is_dict_value(value):
                    self.dict_literal(value, parts, style)
                else:
                    self.emit(parts, value, self.literal(value), style, context)

    def call(self, node: ast.Call) -> None:
        name = self.call_name(node)
        if name in ("add_argument", "option"):
            self.argparse(node, click=name == "option")
        elif name == "set_defaults":
            for kw in node.keywords:
                if kw.arg:
                    self.emit([kw.arg], kw.value, self.literal(kw.value), "argparse")
        elif name in ABSL_DEFINES and node.args:
            key = self.literal(node.args[0])
            default = node.args[1] if len(node.args) > 1 else next(
                (kw.value for kw in node.keywords if kw.arg == "default"), None)
            if isinstance(key, str) and default is not None:
                self.emit([key], default, self.literal(default), "argparse")
        elif name == "update" and isinstance(node.func, ast.Attribute):
            chain = self.container_chain(node.func.value)
            if chain is None:
                return
            if chain[0] == "self":
                chain = chain[1:]
            if not chain or not _config_like(chain[0]) and chain[0] not in self.dict_names:
                return
            parts = [] if _generic(chain[0]) else [chain[0]]
            parts += chain[1:]
            for arg in node.args[:1]:
                self.dict_literal(arg, parts, "py-dict")
            for kw in node.keywords:
                if kw.arg:
                    self.value_tree(kw.value, [*parts, kw.arg], "py-dict", 0)

    def block(self, body: list[ast.stmt], module_level: bool) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                self.assignment(stmt.targets, stmt.value, module_level)
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                self.assignment([stmt.target], stmt.value, module_level)
            elif isinstance(stmt, ast.ClassDef):
                self.class_def(stmt)
                continue
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.block(stmt.body, False)
                if _config_like(stmt.name):  # def get_config(): return {'lr': 1e-3}
                    for sub in walk(stmt):
                        if isinstance(sub, ast.Return) and sub.value is not None and self.is_dict_value(sub.value):
                            self.dict_literal(sub.value, [], "py-dict")
                continue
            if module_level and isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for attr in ("body", "orelse", "finalbody"):
                    self.block(getattr(stmt, attr, []) or [], True)
                for h in getattr(stmt, "handlers", []) or []:
                    self.block(h.body, True)
            elif not module_level and isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for attr in ("body", "orelse", "finalbody"):
                    self.block(getattr(stmt, attr, []) or [], False)
                for h in getattr(stmt, "handlers", []) or []:
                    self.block(h.body, False)

    def calls(self, tree: ast.Module) -> None:
        # call() only acts on calls named in _CALL_WORDS: a plain-ASCII file without one of those words has
        # none (a non-ASCII one may spell a name with characters that NFKC-normalise to it: always walked)
        text = self.text
        if not text.isascii() or "\r" in text:  # (a lone \r ends a line too: line numbers below count \n)
            for node in calls_in(tree):
                self.call(node)
            return
        lines, line, pos = [], 1, 0  # the lines where one of the words is written: only their statements
        for m in _CALL_WORDS.finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            if not lines or lines[-1] != line:
                lines.append(line)
        if not lines:
            return
        for node in calls_on_lines(tree, lines):
            self.call(node)


def read_python_settings(path: str, tree: ast.Module, text: str) -> list[Setting]:
    reader = _Reader(path, text)
    reader.block(tree.body, True)
    reader.calls(tree)
    out = sorted(reader.out, key=lambda s: (s.location.line, s.location.column))
    return finish(out)
