"""CodeFacts: what the model/training code says, read from its syntax tree (never executed).

Plain dataclasses, each fact with the Location a rule reports at. `ganlint.reading.code.reader` fills them;
rules only read them. Columns are 1-based; `end_column` is exclusive (SARIF style).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ganlint.core.types import Location
from ganlint.reading.code.code_families import FamilyEvidence

# -- roles from names: the one recogniser (ganlint.core.roles) -------------------------------------
from ganlint.core.roles import role_from_name  # noqa: E402,F401  (re-exported: rules and readers import it here)


# -- small value holders -------------------------------------------------------------------------
@dataclass(eq=False, repr=False)
class ConfigRef:
    """Where the code reads a config key: cfg["nn_gen"], self.args['vae_lr'], args.lr, config.model.lr."""

    key: str  # trailing keys, dotted: "nn_gen", "data.std", "model.lr"
    location: Location

    @property
    def leaf(self) -> str:
        return self.key.rsplit(".", 1)[-1]


@dataclass(eq=False, repr=False)
class Arg:
    """An argument value: a literal, a config key, or neither (then only its source text is known)."""

    src: str
    location: Location
    literal: Any = None
    has_literal: bool = False
    ref: ConfigRef | None = None


# -- networks ------------------------------------------------------------------------------------
@dataclass(eq=False, repr=False)
class Layer:
    kind: str  # "Linear", "Sigmoid", "BatchNorm1d", "by-name" (getattr(nn, name)), "unknown"
    location: Location
    is_activation: bool = False
    weighted: bool = False  # Linear/Conv/...: a layer with weights
    width: int | None = None  # out features when literal
    width_from_loop: str | None = None  # the __init__ parameter the loop over widths iterates
    in_loop: bool = False
    by_name_param: str | None = None  # getattr(nn, <param>): the __init__ parameter
    by_name_key: str | None = None  # getattr(nn, cfg["act"]): the config key
    by_name_default: str | None = None
    getattr_location: Location | None = None  # the getattr(...) call
    in_width: int | None = None  # in features/channels when known (construct/ evaluates them)
    params: int | None = None  # estimated parameter count (None: unknown)
    params_min: int | None = None  # its count with an unknown in/out width taken as 1: fewer it cannot have
    params_slope: tuple[int, str] | None = None  # (parameters per unit of its one unknown width, "in"/"out")
    certain: bool = True  # False: made under a condition the code does not decide
    in_origin: Location | None = None  # where its in width is written: `N_IDEAS = 5`, a flag's default
    block_width: int | None = None  # a user submodule (a residual block): the widest channels its layers make


@dataclass(eq=False, repr=False)
class Stack:
    attr: str  # "model" for self.model = nn.Sequential(...)
    kind: str  # "sequential" | "modulelist"
    layers: list[Layer]
    location: Location


@dataclass(eq=False, repr=False)
class Activation:
    """An activation applied in a network, with its position."""

    name: str  # "Sigmoid", "Tanh", ..., or "by-name"
    location: Location
    network: str
    role: str | None
    position: str  # "hidden" | "final" | "unknown"
    via: str  # "module" (in a stack) | "functional" | "attribute" | "by-name"
    scaled: bool = False  # result multiplied/offset afterwards
    scale: float | None = None  # literal multiplier applied after (None: none or unknown; see scaled)
    offset: float | None = None
    arg_src: str | None = None  # functional: source of the argument (for fixes)
    call_src: str | None = None
    by_name_param: str | None = None
    by_name_key: str | None = None
    getattr_location: Location | None = None


@dataclass(eq=False, repr=False)
class EnergyHead:
    """An energy network whose forward ends in a sigmoid (read by the energy rules on bounded energies)."""

    network: str
    location: Location  # the sigmoid applied in forward (or the stack's last Sigmoid)
    bounded_sigmoid: bool  # True: the sigmoid output is used with no scale (band width <= 1)
    scale: float | None = None  # literal scale when known (1.0 when none)
    offset: float | None = None
    call_src: str | None = None
    arg_src: str | None = None


@dataclass(eq=False, repr=False)
class Network:
    name: str
    role: str | None
    location: Location
    bases: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # __init__ parameters without self
    own_init: bool = False  # the class body defines __init__ (else a call runs its base's)
    stacks: list[Stack] = field(default_factory=list)
    attr_layers: dict[str, Layer] = field(default_factory=dict)  # self.x = nn.Linear(...)
    attr_values: dict[str, Any] = field(default_factory=dict)  # self.scale = 2.0 (literals only)
    optimizer_attrs: dict[str, str] = field(default_factory=dict)  # self.optimizer = torch.optim.Adam (a class)
    activations: list[Activation] = field(default_factory=list)
    norms: list[Layer] = field(default_factory=list)  # BatchNorm*/LayerNorm/GroupNorm/InstanceNorm
    final_sigmoid: Activation | None = None  # what forward returns is a sigmoid (or the stack ends in one)
    is_module: bool = False  # a direct nn.Module subclass (subclasses of those are resolved in CodeFacts)
    layer_widths: list[int | None] | None = None  # out widths of the weighted layers in order (None: unknown)
    layer_kinds: list[str] | None = None  # the torch kind of each of those layers (Linear, Conv2d, ...)
    param_affine: tuple[int, int, str] | None = None  # (slope, constant, "in"/"out"): the count in the image size
    projected_channels: int | None = None  # a Linear projection reshaped to a map: the channels the conv after it takes
    output_layers: int = 1  # how many of the last weighted layers are outputs (2: an ACGAN's score and class heads)
    param_count: int | None = None  # estimated parameters, when every layer's count is known
    param_floor: int | None = None  # parameters it has at least: every layer surely built, some sizes unknown
    input_layer: Layer | None = None  # the first weighted layer made: Linear (a latent), Conv2d (an image), ...
    assumed_defaults: list[str] = field(default_factory=list)  # __init__ defaults the shape was read with
    built_at: Location | None = None  # the call site whose arguments the shape was read with
    built_alike: list[Location] = field(default_factory=list)  # other files' calls passing the same arguments
    # widths of the weighted layers and block submodules in order, when it holds blocks and all are known
    channel_widths: list[int] | None = None
    base_widths: dict[str, tuple[int, Location]] = field(default_factory=dict)  # ngf=256 / ndf=128 defaults

    @property
    def batchnorms(self) -> list[Layer]:
        return [n for n in self.norms if n.kind.startswith("BatchNorm") or n.kind == "SyncBatchNorm"]

    @property
    def hidden_widths(self) -> list[int] | None:
        """Literal widths of the weighted layers before the last one in the main stack, when all are known."""
        best = None
        for st in self.stacks:
            w = [l for l in st.layers if l.weighted]
            if len(w) < 2:
                continue
            hidden = [l.width for l in w[:-1]]
            if any(l.in_loop for l in w) or any(h is None for h in hidden):
                continue
            if best is None or len(hidden) > len(best):
                best = hidden
        return best

    @property
    def width_params(self) -> set[str]:
        """__init__ parameters a loop over hidden widths iterates (`for h in hidden_dims:`)."""
        return {l.width_from_loop for st in self.stacks for l in st.layers if l.width_from_loop}


@dataclass(eq=False, repr=False)
class Construction:
    """A call that constructs a class with arguments: MLPGenerator(cfg["non_linearity"], eval(cfg["nn_gen"]))."""

    cls: str
    location: Location
    var: str | None  # the assigned name: "gen", "self.vae"
    positional: list[ConfigRef | None] = field(default_factory=list)
    keywords: dict[str, ConfigRef | None] = field(default_factory=dict)
    scope: str | None = None  # the enclosing function ("Trainer.__init__", "test"), None at module level

    def keys_by_param(self, params: list[str]) -> dict[str, ConfigRef]:
        out: dict[str, ConfigRef] = {}
        for name, ref in zip(params, self.positional):
            if ref is not None:
                out[name] = ref
        for name, ref in self.keywords.items():
            if ref is not None:
                out[name] = ref
        return out


from ganlint.reading.code.facts_training import (  # noqa: E402,F401  (re-exported)
    Optimizer, LossCall, CriticLoop, StepLoop, LossChoice, SigmoidBCE, UndetachedFake, GradCall, WeightClip, GradClip, Marker, ExpUse, KLWeight, TORCH_DEFAULT_LR,
)


def norm_var(name: str) -> str:
    return name.lower().replace("_", "")


def _by_class(constructions: list[Construction]) -> dict[str, list[Construction]]:
    by_cls: dict[str, list[Construction]] = {}
    for c in constructions:
        by_cls.setdefault(c.cls, []).append(c)
    return by_cls


@dataclass(eq=False, repr=False)
class CodeFacts(FamilyEvidence):
    networks_all: list[Network] = field(default_factory=list)  # every class read (module or not)
    constructions: list[Construction] = field(default_factory=list)
    config_keys: set[str] = field(default_factory=set)  # every config key the code reads
    optimizers: list[Optimizer] = field(default_factory=list)
    optimizer_choices: list = field(default_factory=list)  # (Optimizer, config key, table): class named by a setting
    losses: list[LossCall] = field(default_factory=list)
    sigmoid_bces: list[SigmoidBCE] = field(default_factory=list)
    critic_loops: list[CriticLoop] = field(default_factory=list)
    step_loops: list[StepLoop] = field(default_factory=list)  # loops updating critic and generator once each
    loss_choices: list[LossChoice] = field(default_factory=list)  # flags choosing a Wasserstein or another loss
    loop_calls: set[str] = field(default_factory=set)  # names of the functions called inside a loop's body
    file_loop_calls: set[tuple[str, str]] = field(default_factory=set)  # (file, name) of those calls
    # what reads a setting: attribute names (and string keys) loaded, `self.x = cfg.key` copies, parameter names
    attr_loads: dict[str, int] = field(default_factory=dict)  # name -> how many loads (`obj.name`, `x['name']`)
    config_copies: list[tuple[str, str]] = field(default_factory=list)  # (the key's last part, the attribute)
    param_names: set[str] = field(default_factory=set)  # every function parameter's name (`**vars(args)` lands there)
    critic_bces: list[Marker] = field(default_factory=list)  # BCE calls on a discriminator's output
    langevin: list[Marker] = field(default_factory=list)  # SGLD / Langevin sampling from the model (one per file)
    undetached_fakes: list[UndetachedFake] = field(default_factory=list)
    grad_calls: list[GradCall] = field(default_factory=list)
    weight_clips: list[WeightClip] = field(default_factory=list)
    grad_clips: list[GradClip] = field(default_factory=list)
    schedulers: list[Marker] = field(default_factory=list)  # LambdaLR, ..., warm-up functions, lr scaling
    seeds: list[Marker] = field(default_factory=list)
    random_calls: list[Marker] = field(default_factory=list)  # in forward / circuit construction
    data_loads: list[Marker] = field(default_factory=list)
    normalizations: list[Marker] = field(default_factory=list)
    kl_terms: list[Marker] = field(default_factory=list)
    logvar_exps: list[ExpUse] = field(default_factory=list)
    clamped_logvars: set[str] = field(default_factory=set)  # norm_var() names clamped anywhere
    # (file, norm_var() name) of log-variances that are a module's own nn.Parameter: `self.log_std =
    # nn.Parameter(torch.zeros(d))` of a Gaussian density or a policy, not an encoder's output
    parameter_logvars: set[tuple[str, str]] = field(default_factory=set)
    kl_weights: list[KLWeight] = field(default_factory=list)
    kl_annealing: list[Marker] = field(default_factory=list)
    reparameterisations: list[Marker] = field(default_factory=list)
    infonce: list[Marker] = field(default_factory=list)
    backward_calls: list[Marker] = field(default_factory=list)
    optimizer_steps: list[Marker] = field(default_factory=list)
    # optimizer helpers (path, name, Source, factory) and the calls of imported ones, linked over the project
    optimizer_factories: list[Any] = field(default_factory=list)
    imported_optimizer_calls: list[Any] = field(default_factory=list)
    stored_optimizer_calls: list[Any] = field(default_factory=list)  # G.optimizer(G.parameters(), lr=lr)
    helper_terms: list[Any] = field(default_factory=list)  # (file, helper, position, sign, p): -log(1 - p) returned
    helper_term_uses: list[Any] = field(default_factory=list)  # a G/decoder loss built from a helper's outputs
    construction_scopes: list[Any] = field(default_factory=list)  # construct/: each file's scope, for call sites across files
    latent_heads: list[Any] = field(default_factory=list)  # Settings: a VAE's literal mean / log-variance head width
    local_settings: list[Any] = field(default_factory=list)  # Settings: `z_size = 512` in main(), passed to a network
    default_settings: list[Any] = field(default_factory=list)  # (class, param, index, Setting, required positionals, unread by its class): a trainer's defaults
    call_shapes: list[Any] = field(default_factory=list)  # (class, written positional count, keyword names, splat "kw"/"pos"/"", numbers) per call
    penalty_weights: set[str] = field(default_factory=set)  # names multiplying a gradient penalty: opt.lambda_1 * gp
    skipped_calls: dict[str, int] = field(default_factory=dict)  # name -> calls in arms the default run skips
    branch_calls: list[tuple[str, str, tuple]] = field(default_factory=list)  # (file, name, if arms): calls under a flag's value
    penalty_literals: list[tuple[Arg, str]] = field(default_factory=list)  # (number, term): 0.2 * gradient_penalty(...)
    # fakes whose generation or D step is in another function (resolved over the project: gan.resolve_fakes)
    fake_methods: set[str] = field(default_factory=set)  # generator methods returning its output: def sample(self, n)
    method_fakes: list[Any] = field(default_factory=list)  # (method, UndetachedFake): D(G.sample(n)) in a D step
    helper_fakes: list[Any] = field(default_factory=list)  # (function, UndetachedFake): a loss helper returning D(G(z))
    d_step_helpers: set[str] = field(default_factory=set)  # functions whose result a D step back-propagates
    g_step_helpers: set[str] = field(default_factory=set)  # ... and a G step
    forward_fakes: list[Any] = field(default_factory=list)  # (class, return position or None, UndetachedFake): a forward returning D(G(z))
    forward_uses: list[Any] = field(default_factory=list)  # (class, positions or None, UndetachedFake): a D step on net(x)'s output
    judged_fakes: list[Any] = field(default_factory=list)  # Locations: a critic applied to a generator's or decoder's output
    config_splats: list[Any] = field(default_factory=list)  # (section, class, Location): Model(**config["model_params"])
    fake_makers: set[tuple[str, str]] = field(default_factory=set)  # (file, callee): what made a batch a critic judges (`vae.decoder`)

    # -- derived views ----------------------------------------------------------------------------
    @property
    def networks(self) -> list[Network]:
        """nn.Module subclasses, including subclasses of the user's own nn.Module subclasses."""
        by_name = {n.name: n for n in self.networks_all}
        memo: dict[str, bool] = {}

        def is_mod(name: str, depth: int = 0) -> bool:
            if name in memo:
                return memo[name]
            net = by_name.get(name)
            ok = False
            if net is not None and depth < 20:
                ok = net.is_module or any(is_mod(b.rsplit(".", 1)[-1], depth + 1) for b in net.bases)
            memo[name] = ok
            return ok

        return [n for n in self.networks_all if is_mod(n.name)]

    def networks_with_role(self, *roles: str) -> list[Network]:
        return [n for n in self.networks if n.role in roles]

    def network(self, name: str) -> Network | None:
        for n in self.networks:
            if n.name == name:
                return n
        return None

    @property
    def energy_heads(self) -> list[EnergyHead]:
        out = []
        for net in self.networks_with_role("energy"):
            act = net.final_sigmoid
            if act is None:
                continue
            scale = act.scale
            out.append(
                EnergyHead(
                    network=net.name,
                    location=act.location,
                    bounded_sigmoid=not act.scaled or (scale is not None and scale <= 1.0),
                    scale=1.0 if not act.scaled else scale,
                    offset=act.offset,
                    call_src=act.call_src,
                    arg_src=act.arg_src,
                )
            )
        return out

    def posterior_logvar_exps(self) -> list[ExpUse]:
        """The exps of a log-variance that is no learned nn.Parameter of its module (VAE evidence)."""
        own = self.parameter_logvars
        return [e for e in self.logvar_exps if (e.location.file, norm_var(e.var)) not in own] if own else self.logvar_exps

    @property
    def penalties(self) -> list[GradCall]:
        return [g for g in self.grad_calls if g.is_penalty]

    def indexed(self, field_name: str, build):
        """`build(self.<field_name>)`, made once per state of that list (same list, same length) and kept:
        lookups asked once per network would otherwise rescan the list each time (quadratic)."""
        items = getattr(self, field_name)
        key = f"_index_{field_name}_{getattr(build, '__name__', id(build))}"
        got = self.__dict__.get(key)
        if got is None or got[0] is not items or got[1] != len(items):
            got = self.__dict__[key] = (items, len(items), build(items))
        return got[2]

    def constructions_of(self, cls: str) -> list[Construction]:
        return list(self.indexed("constructions", _by_class).get(cls, ()))

    def role_of_var(self, var: str | None) -> str | None:
        if not var:
            return None
        for c in self.constructions:
            if c.var == var:
                net = self.network(c.cls)
                if net is not None and net.role:
                    return net.role
                r = role_from_name(c.cls)
                if r:
                    return r
        return role_from_name(var.rsplit(".", 1)[-1])

    def merge(self, other: "CodeFacts") -> None:
        for f in fields(self):
            mine = getattr(self, f.name)
            theirs = getattr(other, f.name)
            if isinstance(mine, set):
                mine |= theirs
            elif isinstance(mine, dict):  # counts
                for k, v in theirs.items():
                    mine[k] = mine.get(k, 0) + v
            else:
                mine.extend(theirs)
