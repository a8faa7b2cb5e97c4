"""Builds the user's own networks (this imports and runs the user's model module: probe only, never check).

Order:
1. an entry point: `--entry module:function` (or `path/to/file.py:function`), else a function named
   `ganlint_networks` in a model file. It is called with the config as a flat dict (`fn(config)`, or `fn()`
   if it takes no argument) and returns the networks as a dict by role ({"generator": G, "critic": D},
   {"vae": V}, {"encoder": E, "decoder": D}, {"energy": E}), optionally with data: `(nets, data)` or a
   dict with a "data" entry.
2. inference: `nn.Module` classes whose names say their role (Generator, Critic/Discriminator, Encoder,
   Decoder, VAE/AutoEncoder, ...Energy...), constructed by matching each `__init__` parameter to the
   settings: role-qualified canonical name first (`nn_gen` -> the generator's `hidden_dims`), then the
   exact key, then the role-less canonical name, then the parameter's default, then the data's dimension
   for input/output-size parameters. A parameter none of these fills stops the build with one message.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any

from ganlint.probe.errors import BuildError, UserCodeError
from ganlint.probe.settings import ProbeSettings, canonical_of, parse_value
from ganlint.probe.trace.locate import _rel

ENTRY_NAME = "ganlint_networks"

DATA_DIM_PARAMS = {"input_dim", "data_dim", "x_dim", "in_dim", "input_size", "obs_dim", "n_features", "in_features"}
OUT_DIM_PARAMS = {"output_dim", "out_dim", "data_dim", "output_size", "x_dim", "out_features"}


@dataclass
class Built:
    networks: dict[str, Any]  # role -> nn.Module
    family: str | None
    data: Any = None  # returned by an entry point, if any
    info: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> class, built_by, args (with origin)
    model_files: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)  # gan_loss, d_sigmoid, ...


def role_of_class(name: str) -> str | None:
    """The role a class name says, by the one recogniser of reading and fixing (ganlint.core.roles)."""
    from ganlint.core.roles import role_from_name

    return role_from_name(name)


def _defines_modules(text: str) -> tuple[list[str], bool]:
    """Class names deriving from (nn.)Module, and whether ganlint_networks is defined (syntax only)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return [], False
    classes, has_entry = [], False
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for b in node.bases:
                name = b.attr if isinstance(b, ast.Attribute) else (b.id if isinstance(b, ast.Name) else "")
                if name in ("Module", "LightningModule"):
                    classes.append(node.name)
        elif isinstance(node, ast.FunctionDef) and node.name == ENTRY_NAME:
            has_entry = True
    return classes, has_entry


def import_user_file(path: str) -> Any:
    """Import a user's Python file as a module, with its directory first on sys.path."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    base = os.path.splitext(os.path.basename(path))[0]
    name = f"_ganlint_user_{abs(hash(path)) % 10**8}_{base}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001
        sys.modules.pop(name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise user_error(exc, f"importing {os.path.basename(path)}") from None
    return module


def user_error(exc: BaseException, doing: str, user_dirs: list[str] | None = None) -> UserCodeError:
    """A UserCodeError pointing at the deepest traceback frame that lies in the user's files."""
    frames = traceback.extract_tb(exc.__traceback__)
    pkg_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(pkg_dir)
            and "site-packages" not in f.filename and not f.filename.startswith("<")]
    if user_dirs:
        mine = [f for f in user if any(os.path.abspath(f.filename).startswith(os.path.abspath(d)) for d in user_dirs)]
        user = mine or user
    if isinstance(exc, SyntaxError) and exc.filename:
        return UserCodeError(f"{doing}: SyntaxError: {exc.msg}", exc.filename, exc.lineno)
    where = user[-1] if user else (frames[-1] if frames else None)
    msg = f"{doing}: {exc.__class__.__name__}: {exc}"
    if where is None:
        return UserCodeError(msg)
    return UserCodeError(msg, _rel(where.filename), where.lineno)


def flat_config(ps: ProbeSettings) -> dict[str, Any]:
    cfg: dict[str, Any] = {}
    for s in ps.settings:
        cfg[s.key] = s.value
        cfg.setdefault(s.leaf, s.value)
    if ps.data_section is not None:
        cfg["data"] = ps.data_section
    return cfg


# -- entry points ------------------------------------------------------------------------------------
def _call_entry(fn: Any, ps: ProbeSettings, where: str) -> tuple[dict[str, Any], Any]:
    try:
        nparams = len([p for p in inspect.signature(fn).parameters.values()
                       if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty])
    except (TypeError, ValueError):
        nparams = 1
    try:
        out = fn(flat_config(ps)) if nparams >= 1 else fn()
    except Exception as exc:  # noqa: BLE001
        raise user_error(exc, f"calling {where}") from None
    data = None
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], dict):
        out, data = out
    if not isinstance(out, dict):
        raise BuildError(f"{where} must return a dict of networks by role (e.g. {{'generator': G, 'critic': D}}), "
                         f"got {type(out).__name__}")
    out = dict(out)
    if "data" in out:
        data = out.pop("data")
    nets = {}
    for k, v in out.items():
        role = k if k in ("generator", "critic", "encoder", "decoder", "vae", "energy") else role_of_class(k)
        if role is None:
            raise BuildError(f"{where} returned a network under {k!r}; use one of generator, critic, encoder, "
                             "decoder, vae, energy")
        nets[role] = v
    return nets, data


def resolve_entry(entry: str, model_files: list[str], user_dirs: list[str] | None = None) -> tuple[Any, str]:
    if ":" not in entry:
        raise BuildError(f"--entry {entry!r}: write it as module:function or path/to/file.py:function")
    mod_name, fn_name = entry.rsplit(":", 1)
    local = [os.path.join(d, *mod_name.split(".")) + ".py" for d in (user_dirs or [])]
    local = [f for f in local if os.path.isfile(f)]
    if local:  # a file next to the given paths wins over anything importable of the same name
        mod_name = local[0]
    if mod_name.endswith(".py") or os.path.sep in mod_name:
        if not os.path.isfile(mod_name):
            raise BuildError(f"--entry {entry!r}: no such file {mod_name}")
        module = import_user_file(mod_name)
    else:
        for f in model_files:
            folder = os.path.dirname(os.path.abspath(f))
            if folder not in sys.path:
                sys.path.insert(0, folder)
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name and mod_name.startswith(exc.name):
                raise BuildError(f"--entry {entry!r}: cannot import module {mod_name!r}") from None
            raise user_error(exc, f"importing {mod_name}") from None
        except Exception as exc:  # noqa: BLE001
            raise user_error(exc, f"importing {mod_name}") from None
    fn = getattr(module, fn_name, None)
    entry = f"{os.path.basename(mod_name) if mod_name.endswith('.py') else mod_name}:{fn_name}"
    if not callable(fn):
        raise BuildError(f"--entry {entry!r}: {mod_name} has no function {fn_name!r}")
    return fn, entry


# -- inference --------------------------------------------------------------------------------------
def _param_value(cls: type, role: str, pname: str, param: inspect.Parameter, ps: ProbeSettings,
                 dims: dict[str, int | None]) -> tuple[Any, str] | None:
    canon, prole = canonical_of(pname)
    # the parameter's own name may carry a role ("gen_hidden" in a joint class): respect it
    want_role = prole or role
    if canon:
        s = ps.find(canon, want_role)
        if s is not None and s.role == want_role and s.role is not None:
            return _coerce(parse_value(s.value), param), f"{s.location.file}:{s.location.line} ({s.key})"
    exact = [s for s in ps.settings if s.leaf == pname and (s.role in (None, role) or s.role == want_role)]
    if exact:
        s = exact[-1]
        return _coerce(parse_value(s.value), param), f"{s.location.file}:{s.location.line} ({s.key})"
    if canon:
        s = ps.find(canon, want_role)
        if s is not None and canon != "data_dim":
            return _coerce(parse_value(s.value), param), f"{s.location.file}:{s.location.line} ({s.key})"
    if param.default is not inspect.Parameter.empty:
        return param.default, "default"
    if canon == "data_dim" or pname in DATA_DIM_PARAMS or pname in OUT_DIM_PARAMS:
        if dims.get("data_dim"):
            return dims["data_dim"], "data"
    if canon == "hidden_sizes":
        s = ps.find("hidden_sizes", "any")
        if s is not None:
            return _coerce(parse_value(s.value), param), f"{s.location.file}:{s.location.line} ({s.key})"
    if canon == "latent_dim":
        s = ps.find("latent_dim", "any")
        if s is not None:
            return parse_value(s.value), f"{s.location.file}:{s.location.line} ({s.key})"
    return None


def _coerce(value: Any, param: inspect.Parameter) -> Any:
    """An activation name where the parameter's default is a class/function becomes that nn class."""
    if isinstance(value, str) and param.default is not inspect.Parameter.empty and not isinstance(param.default, str) \
            and param.default is not None:
        import torch.nn as nn

        return getattr(nn, value, value)
    return value


def _construct(cls: type, role: str, ps: ProbeSettings, dims: dict[str, int | None], path: str,
               user_dirs: list[str]) -> tuple[Any, dict[str, Any]]:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        sig = None
    kwargs: dict[str, Any] = {}
    used: dict[str, Any] = {}
    if sig is not None:
        for pname, param in list(sig.parameters.items())[1:]:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            got = _param_value(cls, role, pname, param, ps, dims)
            if got is None:
                line = inspect.getsourcelines(cls)[1] if _has_source(cls) else 1
                raise BuildError(
                    f"cannot build the {role} {cls.__name__}: no setting fills its __init__ parameter {pname!r} "
                    f"(tried keys matching {pname!r} and its canonical name for role {role}, no default). "
                    f"Add `{pname}: ...` to the config, or name a function that returns the networks: "
                    f"--entry {os.path.splitext(os.path.basename(path))[0]}:make_networks "
                    f"(or define {ENTRY_NAME}(config) in {os.path.basename(path)})",
                    _rel(path), line,
                )
            value, origin = got
            kwargs[pname] = value
            used[pname] = {"value": value if isinstance(value, (int, float, str, list, bool, type(None))) else repr(value),
                           "from": origin}
    try:
        net = cls(**kwargs)
    except Exception as exc:  # noqa: BLE001
        raise user_error(exc, f"constructing {cls.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})",
                         user_dirs) from None
    return net, used


def _has_source(cls: type) -> bool:
    try:
        inspect.getsourcelines(cls)
        return True
    except (OSError, TypeError):
        return False


def detect_family(roles: set[str], ps: ProbeSettings, texts: dict[str, str], networks: dict[str, Any]) -> str | None:
    text = "\n".join(texts.values())
    canon = {s.canonical for s in ps.settings if s.canonical}
    if {"generator", "critic"} <= roles:
        if "gp_weight" in canon or re.search(r"autograd\.grad\(", text):
            return "wgan-gp"
        if "clip_value" in canon or re.search(r"\.clamp_\(", text):
            return "wgan"
        if "n_critic" in canon:
            return "wgan-gp"
        return "gan"
    if roles & {"vae"} or {"encoder", "decoder"} <= roles:
        return "vae"
    if "energy" in roles:
        return "energy"
    return None


def gan_loss_kind(texts: dict[str, str]) -> str:
    """'minimax' when the code minimises log(1 - D(G(z))), else 'non-saturating'."""
    text = "\n".join(texts.values())
    if re.search(r"log\(\s*1\s*-\s*\w*\(?\s*\w+\(", text) or re.search(r"log1p\(\s*-\s*\w+\(", text):
        return "minimax"
    return "non-saturating"


def build(model_files: list[str], ps: ProbeSettings, *, entry: str | None = None, data_dim: int | None = None,
          family: str | None = None, user_dirs: list[str] | None = None) -> Built:
    texts = {f: ps.facts.texts[f] for f in model_files if f in ps.facts.texts}  # read once, by read_settings
    user_dirs = user_dirs or sorted({os.path.dirname(os.path.abspath(f)) for f in model_files})
    info: dict[str, dict[str, Any]] = {}
    nets: dict[str, Any] = {}
    data = None
    # (1) entry points
    fn, where = None, None
    if entry:
        fn, where = resolve_entry(entry, model_files, user_dirs)
    else:
        for f, t in texts.items():
            if _defines_modules(t)[1]:
                fn, where = getattr(import_user_file(f), ENTRY_NAME), f"{os.path.basename(f)}:{ENTRY_NAME}"
                break
    if fn is not None:
        nets, data = _call_entry(fn, ps, where)
        for role, net in nets.items():
            info[role] = {"class": type(net).__name__, "built_by": f"entry {where}", "args": {}}
    else:
        # (2) inference from class names
        candidates: dict[str, tuple[type, str]] = {}
        for f, t in texts.items():
            classes, _ = _defines_modules(t)
            if not classes:
                continue
            module = import_user_file(f)
            for cname in classes:
                role = role_of_class(cname)
                cls = getattr(module, cname, None)
                if role and isinstance(cls, type) and role not in candidates:
                    candidates[role] = (cls, f)
        if not candidates:
            raise BuildError(
                "found no nn.Module class whose name says its role (Generator, Critic/Discriminator, Encoder, "
                f"Decoder, VAE, ...Energy...) in {', '.join(model_files) or 'the given paths'}. Define "
                f"{ENTRY_NAME}(config) returning {{'generator': G, 'critic': D}} (or vae/energy), or pass --entry module:function"
            )
        if "vae" in candidates:
            candidates.pop("encoder", None)
            candidates.pop("decoder", None)
        dims = {"data_dim": data_dim}
        for role in ("generator", "critic", "vae", "encoder", "decoder", "energy"):
            if role not in candidates:
                continue
            cls, f = candidates[role]
            net, used = _construct(cls, role, ps, dims, f, user_dirs)
            nets[role] = net
            info[role] = {"class": cls.__name__, "file": _rel(f), "built_by": "inference", "args": used}
    import torch.nn as nn

    for role, net in nets.items():
        if not isinstance(net, nn.Module):
            raise BuildError(f"the {role} is a {type(net).__name__}, not a torch.nn.Module")
        info[role]["parameters"] = int(sum(p.numel() for p in net.parameters()))
    fam = family or detect_family(set(nets), ps, texts, nets)
    if fam is None:
        raise BuildError(f"cannot tell the model family from networks {sorted(nets)}; pass --family "
                         "wgan-gp|wgan|gan|vae|energy")
    extras = {"gan_loss": gan_loss_kind(texts)}
    if "critic" in nets:
        mods = [m for m in nets["critic"].modules() if not list(m.children())]
        extras["d_sigmoid"] = bool(mods) and isinstance(mods[-1], nn.Sigmoid)
    return Built(nets, fam, data, info, list(model_files), texts, extras)


def model_files_in(files: list[str], texts: dict[str, str] | None = None) -> list[str]:
    """The Python files that define nn.Module classes or the entry function (`texts`: those already read)."""
    out = []
    for f in files:
        if not f.endswith(".py"):
            continue
        try:
            if texts is not None and f in texts:
                text = texts[f]
            else:
                with open(f, encoding="utf-8-sig") as fh:
                    text = fh.read()
            classes, has_entry = _defines_modules(text)
        except OSError:
            continue
        if classes or has_entry:
            out.append(f)
    return out
