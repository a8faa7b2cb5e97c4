"""The staged plan (RULES.md "Staged fixes"): check findings' Fixes plus what the planner derives from the
files where a rule's fix needs more (KL annealing code, Adam betas, the energy head, clipping).

    plan = make_plan(files, family=None, select=None, ignore=None, unsafe=False)
    plan.stages -> {1: [PlannedFix, ...], 2: [...]}; plan.edits(upto=2) -> [Edit, ...]

Every derived fix looks at the current files and proposes nothing when they already say what the
document asks: planning the fixed output yields an empty plan (idempotence).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from ganlint.core.errors import GanlintError
from ganlint.core.types import Edit, Finding, Setting
from ganlint.fix.edits import SETTING_KINDS, TEXT_KINDS, TRANSFORM_KIND
from ganlint.reading.facts import ProjectFacts

# The documents' knobs given as ranges: searched by `fix --verify` (first value = the document's choice).
KNOBS: dict[str, dict[str, dict[str, Any]]] = {
    "wgan-gp": {
        "learning_rate": {"choices": [1e-4, 5e-5], "doc": "000 §1.3", "stage": 2},
        "batch_size": {"choices": [64, 128], "doc": "000 §1.3", "stage": 2},
        "latent_dim": {"int": (8, 32), "first": 16, "doc": "000 §1.4", "stage": 3},
        "gp_weight": {"choices": [10.0, 5.0, 1.0], "doc": "000 §2.4", "stage": 4},
    },
    "gan": {
        "learning_rate": {"choices": [2e-4, 1e-4], "doc": "002 §3(3)", "stage": 2},
        "batch_size": {"choices": [64, 128], "doc": "000 §1.3", "stage": 2},
    },
    "vae": {
        "learning_rate": {"choices": [3e-4, 1e-4], "doc": "003 2️⃣", "stage": 1},
        "kl_weight": {"choices": [0.01, 0.005, 0.02], "doc": "003 1️⃣", "stage": 1},
        "kl_anneal_steps": {"choices": [1000, 500, 2000], "doc": "003 1️⃣", "stage": 1},
    },
    "energy": {
        "temperature": {"float": (0.1, 1.0), "first": 0.3, "doc": "004 方案3", "stage": 1},
        # 0.1× of the original rate first, then the ramp of 方案4 (0.1× -> 0.5×)
        "learning_rate": {"factors": [0.1, 0.3, 0.5], "doc": "004 方案4", "stage": 1},
    },
}
KNOBS["wgan"] = KNOBS["wgan-gp"]

STAGE_NAMES = {
    "wgan-gp": {1: "activations, critic output, critic width", 2: "lr, batch, n_critic", 3: "z_dim", 4: "λ, diversity"},
    "gan": {1: "non-saturating loss, logits", 2: "Adam β1 0.5, lr 2e-4", 3: "label smoothing"},
    "vae": {1: "lr, KL weight + annealing, clamp log_var", 2: "Adam betas, grad clip 10", 3: "latent_dim", 4: "lr 1e-4"},
    "energy": {1: "head rescaled, τ, lr, clip", 2: "harder negatives", 3: "lr / clip schedule"},
}
STAGE_NAMES["wgan"] = STAGE_NAMES["wgan-gp"]


@dataclass
class PlannedFix:
    code: str
    stage: int
    message: str
    source: str
    edits: list[Edit] = field(default_factory=list)
    safe: bool = True
    origin: str = "planner"  # "rule" (the finding's own Fix) or "planner" (derived here)

    def describe(self) -> str:
        return f"{self.code} (stage {self.stage}, {self.source}): {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "stage": self.stage, "message": self.message, "source": self.source,
                "safe": self.safe, "origin": self.origin, "edits": [e.to_dict() for e in self.edits]}


@dataclass
class Plan:
    family: str | None
    files: list[str]
    texts: dict[str, str]
    fixes: list[PlannedFix] = field(default_factory=list)
    unsafe_skipped: list[PlannedFix] = field(default_factory=list)
    manual: list[Finding] = field(default_factory=list)  # findings the fixer cannot apply
    findings: list[Finding] = field(default_factory=list)

    @property
    def stages(self) -> dict[int, list[PlannedFix]]:
        out: dict[int, list[PlannedFix]] = {}
        for f in sorted(self.fixes, key=lambda f: (f.stage, f.code)):
            out.setdefault(f.stage, []).append(f)
        return out

    def edits(self, upto: int | None = None, only: set[int] | None = None) -> list[Edit]:
        out = []
        for f in sorted(self.fixes, key=lambda f: (f.stage, f.code)):
            if (upto is None or f.stage <= upto) and (only is None or f.stage in only):
                out.extend(f.edits)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "fixes": [f.to_dict() for f in self.fixes],
                "unsafe_skipped": [f.to_dict() for f in self.unsafe_skipped],
                "manual": [{"code": f.code, "message": f.message, "location": str(f.location)} for f in self.manual]}


# -- the project as the planner sees it ---------------------------------------------------------
@dataclass
class Knob:
    """A setting as the planner uses it: the reading layer's Setting, flattened (file, key, value)."""

    key: str
    file: str
    value: Any
    canonical: str | None
    role: str | None
    line: int

    @classmethod
    def of(cls, s: Setting) -> "Knob":
        return cls(s.key, s.location.file, s.value, s.canonical or _contextual(s.key), s.role, s.location.line)


def facts_from_texts(files: list[str], texts: dict[str, str]) -> ProjectFacts:
    """ProjectFacts of in-memory texts (a candidate project in `fix --verify`, a file after a transform);
    an unparsable text is skipped, as check skips an unreadable file."""
    from ganlint.reading.project import read_files

    return read_files(files, texts).facts


class Project:
    """The files, their texts and the reading layer's facts about them (settings, code, families).

    make_plan passes the facts of its own check run; without them (verify's candidate texts) they are read
    from `texts`."""

    def __init__(self, files: list[str], texts: dict[str, str], facts: ProjectFacts | None = None):
        self.files = files
        self.texts = texts
        self.facts = facts if facts is not None else facts_from_texts(files, texts)
        self.settings: list[Knob] = [Knob.of(s) for s in self.facts.settings if s.location.file in texts]

    @property
    def code_files(self) -> list[str]:
        return [f for f in self.files if f.endswith(".py") and _looks_like_code(self.texts[f])]

    @property
    def config_files(self) -> list[str]:
        return [f for f in self.files if not f.endswith(".py") or not _looks_like_code(self.texts[f])]

    def code(self) -> str:
        return "\n".join(self.texts[f] for f in self.code_files)

    def find(self, canonical: str, role: str | None | tuple = "any") -> list[Knob]:
        out = [s for s in self.settings if s.canonical == canonical]
        if role != "any":
            roles = role if isinstance(role, tuple) else (role,)
            out = [s for s in out if s.role in roles]
        return out

    def families(self) -> set[str]:
        return self.facts.families()

    def anchor(self, file: str, *canonicals: str) -> str | None:
        """A key in `file` to add a new setting next to (the first of canonicals present, else the last key)."""
        for c in canonicals:
            for s in self.settings:
                if s.file == file and s.canonical == c:
                    return s.key
        keys = [s.key for s in sorted((s for s in self.settings if s.file == file), key=lambda s: s.line)]
        return keys[-1] if keys else None

    def main_config(self, near: str | None = None) -> str | None:
        if near:
            hits = [s.file for s in self.settings if s.canonical == near]
            if hits:
                return hits[0]
        cfgs = [f for f in self.config_files if any(s.file == f for s in self.settings)]
        return cfgs[0] if cfgs else None

    def key_is_read(self, key: str) -> bool:
        """Whether the code reads `key`: the code facts' config reads, or (kept on purpose) any quoted or
        attribute mention of its last part in the code text. Removing a key is only safe when nothing
        mentions it; the facts record the config containers the reader recognises, not `getattr(args, name)`
        or a key passed on by name, so the text search stays as the conservative half."""
        from ganlint.reading.code.links import used_keys

        leaf = key.rsplit(".", 1)[-1]
        if key in used_keys(self.facts) or leaf in used_keys(self.facts):
            return True
        return bool(re.search(r"[\"'.]" + re.escape(leaf) + r"\b", self.code()))


def _looks_like_code(text: str) -> bool:
    return bool(re.search(r"^\s*(class|def)\s", text, re.M))


def _contextual(key: str) -> str | None:
    """Bare `tau`/`lambda` keys the vocabulary leaves unnamed without a section (the documents' configs use them)."""
    leaf = key.rsplit(".", 1)[-1].lower()
    if leaf in ("tau", "temp", "temperature"):
        return "temperature"
    if leaf in ("lambda", "lam", "lambda_"):
        return "gp_weight"
    return None


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def _widths(v: Any) -> list[int] | None:
    from ganlint.fix.edits.values import parse_string_list

    if isinstance(v, str):
        v = parse_string_list(v)
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, int) for x in v):
        return list(v)
    return None


def _set(k: Knob, new: Any) -> Edit:
    return Edit("set-setting", k.file, target=k.key, old=k.value, new=new)


def _transform(file: str, name: str, **params) -> Edit:
    return Edit(TRANSFORM_KIND, file, target=name, new=params)


# -- derived fixes: one function per rule code, per family ----------------------------------------
Recipe = Callable[[Project, str], list[PlannedFix]]
RECIPES: list[tuple[str, tuple[str, ...], Recipe]] = []


def recipe(code: str, *families: str):
    def deco(fn):
        RECIPES.append((code, families, fn))
        return fn

    return deco


GAN_FAMS = ("wgan-gp", "wgan", "gan")


def _planned(code: str, message: str, source: str, edits: list[Edit], safe: bool = True) -> PlannedFix:
    """A derived fix in its rule's stage (`Rule.fix_stage`)."""
    return PlannedFix(code, _default_stage(code), message, source, edits, safe)


def _code_transform_fix(p: Project, code: str, name: str, message: str, source: str,
                        safe: bool = True, **params) -> list[PlannedFix]:
    from ganlint.fix.edits.code import apply_transforms

    edits = []
    for f in p.code_files:
        e = _transform(f, name, **params)
        try:
            if apply_transforms(f, p.texts[f], [e]) != p.texts[f]:
                edits.append(e)
        except GanlintError:
            continue
    return [_planned(code, message, source, edits, safe)] if edits else []


@recipe("GL001", *GAN_FAMS, "vae", "energy")
def _hidden_sigmoid(p: Project, fam: str) -> list[PlannedFix]:
    out = []
    edits = [_set(k, "LeakyReLU") for k in p.find("activation") if isinstance(k.value, str) and k.value.lower() == "sigmoid"]
    if edits:
        out.append(_planned("GL001", "hidden activation Sigmoid -> LeakyReLU (config names it)", "000 §1.1", edits))
    out += _code_transform_fix(p, "GL001", "hidden-sigmoid", "hidden nn.Sigmoid() -> nn.LeakyReLU(0.2)", "000 §1.1")
    return out


@recipe("GL101", "wgan-gp", "wgan")
def _critic_sigmoid(p: Project, fam: str) -> list[PlannedFix]:
    return _code_transform_fix(p, "GL101", "critic-final-sigmoid", "critic output linear: final Sigmoid removed", "000 §1.1, 001")


@recipe("GL102", *GAN_FAMS)
def _critic_width(p: Project, fam: str) -> list[PlannedFix]:
    gens = p.find("hidden_sizes", "generator")
    crits = p.find("hidden_sizes", "critic")
    if len(gens) != 1 or not crits:
        return []
    gw = _widths(gens[0].value)
    edits = []
    for c in crits:
        cw = _widths(c.value)
        if gw and cw and (sum(cw) < sum(gw) or min(cw) < min(gw)):
            edits.append(_set(c, gw))
    return [_planned("GL102", f"critic widths -> generator's {gw}", "000 §1.2", edits)] if edits else []


def _lr_fix(p: Project, code: str, above: float, target: float, source: str, roles="any",
            inclusive: bool = False) -> list[PlannedFix]:
    edits = []
    for k in p.find("learning_rate", roles):
        v = _num(k.value)
        if v is not None and (v >= above if inclusive else v > above):
            edits.append(_set(k, target))
    return [_planned(code, f"learning rate -> {target:g}", source, edits)] if edits else []


@recipe("GL104", "wgan-gp", "wgan")
def _wgan_lr(p: Project, fam: str) -> list[PlannedFix]:
    return _lr_fix(p, "GL104", 2e-4, 1e-4, "000 §1.3")


@recipe("GL113", "gan")
def _gan_lr(p: Project, fam: str) -> list[PlannedFix]:
    return _lr_fix(p, "GL113", 2e-4, 2e-4, "002 §3(3)")


@recipe("GL203", "vae")
def _vae_lr(p: Project, fam: str) -> list[PlannedFix]:
    return _lr_fix(p, "GL203", 5e-4, 3e-4, "003 2️⃣", inclusive=True)


def _min_fix(p: Project, code: str, canonical: str, below: float, target: Any, msg: str, source: str) -> list[PlannedFix]:
    edits = [_set(k, target) for k in p.find(canonical) if _num(k.value) is not None and _num(k.value) < below]
    return [_planned(code, msg, source, edits)] if edits else []


@recipe("GL105", "wgan-gp", "wgan")
def _n_critic(p: Project, fam: str) -> list[PlannedFix]:
    return _min_fix(p, "GL105", "n_critic", 5, 5, "n_critic -> 5", "000 §1.3, 001")


@recipe("GL106", *GAN_FAMS)
def _batch(p: Project, fam: str) -> list[PlannedFix]:
    return _min_fix(p, "GL106", "batch_size", 64, 64, "batch size -> 64 (64-128)", "000 §1.3")


@recipe("GL103", *GAN_FAMS)
def _z_dim(p: Project, fam: str) -> list[PlannedFix]:
    ks = [k for k in p.find("latent_dim") if k.role in (None, "generator")]
    edits = [_set(k, 16) for k in ks if _num(k.value) is not None and _num(k.value) < 8]
    return [_planned("GL103", "z_dim -> 16 (8-32)", "000 §1.4", edits)] if edits else []


@recipe("GL107", "wgan-gp")
def _gp_weight(p: Project, fam: str) -> list[PlannedFix]:
    edits = [_set(k, 10.0) for k in p.find("gp_weight") if _num(k.value) is not None and not 1 <= _num(k.value) <= 10]
    return [_planned("GL107", "gradient-penalty λ -> 10 (then 5, 1)", "000 §2.4", edits)] if edits else []


@recipe("GL108", "wgan-gp")
def _create_graph(p: Project, fam: str) -> list[PlannedFix]:
    return _code_transform_fix(p, "GL108", "create-graph", "create_graph=True in the penalty's autograd.grad", "001 Ⅲ")


@recipe("GL110", "gan")
def _nonsat(p: Project, fam: str) -> list[PlannedFix]:
    logits = bool(re.search(r"BCELoss|binary_cross_entropy\(", p.code())) or not re.search(r"Sigmoid\(\)|sigmoid\(", p.code())
    return _code_transform_fix(p, "GL110", "non-saturating-loss", "generator loss log(1 - D(G(z))) -> non-saturating",
                               "002 §2, §3(2)", logits=logits)


@recipe("GL111", "gan")
def _sigmoid_bce(p: Project, fam: str) -> list[PlannedFix]:
    from ganlint.fix.edits.code import logits_safe
    from ganlint.fix.edits.py_doc import parse_cst

    if not re.search(r"BCELoss|binary_cross_entropy\(", p.code()):
        return []
    safe = True
    for f in p.code_files:
        try:
            safe = safe and logits_safe(parse_cst(f, p.texts[f]))
        except GanlintError:
            continue
    return _code_transform_fix(p, "GL111", "sigmoid-bce", "discriminator returns logits; BCELoss -> BCEWithLogitsLoss",
                               "paper", safe=safe)


@recipe("GL115", "gan")
def _detach(p: Project, fam: str) -> list[PlannedFix]:
    return _code_transform_fix(p, "GL115", "detach-fake", "the fake batch detached in the discriminator step", "paper")


@recipe("GL112", *GAN_FAMS)
def _gan_betas(p: Project, fam: str) -> list[PlannedFix]:
    betas = (0.5, 0.9) if fam in ("wgan-gp", "wgan") else (0.5, 0.999)
    out = []
    edits = [_set(k, 0.5) for k in p.find("beta1") if _num(k.value) is not None and _num(k.value) >= 0.9]
    if edits:
        out.append(_planned("GL112", "Adam β1 -> 0.5", "002 §3(3)", edits))
    if not p.find("beta1") and not p.find("betas"):
        out += _code_transform_fix(p, "GL112", "adam-betas", f"Adam betas={betas}", "002 §3(3)", betas=betas, replace=False)
    return out


@recipe("GL201", "vae")
def _kl_weight(p: Project, fam: str) -> list[PlannedFix]:
    out = []
    ws = p.find("kl_weight")
    edits = [_set(k, 0.01) for k in ws if _num(k.value) is not None and _num(k.value) < 0.01]
    if edits:
        out.append(_planned("GL201", "KL weight -> 0.01", "003 1️⃣", edits))
    return out


@recipe("GL202", "vae")
def _kl_anneal(p: Project, fam: str) -> list[PlannedFix]:
    ws = p.find("kl_weight")
    if len(ws) != 1:
        return []
    w = ws[0]
    edits = []
    if not p.find("kl_anneal_steps"):
        edits.append(Edit("add-setting", w.file, target="kl_anneal_steps", old=w.key, new=1000))
    leaf = w.key.rsplit(".", 1)[-1]
    code_edits = _code_transform_fix(p, "GL202", "kl-annealing", "", "", weight_key=leaf, steps_key="kl_anneal_steps")
    if code_edits:
        edits += code_edits[0].edits
    elif not re.search(r"min\([^)]*" + re.escape(leaf), p.code()):
        return []
    if not edits:
        return []
    return [_planned("GL202", f"KL weight annealed: min({leaf}, step / kl_anneal_steps), 1000 steps", "003 1️⃣", edits)]


@recipe("GL205", "vae")
def _clamp(p: Project, fam: str) -> list[PlannedFix]:
    return _code_transform_fix(p, "GL205", "clamp-logvar", "log_var clamped to [-10, 10] before exp()", "003 5️⃣")


@recipe("GL002", "vae", *GAN_FAMS, "energy")
def _optim_alpha(p: Project, fam: str) -> list[PlannedFix]:
    alphas = p.find("optim_alpha")
    if not alphas or not re.search(r"\bAdamW?\(", p.code()) or re.search(r"RMSprop\(", p.code()):
        return []
    betas = (0.5, 0.999) if fam == "vae" else ((0.5, 0.9) if fam in ("wgan-gp", "wgan") else (0.5, 0.999))
    edits: list[Edit] = []
    safe = True
    for k in alphas:
        if p.key_is_read(k.key):
            safe = False  # the code reads it: removing the key would break it
        edits.append(Edit("remove-setting", k.file, target=k.key, old=k.value))
    ct = _code_transform_fix(p, "GL002", "adam-betas", "", "", betas=betas, replace=False)
    if ct:
        edits += ct[0].edits
    return [_planned("GL002", f"`optim_alpha` (RMSprop only) removed; Adam betas={betas}", "003 3️⃣", edits, safe)]


@recipe("GL204", "vae")
def _clip10(p: Project, fam: str) -> list[PlannedFix]:
    return _min_fix(p, "GL204", "grad_clip", 10, 10, "gradient-norm clip -> 10", "003 4️⃣")


@recipe("GL206", "vae")
def _latent(p: Project, fam: str) -> list[PlannedFix]:
    edits = [_set(k, 16) for k in p.find("latent_dim") if _num(k.value) is not None and _num(k.value) > 32]
    return [_planned("GL206", "latent_dim -> 16", "003 6️⃣", edits)] if edits else []


@recipe("GL301", "energy")
def _energy_head(p: Project, fam: str) -> list[PlannedFix]:
    out = _code_transform_fix(p, "GL301", "energy-head", "energy head: E = sigmoid(raw * 0.5) * 2.0 + 0.1",
                              "004 方案1", scale=2.0, offset=0.1, input_scale=0.5)
    return out


@recipe("GL302", "energy")
def _tau(p: Project, fam: str) -> list[PlannedFix]:
    edits = [_set(k, 0.3) for k in p.find("temperature") if _num(k.value) is not None
             and (not 0.1 <= _num(k.value) <= 1.0 or abs(_num(k.value) - 0.5) < 1e-9)]
    return [_planned("GL302", "InfoNCE τ -> 0.3", "004 方案3", edits)] if edits else []


@recipe("GL303", "energy")
def _energy_clip(p: Project, fam: str) -> list[PlannedFix]:
    if re.search(r"clip_grad_norm_?\(", p.code()):
        return []
    edits: list[Edit] = []
    cfg = p.main_config("temperature") or p.main_config("learning_rate")
    clips = p.find("grad_clip")
    if cfg and not clips:
        edits.append(Edit("add-setting", cfg, target="grad_clip", old=p.anchor(cfg, "temperature", "learning_rate"), new=0.3))
    keys = [s.key.rsplit(".", 1)[-1] for s in p.settings]
    ct = _code_transform_fix(p, "GL303", "grad-clip", "", "", max_norm=0.3, config_key="grad_clip" if cfg else None,
                             config_keys=keys)
    if ct:
        edits += ct[0].edits
    return [_planned("GL303", "gradient-norm clipping 0.3 after backward()", "004", edits)] if edits else []


@recipe("GL304", "energy")
def _energy_lr(p: Project, fam: str) -> list[PlannedFix]:
    out = []
    lrs = [k for k in p.find("learning_rate") if k.role in ("energy", None)]
    edits = [_set(k, round(_num(k.value) * 0.1, 12)) for k in lrs if _num(k.value) is not None and _num(k.value) > 1e-4 + 1e-12]
    if edits:
        # the document puts the lower rate in the first stage, ahead of the warm-up (the rule's stage 3)
        out.append(PlannedFix("GL304", 1, "energy learning rate × 0.1 (the document's warm-up level)", "004 方案4", edits))
    # The warm-up itself (stage 3) is the rule's own edit: a LambdaLR inserted after the optimizer. No
    # `warmup_steps` key is added to the config: nothing would read it.
    return out


# -- planning -------------------------------------------------------------------------------------
def _rule_exists(code: str) -> bool:
    from ganlint.checking.registry import rule_by_code

    return rule_by_code(code) is not None


def _selected(code: str, select: list[str] | None, ignore: list[str] | None) -> bool:
    def match(p: str) -> bool:
        p = p.strip().upper()
        return p == "ALL" or code.startswith(p)

    if select and not any(match(s) for s in select):
        return False
    return not (ignore and any(match(s) for s in ignore))


def make_plan(files: list[str], *, family: str | None = None, select: list[str] | None = None,
              ignore: list[str] | None = None, unsafe: bool = False, findings: list[Finding] | None = None,
              texts: dict[str, str] | None = None) -> Plan:
    from ganlint.reading.project import read_text

    files = list(dict.fromkeys(files))
    given = dict(texts or {})
    texts = {f: given[f] if f in given else read_text(f) for f in files}
    res = _check(files)
    facts = res.facts
    if facts is None or any(f in given and given[f] != read_text(f) for f in files):
        facts = facts_from_texts(files, texts)  # texts other than the files on disk: read those
    if findings is None:
        findings = [f for f in res.findings if _selected(f.code, select, ignore)]
    project = Project(files, texts, _own_paths(facts, files))
    fams = {family} if family else project.families()
    fam = _primary(fams)
    plan = Plan(fam, files, texts, findings=findings)

    reported = {f.code for f in findings}
    by_code: dict[str, list[PlannedFix]] = {}
    # 1. the rules' own fixes
    for fnd in findings:
        if not _selected(fnd.code, select, ignore):
            continue
        fx = fnd.fix
        if fx is None or not fx.edits:
            if fx is not None:
                plan.manual.append(fnd)
            continue
        edits = [e for e in fx.edits if e.file in texts]
        stage = fx.stage or _default_stage(fnd.code)
        by_code.setdefault(fnd.code, []).append(
            PlannedFix(fnd.code, stage, fx.message, _source(fnd.code), edits, fx.safe, "rule"))
    # 2. derived fixes (complete the rules' fixes; stand in for rules not in the catalog)
    for code, families, fn in RECIPES:
        if not _selected(code, select, ignore):
            continue
        if families and not (fams & set(families)):
            continue
        if _rule_exists(code) and code not in reported:
            continue  # the rule ran and found nothing (or the user configured it away)
        for f in fams & set(families) if families else {fam}:
            try:
                derived = fn(project, f)
            except GanlintError:
                continue
            for d in derived:
                existing = by_code.setdefault(code, [])
                taken = {(e.file, e.target) for x in existing for e in x.edits if e.kind in SETTING_KINDS}
                d.edits = [e for e in d.edits if not (e.kind in SETTING_KINDS and (e.file, e.target) in taken)]
                if d.edits and not any(_same(d, x) for x in existing):
                    existing.append(d)
            break
    for code, fixes in by_code.items():
        # one rule, one safety: when the rule or the planner finds any part of a code's fix unsafe, the whole
        # fix for that code waits for --unsafe-fixes (half of it could leave the code inconsistent). Decided
        # before the overlap is resolved: the part kept inherits the safety of the part dropped.
        code_safe = all(fx.safe for fx in fixes)
        for fx in _one_code_fix_per_file(code, fixes, project):
            fx.safe = fx.safe and code_safe
            (plan.fixes if (code_safe or unsafe) else plan.unsafe_skipped).append(fx)
    # manual: findings with a Fix but nothing applied for their code
    planned = {f.code for f in plan.fixes}
    plan.manual = [f for f in plan.manual if f.code not in planned]
    return plan


def _own_paths(facts: ProjectFacts, files: list[str]) -> ProjectFacts:
    """The facts with every location's file spelled as in `files` (the check may normalise paths)."""
    by_abs = {os.path.abspath(f): f for f in files}
    for s in facts.settings:
        f = by_abs.get(os.path.abspath(s.location.file))
        if f is not None and f != s.location.file:
            s.location = replace(s.location, file=f)
    return facts


# -- one fix per finding per file ----------------------------------------------------------------------
def _one_code_fix_per_file(code: str, fixes: list[PlannedFix], project: Project) -> list[PlannedFix]:
    """A rule's textual code edits and a recipe's code transform for the same code and file are two versions
    of one repair: applying both repeats it (GL205: an inline `.clamp()` under an inserted `torch.clamp`).
    Per file, one of them is kept, the more complete:

    - the transform when it covers the rule's edits (the rule, run on the transformed file, asks for no
      further code edit there) and the rule's edits do not cover it (the transform still changes their
      result): GL205's clamp statements, GL111's logits rewrite of `torch.log(D(x))`;
    - the rule's edits when they cover the transform and not the other way round, or when neither covers
      the other (they are what the finding asks for);
    - on a tie (each covers the other) the rule's edits, unless the recipe's fix also writes settings that
      its code reads (GL303: `grad_clip = 0.3` in the config and `max_norm=cfg["grad_clip"]`).
    Fixes left without edits are dropped; setting edits are deduplicated before (same file and key)."""
    rule_fixes = [f for f in fixes if f.origin == "rule"]
    derived = [f for f in fixes if f.origin != "rule"]
    rule_text: dict[str, list[Edit]] = {}
    for fx in rule_fixes:
        for e in fx.edits:
            if e.kind in TEXT_KINDS:
                rule_text.setdefault(e.file, []).append(e)
    transforms: dict[str, list[tuple[PlannedFix, Edit]]] = {}
    for fx in derived:
        for e in fx.edits:
            if e.kind == TRANSFORM_KIND and e.file in rule_text:
                transforms.setdefault(e.file, []).append((fx, e))
    if not transforms:
        return fixes
    choice = _cover(code, rule_text, transforms, project)
    drop: set[int] = set()
    for file, keep in choice.items():
        if keep == "transform":
            drop.update(id(e) for e in rule_text[file])
        else:
            drop.update(id(e) for _, e in transforms[file])
    out = []
    for fx in fixes:
        fx.edits = [e for e in fx.edits if id(e) not in drop]
        if fx.edits:
            out.append(fx)
    return out


def _cover(code: str, rule_text: dict[str, list[Edit]], transforms: dict[str, list[tuple[PlannedFix, Edit]]],
           project: Project) -> dict[str, str]:
    """file -> "transform" or "rule" for every file both edit (see _one_code_fix_per_file)."""
    from ganlint.checking.registry import rule_by_code
    from ganlint.checking.runner import run_rules
    from ganlint.fix.edits import EditError
    from ganlint.fix.edits.code import apply_text_edits, apply_transforms

    texts = project.texts
    t_texts = dict(texts)
    t_ok: dict[str, bool] = {}
    for file, pairs in transforms.items():
        try:
            t_texts[file] = apply_transforms(file, texts[file], [e for _, e in pairs])
            t_ok[file] = t_texts[file] != texts[file]
        except EditError:
            t_ok[file] = False
    # what the rule still asks for once the transforms are applied
    rule = rule_by_code(code)
    still: set[str] = set()
    if rule is not None:
        after = facts_from_texts(project.files, t_texts)
        for fnd in run_rules(after, rules=[rule]):
            for e in (fnd.fix.edits if fnd.fix else []):
                if e.kind in TEXT_KINDS:
                    still.add(e.file)
    choice: dict[str, str] = {}
    for file, pairs in transforms.items():
        try:
            r_text = apply_text_edits(file, texts[file], rule_text[file])
        except EditError:
            choice[file] = "transform" if t_ok[file] else "rule"
            continue
        t_covers = t_ok[file] and file not in still
        try:
            r_covers = apply_transforms(file, r_text, [e for _, e in pairs]) == r_text
        except EditError:
            r_covers = True
        if t_covers and not r_covers:
            choice[file] = "transform"
        elif t_covers and r_covers and any(e.kind in SETTING_KINDS for fx, _ in pairs for e in fx.edits):
            choice[file] = "transform"
        else:
            choice[file] = "rule"
    return choice


def _same(a: PlannedFix, b: PlannedFix) -> bool:
    return [e.to_dict() for e in a.edits] == [e.to_dict() for e in b.edits]


def _primary(fams: set[str]) -> str | None:
    for f in ("wgan-gp", "wgan", "gan", "vae", "energy"):
        if f in fams:
            return f
    return None


def _default_stage(code: str) -> int:
    """The stage of the staged-fix table (RULES.md), as the rule declares it (`Rule.fix_stage`); 1 for a code
    whose rule has none (GL108, GL115: their fixes come with the first stage)."""
    from ganlint.checking.registry import rule_by_code

    r = rule_by_code(code)
    stage = getattr(r, "fix_stage", None)
    return stage if stage is not None else 1


def _source(code: str) -> str:
    from ganlint.checking.registry import rule_by_code

    return getattr(rule_by_code(code), "source", "") or ""


def _check(files: list[str]):
    """The check run the plan starts from (its findings and the facts read). Internal errors propagate (the
    CLI prints one line, exit 2); an unreadable input is the check's first error, raised with file:line."""
    from ganlint.checking.runner import check_paths

    res = check_paths(files)
    if res.errors:
        raise res.errors[0]  # unreadable input: one line with file:line, exit 2
    return res
