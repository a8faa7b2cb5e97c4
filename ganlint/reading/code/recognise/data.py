"""Seeds, data loads, normalisations, random calls inside forward."""
from __future__ import annotations

import ast
import re

from ganlint.reading.code.astutil import call_name, last, literal, names_in
from ganlint.reading.code.facts import Marker, role_from_name

SEED_FUNCS = {"manual_seed", "manual_seed_all", "seed_everything", "set_seed", "set_random_seed", "seed_all"}
DATA_LOADS = {
    "np.load", "numpy.load", "np.loadtxt", "numpy.loadtxt", "np.genfromtxt", "numpy.genfromtxt", "np.fromfile",
    "pd.read_csv", "pandas.read_csv", "pd.read_parquet", "pd.read_pickle", "pd.read_excel", "pd.read_table",
    "pd.read_json", "pd.read_feather", "h5py.File", "loadmat", "scipy.io.loadmat", "sio.loadmat", "read_csv",
}
NORM_CALLS = {"Normalize", "StandardScaler", "MinMaxScaler", "RobustScaler", "normalize", "scale", "zscore",
              "standardize", "whiten", "MaxAbsScaler", "QuantileTransformer", "PowerTransformer"}
RANDOM_TORCH = {"rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson"}
DATA_VAR = re.compile(r"data|dataset|samples|points|^x$|^x_|train|real|^X|^ds$|^df|frame|inputs|images|imgs|batch", re.I)


def _may_act(name: str | None, ln: str) -> bool:
    """Whether some test of on_call can hold for a callee so named: the name parts of its tests, decided once
    per distinct (dotted name, last name) instead of every test for every call."""
    key = (name, ln)
    got = _ACTS.get(key)
    if got is None:
        dotted_name = name or ""
        got = _ACTS[key] = bool(
            ln in SEED_FUNCS or dotted_name.endswith("random.seed") or ln in ("default_rng", "RandomState", "Random")
            or name in DATA_LOADS or ("datasets." in dotted_name and ln[:1].isupper() and ln != "Dataset")
            or ln in NORM_CALLS or name in ("preprocessing.scale", "sklearn.preprocessing.scale")
            or ln in ("div", "div_")
            or name and (name.startswith("random.") or ".random." in f".{name}" and name.split(".")[0] in ("np", "numpy")
                         or name.startswith("torch.") and ln in RANDOM_TORCH))
    return got


_ACTS: dict[tuple[str | None, str], bool] = {}


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if not _may_act(name, ln):
        return False
    f = r.f
    fn = r.funcs[-1]
    if ln in SEED_FUNCS or (name or "").endswith("random.seed") or (ln in ("default_rng", "RandomState", "Random") and n.args):
        f.seeds.append(Marker("seed", r.src.loc(n), name or ""))
    if name in DATA_LOADS and (r.stmt_target is None or DATA_VAR.search(r.stmt_target.rsplit(".", 1)[-1])):
        # loaded into a data-like name (or used directly); `weights = np.load(...)` is not data
        f.data_loads.append(Marker(name, r.src.loc(n), r.src.seg(n), r.scope()))
    if name and "datasets." in name and ln[:1].isupper() and ln not in ("Dataset",):
        if any(k.arg in ("transform", "transforms") for k in n.keywords):
            f.normalizations.append(Marker("dataset-transform", r.src.loc(n), ln))
        else:
            f.data_loads.append(Marker(name, r.src.loc(n), r.src.seg(n), r.scope()))
    if ln in NORM_CALLS and ln != "scale" or (name in ("preprocessing.scale", "sklearn.preprocessing.scale")):
        f.normalizations.append(Marker(ln, r.src.loc(n), name or ""))
    if isinstance(n.func, ast.Attribute) and n.func.attr in ("div", "div_") and isinstance(n.func.value, ast.Call) \
            and isinstance(n.func.value.func, ast.Attribute) and n.func.value.func.attr in ("sub", "sub_"):
        f.normalizations.append(Marker("standardize", r.src.loc(n), r.src.seg(n)))
    # random calls inside forward / circuit construction
    if name and (fn.name in ("forward", "__call__") or "circuit" in fn.name.lower()
                 or (r.classes and "circuit" in r.classes[-1].lower())):  # (no random call without a name)
        rnd = None
        if name and (name.startswith("random.") or ".random." in f".{name}" and name.split(".")[0] in ("np", "numpy")):
            rnd = name
        elif name and name.startswith("torch.") and ln in RANDOM_TORCH:
            rnd = name
        if rnd:
            cls = r.classes[-1] if r.classes else None
            f.random_calls.append(Marker(rnd, r.src.loc(n), r.src.seg(n), r.scope(), role_from_name(cls) if cls else None))
    return False


def on_binop(r, n: ast.BinOp) -> None:
    if not isinstance(n.op, ast.Div):
        return
    left = n.left
    right_names = {x.lower() for x in names_in(n.right)}
    ok, val = literal(n.right)
    if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Sub):
        r.f.normalizations.append(Marker("standardize", r.src.loc(n), r.src.seg(n)))
    elif any("std" in x or "sigma" in x or "scale" in x or x in ("max", "norm") for x in right_names):
        r.f.normalizations.append(Marker("scale", r.src.loc(n), r.src.seg(n)))
    elif ok and val in (255, 255.0, 127.5, 256):
        r.f.normalizations.append(Marker("scale-255", r.src.loc(n), r.src.seg(n)))


def on_assign(r, target: ast.AST, tname: str | None, value: ast.AST, st: ast.stmt) -> None:
    if not tname:
        return
    short = tname.rsplit(".", 1)[-1]
    if isinstance(value, ast.Call) and call_name(value) == "torch.load" and DATA_VAR.search(short):
        r.f.data_loads.append(Marker("torch.load", r.src.loc(value), r.src.seg(value), r.scope()))
