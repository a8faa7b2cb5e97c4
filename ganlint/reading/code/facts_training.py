"""Training facts read from the code: optimizers, losses, D/G steps, penalties, clipping, markers, VAE terms.

Plain dataclasses (see facts.py for the networks and CodeFacts, which re-exports these)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ganlint.core.types import Location

if TYPE_CHECKING:
    from ganlint.reading.code.facts import Arg

# -- training ------------------------------------------------------------------------------------
# torch.optim defaults (torch 2.x signatures): what an optimizer built without lr= trains at
TORCH_DEFAULT_LR = {"Adam": 1e-3, "AdamW": 1e-3, "RAdam": 1e-3, "NAdam": 2e-3, "Adamax": 2e-3, "RMSprop": 1e-2,
                    "Adagrad": 1e-2}

@dataclass(eq=False, repr=False)
class Optimizer:
    cls: str  # Adam, AdamW, RMSprop, SGD, ...
    location: Location
    var: str | None
    params_src: str | None
    network_var: str | None  # "gen" for gen.parameters()
    role: str | None  # role of that network when the code says
    kwargs: dict[str, Arg] = field(default_factory=dict)
    call_src: str = ""
    trains: tuple[str | None, ...] = ()  # the roles of every network it optimises (InfoGAN's Q step: G and D)
    opaque: bool = False  # `**optim_kwargs` / `*args` in the call: keywords not written out may be set there
    forwards_keywords: bool = True  # False: built by a helper that passes no **kwargs on (a keyword added breaks it)
    tensors: bool = False  # over plain tensors, no network's parameters: `Adam([latent_in] + noises)` (GAN inversion)
    # keyword -> each literal it takes in some run its file makes (`lr=lr_d` with lr_d = 2e-4 if case <= 7 else
    # 1e-3, and `for i in range(10): train(i)`): several numbers, so kwargs holds no one literal for it
    reached: dict[str, list[Arg]] = field(default_factory=dict)

    @property
    def is_adam(self) -> bool:
        return self.cls in ("Adam", "AdamW", "NAdam", "RAdam", "Adamax")

    @property
    def default_lr(self) -> float | None:
        """torch.optim's default learning rate when the call gives none (Adam() trains at 1e-3)."""
        if "lr" in self.kwargs or self.opaque:
            return None
        return TORCH_DEFAULT_LR.get(self.cls)


@dataclass(eq=False, repr=False)
class LossCall:
    kind: str  # "bce" | "bce_logits" | "saturating" | "wgan"
    location: Location
    src: str = ""
    arg_src: str | None = None  # saturating: the D(G(z)) expression
    var: str | None = None  # bce: the name a loss object is assigned to (`criterion = nn.BCELoss()`)


@dataclass(eq=False, repr=False)
class CriticLoop:
    """`for _ in range(N):` whose body steps the critic's optimizer and not the generator's; or (kind
    "modulo") `if i % N == 0:` around the generator's step in a loop stepping the critic every iteration."""

    location: Location  # the for statement (the if statement)
    count: Arg  # N: a literal, a config read (opt.n_critic), or neither
    kind: str = "range"  # "range" | "modulo"
    passed: bool = False  # N is the function's parameter and `count` the literal its call passes (`D_steps=1`)


@dataclass(eq=False, repr=False)
class StepLoop:
    """A training loop whose every iteration steps the critic's optimizer and, unconditionally, the generator's,
    with no inner loop repeating either: one critic update (however many `.step()` calls it takes: a loss step
    and a penalty step) per generator update."""

    location: Location  # the for statement (or the def of a step function)
    critic_steps: int  # the critic optimizer's `.step()` calls in one iteration
    function: str | None = None  # a function without loops doing the same (`def train_step(self, x)`): one
    # iteration when a loop calls it (CodeFacts.loop_calls)
    critic_step: Location | None = None  # the critic optimizer's first `.step()` call in the iteration


@dataclass(eq=False, repr=False)
class LossChoice:
    """A flag choosing the adversarial loss among options, one of them Wasserstein:
    `add_argument('--adv_loss', choices=['wgan-gp', 'hinge'])`; `value` is its default, None when the code
    does not say (no default, or one computed elsewhere)."""

    location: Location  # the defining call
    key: str
    value: str | None
    choices: tuple[str, ...]


@dataclass(eq=False, repr=False)
class SigmoidBCE:
    """BCE on a discriminator's probability computed by a functional sigmoid (no nn.Module class needed):
    `F.binary_cross_entropy(torch.sigmoid(D(x)), y)`, or `def D(x): ... return torch.sigmoid(h)`."""

    location: Location  # the sigmoid call
    sigmoid_src: str
    arg_src: str | None  # what the sigmoid is applied to (the logits)
    bce_location: Location
    bce_src: str
    network: str  # the discriminator's function or variable name


@dataclass(eq=False, repr=False)
class UndetachedFake:
    """D(fake) in a discriminator loss, fake = G(z) not detached and not under no_grad."""

    location: Location  # the D(fake) call
    fake_src: str
    fake_location: Location  # the fake argument (for the .detach() fix)
    generated_at: Location | None = None
    d_losses: tuple[str, ...] = ()  # names the function's discriminator step back-propagates (by its optimizer)
    through: str | None = None  # `net(x)`: the D call is in that module's forward, `location` the D step's backward
    later_input: bool = False  # the fake is a later argument of D: D(real_a, fake_b)


@dataclass(eq=False, repr=False)
class GradCall:
    """torch.autograd.grad(...)."""

    location: Location
    create_graph: bool | None  # None: not given (False by default)
    create_graph_given: bool
    inputs_src: str | None
    interpolated: bool | None  # True: a*x + (1-a)*fake; False: real or fake points only; None: unknown
    is_penalty: bool  # used as a gradient penalty (norm - 1)^2, or in a *penalty* function
    two_sided: bool = False  # (||g|| - 1)^2 form (WGAN-GP), as opposed to R1's ||g||^2
    function: str | None = None
    call_src: str = ""
    branch: tuple = ()  # the enclosing if arms (reader.branch_entry)


@dataclass(eq=False, repr=False)
class WeightClip:
    location: Location
    value: Arg | None = None
    stmt_location: Location | None = None
    branch: tuple = ()  # the enclosing if arms (reader.branch_entry): `if args.model == 'WGAN':` clips only there
    function: str | None = None  # the function it is in (reader.scope())
    skipped: bool = False  # not in the default run: under `if args.wass:` with --wass off (recognise/default_run)


@dataclass(eq=False, repr=False)
class GradClip:
    kind: str  # "norm" | "value" | "trainer"
    location: Location
    max_norm: Arg | None = None


@dataclass(eq=False, repr=False)
class Marker:
    """A located fact with a kind: seeds, schedulers, warm-ups, data loads, normalisations, InfoNCE, ..."""

    kind: str
    location: Location
    src: str = ""
    scope: str | None = None  # "Class.method" or "function"
    role: str | None = None


@dataclass(eq=False, repr=False)
class ExpUse:
    """exp of a log-variance: log_var.exp(), torch.exp(logvar), torch.exp(0.5 * log_var)."""

    var: str
    location: Location
    var_location: Location  # the log-variance name inside the call (for the clamp fix)
    clamped_inline: bool
    src: str = ""
    scope: str | None = None
    holds: str | None = None  # "log-std" when the code shows it (exp of it squared into a variance), else by name
    in_kl: bool = False  # the statement is a KL term (a `kld = ...`, or the Gaussian KL's exp(v) - v - mu^2 shape)


@dataclass(eq=False, repr=False)
class KLWeight:
    """The factor multiplying the KL term in a loss."""

    location: Location  # the statement
    src: str
    annealed: bool
    ref: ConfigRef | None = None
    literal: float | None = None
    attr: str | None = None  # self.beta, a local name...
    param_of: str | None = None  # a parameter of this function: `def elbo_loss(..., beta=1)` (its callers decide)
    param_index: int | None = None  # its position among the positional parameters (self left out); None: keyword-only
    default: Arg | None = None  # its default, when it has one


