"""One module's construction context: flag defaults (argparse, click, absl), module constants, the call
sites of its classes, and the networks built outside classes (`D = nn.Sequential(...)` in a script or in
main()). Statements are evaluated once, in order; loops of a script (its training) are not run."""
from __future__ import annotations

import ast
import sys
from collections import ChainMap
from typing import Any

from ganlint.reading.code.astutil import Source, dotted, last, literal
from ganlint.reading.code.construct.bound_roles import helper_binds
from ganlint.reading.code.construct.evaluator import Budget, Evaluator
from ganlint.reading.code.construct.script_args import bind_script_params, main_calls
from ganlint.reading.code.construct.values import (
    UNKNOWN, Func, Instance, Namespace, NNClass, Seq, TorchFunc, UserClass,
)
from ganlint.reading.code.construct.statements import _Break, _Continue, _Return

_ABSL = {"DEFINE_integer", "DEFINE_float", "DEFINE_string", "DEFINE_boolean", "DEFINE_bool", "DEFINE_enum",
         "DEFINE_list"}
_LIBRARY_MODULES = ("torch", "torchvision", "numpy", "scipy", "sklearn", "tensorflow", "keras", "jax", "flax",
                    "absl", "typing", "collections", "dataclasses", "pytorch_lightning", "lightning")
_NOT_PROJECT = sys.stdlib_module_names | {"matplotlib", "PIL", "tqdm", "wandb", "cv2", "pandas", "yaml", "h5py",
                                           "tensorboardX", "imageio", "skimage", "seaborn", "visdom", "einops"}
_SCRIPT_FUNCS = ("main", "train", "run", "training", "fit")
_SCRIPT_PREFIXES = ("build_", "create_", "make_model", "get_model", "setup", "init_model", "train_")
_SYSTEM_BASES = ("LightningModule",)  # a training system: its __init__ builds the networks it trains


def _flag_dest(call: ast.Call) -> str | None:
    for kw in call.keywords:
        if kw.arg == "dest" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    longs = [n for n in names if n.startswith("--")]
    name = longs[0] if longs else names[0] if names and not names[0].startswith("-") else None
    return name.lstrip("-").replace("-", "_") if name else None


def _flag_default(call: ast.Call) -> tuple[bool, Any]:
    kws = {kw.arg: kw.value for kw in call.keywords}
    if "default" in kws:
        ok, v = literal(kws["default"])
        typ = dotted(kws["type"]) if "type" in kws else None
        if ok and isinstance(v, str) and typ in ("int", "float"):
            try:
                v = int(v) if typ == "int" else float(v)
            except ValueError:
                return False, None
        return ok, v
    action = kws.get("action")
    if isinstance(action, ast.Constant) and action.value in ("store_true", "store_false"):
        return True, action.value == "store_false"
    return False, None


def read_flags(tree: ast.Module, text: str, sites: dict[str, ast.AST] | None = None) -> dict[str, Any]:
    """dest -> default of the argparse/absl flags defined at module level or in a function's top level
    (`sites`, when given, gets dest -> the defining call)."""
    flags: dict[str, Any] = {}
    sites = {} if sites is None else sites
    if "add_argument" not in text and "DEFINE_" not in text:
        return flags
    bodies = [tree.body]
    for st in tree.body:
        if isinstance(st, (ast.FunctionDef, ast.If)):
            bodies.append(st.body)
    for body in bodies:
        for st in body:
            call = st.value if isinstance(st, (ast.Expr, ast.Assign)) else None
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            attr = call.func.attr
            if attr == "add_argument":
                dest = _flag_dest(call)
                ok, v = _flag_default(call)
                if dest and ok:
                    flags[dest] = v
                    sites[dest] = call
            elif attr in _ABSL and len(call.args) >= 2 and isinstance(call.args[0], ast.Constant):
                ok, v = literal(call.args[1])
                if ok and isinstance(call.args[0].value, str):
                    flags[call.args[0].value] = v
                    sites[call.args[0].value] = call
    return flags


def _click_defaults(fn: ast.FunctionDef) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in fn.decorator_list:
        if isinstance(d, ast.Call) and last(dotted(d.func)) == "option":
            dest = _flag_dest(d)
            ok, v = _flag_default(d)
            if dest and ok:
                out[dest] = v
    return out


class ModuleScope:
    """Evaluated once per module, before its classes are read; `in` answers the activation-table test."""

    def __init__(self, src: Source, tree: ast.Module, text: str):
        self.src = src
        self.globals: dict[str, Any] = {}
        self.steps = [10_000 + len(text) // 8]
        self.class_steps = [20_000 + len(text) // 4]
        self.calls: dict[str, list[tuple[list, dict, ast.Call]]] = {}
        # sites met while reading a script function whose own parameters are not known (`def train(args)`
        # read without its caller's args): used only when no site with known arguments exists
        self.guessed_calls: dict[str, list[tuple[list, dict, ast.Call]]] = {}
        self.guessing = False
        # calls of helpers another file defines (`netG, netD = get_models(NZ, 512, 64)` with get_models
        # imported): run once the project links its files (link_helper_calls)
        self.helper_calls: list[tuple[str, list, dict, bool]] = []
        self.linked_calls: dict[str, list[tuple[list, dict, ast.Call]]] = {}  # sites those runs met here
        self.bound_class: dict[str, str] = {}  # G, D = build(opt); G = nets["G"]: name -> the class it holds
        self.var_class: dict[str, str] = {}  # G -> Generator (module level and script functions)
        self.sequentials: list[tuple[str, Seq, ast.AST]] = []  # D = nn.Sequential(...) outside classes
        self.tables: set[str] = set()
        self.classes: dict[str, ast.ClassDef] = {}  # the classes this file defines (each read once more
        # when another file is the one that builds it)
        self.in_nodes: dict[int, ast.AST] = {}
        self.keys_read: dict[str, set[str]] = {}  # class -> the config keys its construction read
        self.tree = tree if "Sequential" in text or "Module" in text or "sigmoid" in text else None
        self.flag_sites: dict[str, ast.AST] = {}
        self.constants: dict[str, ast.AST] = {}  # NOISE = 5: where a name's int value is written
        self.constant_imports: dict[str, tuple[str, str, int]] = {}  # local -> (module, name, level)
        # `from models.blocks import ResBlock`: local -> (module, name, level), linked to the project's class
        self.class_imports: dict[str, tuple[str, str, int]] = {}
        # `import utils`, `from . import models as M`: local (dotted) name -> (module, level); a call of one
        # of its functions (`M.build_discriminator(cfg)`) is a helper call like `build_discriminator(cfg)`
        self.module_imports: dict[str, tuple[str, int]] = {}
        flags = read_flags(tree, text, self.flag_sites)
        self.globals["__flags__"] = flags
        if "DEFINE_" in text:
            self.globals["FLAGS"] = Namespace(flags)
        try:
            self._read(tree)
        except (Budget, RecursionError):
            pass
        self.module_calls: dict[str, tuple[str, str, int]] = {}  # utils.set_requires_grad -> (utils, name, 0)
        self.helper_binds = helper_binds(tree, self)  # model, adversary = utils.get_gan(opt): roles once linked
        self.tables = {k for k, v in self.globals.items()
                       if isinstance(v, dict) and v and sum(isinstance(x, NNClass) for x in v.values()) * 2 >= len(v)}

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def evaluator(self) -> Evaluator:
        """An evaluator for one class: its own budget, so a long script cannot starve the networks."""
        return Evaluator(self.src, self.globals, self.class_steps)

    # -- the script ---------------------------------------------------------------------------------
    def _read(self, tree: ast.Module) -> None:
        ev = Evaluator(self.src, self.globals, self.steps)
        ev.record_calls = self._record
        ev.record_helper = self._record_helper
        ev.abstract_loops = True  # a script's loops are its training: read once, never unrolled
        self.in_nodes = ev.in_nodes
        env = ChainMap(self.globals)
        self._script(tree.body, ev, env)
        called = main_calls(_main_block(tree))
        for st in tree.body:
            if isinstance(st, ast.FunctionDef) and (st.name in _SCRIPT_FUNCS or st.name in called
                                                    or st.name.startswith(_SCRIPT_PREFIXES)):
                local = ChainMap({}, self.globals)
                self.guessing = bind_script_params(ev, st, called.get(st.name, []), self.globals, local,
                                                   _click_defaults(st))
                try:
                    self._script(st.body, ev, local)
                except (_Return, _Break, _Continue):
                    pass
                finally:
                    self.guessing = False
        self._systems(tree, ev)

    def _systems(self, tree: ast.Module, ev: Evaluator) -> None:
        """A LightningModule's __init__ is where its networks are built (`self.generator =
        Generator(latent_dim=self.latent_dim, img_shape=mnist_shape)`): read once with its own defaults,
        its calls are call sites of those classes (a class built differently elsewhere stays unknown).
        A plain trainer object (`class Trainer:` whose __init__ runs `self.G, self.D = self.build(opt)`) is
        read the same way, with the arguments the file builds it with when it builds it one way."""
        for st in tree.body:
            if not isinstance(st, ast.ClassDef):
                continue
            system = any(last(dotted(b)) in _SYSTEM_BASES for b in st.bases)
            if not system and not _trainer_object(st):
                continue
            init = next((s for s in st.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
            if init is None:
                continue
            site = None if system else self.call_site(st.name)
            if not system and (site is None or not self.calls.get(st.name)):
                continue  # a trainer built elsewhere or with guessed arguments: its networks keep their defaults
            args, kwargs = (site[0], site[1]) if site is not None else ([], {})
            cls, inst = UserClass(st.name, st), Instance(st.name)
            inst.methods = ev.methods_of(cls, inst)  # self.build_networks() in __init__ is followed
            saved = (ev.self_obj, ev.on_self)
            ev.self_obj, ev.on_self = inst, None
            ev.class_stack.append(cls)
            try:
                ev.call_func(Func(init, ChainMap({}, self.globals), inst), args, kwargs)
            finally:
                ev.class_stack.pop()
                ev.self_obj, ev.on_self = saved
            self._bound_attrs(inst)

    def _bound_attrs(self, inst: Instance) -> None:
        """self.G, self.D = self.build(opt) in a trainer: `self.G` holds a Generator."""
        for attr, v in inst.attrs.items():
            if isinstance(v, Instance) and self._project_class(v.cls):
                self.bound_class.setdefault(f"self.{attr}", v.cls)

    def _script(self, body: list[ast.stmt], ev: Evaluator, env: ChainMap) -> None:
        for st in body:
            cls = st.__class__
            if cls in (ast.FunctionDef, ast.AsyncFunctionDef):
                env.maps[0][st.name] = Func(st, ChainMap(self.globals) if env.maps[0] is self.globals else env)
            elif cls is ast.ClassDef:
                env.maps[0][st.name] = UserClass(st.name, st)
                if env.maps[0] is self.globals:
                    self.classes[st.name] = st
            elif cls is ast.Expr and isinstance(st.value, ast.Call) and isinstance(
                    env.get(dotted(st.value.func) or "", None), Func):
                continue  # main() called: read below as a script of its own
            elif cls in (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr):
                try:
                    ev.stmt(st, env)
                except (_Return, _Break, _Continue):
                    return
                if cls is ast.Assign and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                    self._named(st.targets[0].id, env.maps[0].get(st.targets[0].id), st)
                    self._bound(st.targets[0], env, st)
                elif cls is ast.Assign and len(st.targets) == 1 and isinstance(st.targets[0], ast.Tuple):
                    for t in st.targets[0].elts:  # G, D = build(opt)
                        if isinstance(t, ast.Name):
                            self._named(t.id, env.maps[0].get(t.id), st)
                            self._bound(t, env, st)
            elif cls is ast.If:
                t = ev._truth(ev.ev(st.test, env))
                if _is_main_test(st.test) or t is True:
                    self._script(st.body, ev, env)
                elif t is False:
                    self._script(st.orelse, ev, env)
                else:
                    ev.cond += 1
                    try:
                        self._script(st.body, ev, env)
                        self._script(st.orelse, ev, env)
                    finally:
                        ev.cond -= 1
                    for n in {t.id for s in (*st.body, *st.orelse) if isinstance(s, ast.Assign)
                              for t in s.targets if isinstance(t, ast.Name)}:
                        env.maps[0][n] = UNKNOWN  # set on a path the code does not decide
            elif cls in (ast.With, ast.AsyncWith, ast.Try):
                self._script(st.body, ev, env)
            elif cls is ast.ImportFrom and not (st.module or "").startswith(_LIBRARY_MODULES):
                # classes of the project's other files: a table of them (`{"res32": ResGenerator32}`)
                # indexed by a flag builds one, and that call is a call site of the class
                imported = self.globals.setdefault("__imported__", {})
                for a in st.names:
                    if a.name[:1].isupper() and not a.name.isupper():
                        imported[a.asname or a.name] = a.name
                        self.class_imports[a.asname or a.name] = (st.module or "", a.name, st.level)
                    elif a.name != "*":
                        # `from utils.constants import LATENT_DIM`, `from .blocks import dense_block`: a
                        # constant's value or a helper function, once the project links its files
                        self.constant_imports[a.asname or a.name] = (st.module or "", a.name, st.level)
                        if a.name.islower():  # or a module of a package: `from . import models as M`
                            module = f"{st.module}.{a.name}" if st.module else a.name
                            self.module_imports[a.asname or a.name] = (module, st.level)
            elif cls is ast.Import:
                for a in st.names:  # `import os`, `import tqdm`: not the project's (their calls are many)
                    if not a.name.startswith(_LIBRARY_MODULES) and a.name.split(".")[0] not in _NOT_PROJECT:
                        self.module_imports[a.asname or a.name] = (a.name, 0)

    def _record(self, cls: UserClass, args: list, kwargs: dict, node: ast.Call) -> Instance:
        (self.guessed_calls if self.guessing else self.calls).setdefault(cls.name, []).append((args, kwargs, node))
        return Instance(cls.name)

    def _record_helper(self, name: str, args: list, kwargs: dict) -> bool:
        """A call of a function another file of the project defines (`from models import get_models`)."""
        if len(self.helper_calls) >= 64:
            return False
        if name not in self.constant_imports:
            base, _, attr = name.rpartition(".")
            module = self.module_imports.get(base) if base and attr else None
            if module is None or base in self.globals:
                return False
            self.constant_imports[name] = (module[0], attr, module[1])  # linked as `from <module> import attr`
        self.helper_calls.append((name, args, kwargs, self.guessing))
        return True

    def _record_linked(self, cls: UserClass, args: list, kwargs: dict, node: ast.Call) -> Instance:
        self.linked_calls.setdefault(cls.name, []).append((args, kwargs, node))
        return Instance(cls.name)

    def _project_class(self, name: str) -> bool:
        return name in self.classes or name in self.globals.get("__imported__", {})

    def _bound(self, target: ast.Name, env: ChainMap, st: ast.Assign) -> None:
        """A name bound to a network a helper built or a container holds (`G, D = build(opt)`, `G =
        nets["G"]`), not to a class called right there (the walk sees those itself)."""
        v = env.maps[0].get(target.id)
        if isinstance(v, Instance) and not v.attrs and self._project_class(v.cls) and not (
                isinstance(st.value, ast.Call) and last(dotted(st.value.func)) == v.cls):
            self.bound_class[target.id] = v.cls

    def _named(self, var: str, value: Any, st: ast.Assign) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(st.value, ast.Constant):
            self.constants[var] = st
        if isinstance(value, Instance) and not value.attrs:
            self.var_class[var] = value.cls
        elif isinstance(value, Seq) and value.kind == "sequential" and value:
            self.sequentials = [s for s in self.sequentials if s[0] != var]
            self.sequentials.append((var, value, st))

    def origin(self, node: ast.AST | None, params: dict[str, ast.AST] | None = None) -> ast.AST | None:
        """The statement or flag that writes the value `node` reads: `g_input_size = 1`, `--nz` default."""
        for _ in range(4):
            if isinstance(node, ast.Call) and dotted(node.func) in ("int", "float") and node.args:
                node = node.args[0]
            elif isinstance(node, ast.Name) and params and node.id in params:
                node, params = params[node.id], None
            else:
                break
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return self.flag_sites.get(node.attr)
        return None

    def call_site(self, cls: str) -> tuple[list, dict, ast.Call] | None:
        """The arguments the module builds `cls` with, when it builds it once (or always the same way); the
        sites with known arguments decide when there are any."""
        sites = self.calls.get(cls) or self.guessed_calls.get(cls) or []
        if len(sites) == 1:
            return sites[0]
        if sites and all(same_call(s[:2], sites[0][:2]) for s in sites[1:]):
            return sites[0]
        return None


def link_helper_calls(scopes: list) -> None:
    """Run the calls of helpers another file defines, now that the project has linked them: the classes
    they build are recorded where the helper is (`linked_calls`), with the caller's arguments (a call read
    without its own caller's arguments records nothing: that helper's own reading already guessed)."""
    homes = {id(sc.globals): sc for sc in scopes}
    for sc in scopes:
        for name, args, kwargs, guessed in sc.helper_calls:
            fn = sc.globals.get(name)
            if guessed or not isinstance(fn, Func) or not isinstance(fn.scope, ChainMap):
                continue
            home = homes.get(id(fn.scope.maps[-1]))
            if home is None or home is sc:
                continue
            ev = Evaluator(home.src, home.globals, home.steps)
            ev.abstract_loops = True
            ev.record_calls = home._record_linked
            try:
                ev.call_func(fn, args, kwargs)
            except (Budget, RecursionError):
                pass


def _trainer_object(st: ast.ClassDef) -> bool:
    """A plain class (no base, or `object`) whose __init__ stores what a call returns on self: a trainer."""
    if any(dotted(b) != "object" for b in st.bases) or st.keywords or st.decorator_list:
        return False
    init = next((s for s in st.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
    return init is not None and any(
        isinstance(s, ast.Assign) and isinstance(s.value, ast.Call) and any(
            isinstance(e, ast.Attribute) and dotted(e.value) == "self"
            for t in s.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t]))
        for s in init.body)


def same_call(a: tuple, b: tuple) -> bool:
    plain = (int, float, str, bool, type(None), tuple, NNClass, TorchFunc)
    (aa, ak), (ba, bk) = a, b
    if len(aa) != len(ba) or set(ak) != set(bk):
        return False
    pairs = list(zip(aa, ba)) + [(ak[k], bk[k]) for k in ak]
    return all(isinstance(x, plain) and type(x) is type(y) and x == y or x is y for x, y in pairs)


def _is_main_test(test: ast.AST) -> bool:
    return isinstance(test, ast.Compare) and dotted(test.left) == "__name__"


def _main_block(tree: ast.Module) -> list[ast.stmt]:
    for st in tree.body:
        if isinstance(st, ast.If) and _is_main_test(st.test):
            return st.body
    return []


__all__ = ["ModuleScope", "link_helper_calls", "read_flags", "same_call"]
