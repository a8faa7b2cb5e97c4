"""Abstract values of the construction interpreter."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Unknown:
    """A value the code does not fix. `param`: the constructor parameter it comes from; `key`: the config
    key it reads; `loop`: the parameter a loop over unknown sizes iterates (one abstract iteration)."""

    __slots__ = ("param", "key", "loop", "config")

    def __init__(self, param: str | None = None, key: str | None = None, loop: str | None = None,
                 config: bool = False):
        self.param, self.key, self.loop, self.config = param, key, loop, config

    def __repr__(self) -> str:
        return f"Unknown({self.param or ''}{'/' + self.key if self.key else ''})"


UNKNOWN = Unknown()


class OptimizerClass(Unknown):
    """`torch.optim.Adam` named, not called (`self.optimizer = torch.optim.RMSprop if wass else torch.optim.Adam`):
    unknown to the construction, remembered by name for the network that stores it."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        super().__init__()
        self.name = name
ABSENT = object()  # "no such name", distinct from every value


def lookup(env: Any, name: str) -> Any:
    """env[name] for a ChainMap scope, or ABSENT, without ChainMap's generator per lookup."""
    for m in env.maps:
        if name in m:
            return m[name]
    return ABSENT


def known(value: Any) -> bool:
    return not isinstance(value, Unknown)


class KeyStr(str):
    """A string read from a config key: `getattr(nn, cfg.activation)` must report at that key."""

    key: str = ""


def keyed(value: Any, key: str | None) -> Any:
    if key and isinstance(value, str) and not isinstance(value, KeyStr):
        s = KeyStr(value)
        s.key = key
        return s
    return value


@dataclass
class Namespace:
    """A parsed-flags or config object: opt = parser.parse_args(); FLAGS; cfg with known keys."""

    values: dict[str, Any]
    prefix: str = ""

    def get(self, name: str) -> Any:
        key = f"{self.prefix}{name}"
        if name in self.values:
            v = self.values[name]
            return Namespace(v, key + ".") if isinstance(v, dict) else keyed(v, key)
        return Unknown(key=key)


@dataclass(frozen=True)
class NNClass:
    """A torch.nn class used as a value: `act = nn.ReLU`, `norm_layer=nn.BatchNorm2d`."""

    name: str


@dataclass(frozen=True)
class TorchFunc:
    """A torch function used as a value: `f = torch.sigmoid` passed as an activation."""

    name: str  # last part: sigmoid, tanh, relu


@dataclass
class ByName:
    """getattr(nn, name) with the name unknown here: a class picked by name (param or config key)."""

    param: str | None
    key: str | None
    default: str | None
    location: Any  # the getattr(...) call


@dataclass
class Func:
    """A user function (module-level def, nested def, method, lambda) with its defining scope."""

    node: Any
    scope: dict[str, Any]
    self_obj: Any = None


@dataclass
class UserClass:
    name: str
    node: Any
    home: Any = field(default=None, compare=False, repr=False)  # the scope of the file defining it, if another


@dataclass
class Instance:
    """An object built by the code: `self` of the class being read, or a user class constructed."""

    cls: str
    attrs: dict[str, Any] = field(default_factory=dict)
    module: Any = None  # the Layer standing for it when used as a submodule
    methods: dict = field(default_factory=dict)


class Seq(list):
    """nn.Sequential / nn.ModuleList: a list of layers with its kind and location."""

    kind = "sequential"
    location = None
