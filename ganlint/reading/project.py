"""Reads the user's files into ProjectFacts. Parses, never imports or executes."""
from __future__ import annotations

import ast
import contextlib
import gc
import os
from dataclasses import dataclass, field

from ganlint.core.errors import GanlintError, InputError, PartialRead, nesting_line
from ganlint.reading.facts import ProjectFacts

CONFIG_SUFFIXES = {".yaml", ".yml", ".json", ".toml"}
PY_SUFFIXES = {".py"}
MAX_BYTES = 5 * 1024 * 1024  # larger files are refused: no real model or config is that big


@dataclass
class ReadResult:
    facts: ProjectFacts
    errors: list[GanlintError] = field(default_factory=list)
    notes: list[GanlintError] = field(default_factory=list)  # not errors: e.g. a Python 2 file read partially


def read_text(path: str) -> str:
    """The file's text, or InputError with a clear reason (missing, binary, not UTF-8, huge, empty is ok)."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if size > MAX_BYTES:
        raise InputError(f"file is {size / 1e6:.1f} MB, over the {MAX_BYTES // 2**20} MiB limit", path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path) from None
    if b"\x00" in data[:8192]:
        raise InputError("binary file (contains NUL bytes)", path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", path, line) from None
    return text


def parse_python(path: str, text: str) -> ast.Module:
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise InputError(f"syntax error: {exc.msg}", path, exc.lineno) from None
    except (RecursionError, MemoryError) as exc:  # the parser's stack: an expression nested thousands deep
        raise InputError(f"too deeply nested to parse ({exc.__class__.__name__})", path, nesting_line(text)) from None
    except ValueError as exc:
        raise InputError(f"cannot parse: {exc.__class__.__name__}", path) from None


def parse_python_or_legacy(path: str, text: str, notes: list[GanlintError]) -> tuple[ast.Module, str]:
    """The syntax tree and the text it was parsed from; a Python 2 file is read partially (with a note)."""
    try:
        return ast.parse(text, filename=path), text
    except SyntaxError as exc:
        from ganlint.reading.legacy_python import read_legacy

        legacy = read_legacy(path, text, exc)
        if legacy is None:
            raise InputError(f"syntax error: {exc.msg}", path, exc.lineno) from None
        notes.append(PartialRead(_partial_read_message(exc, legacy), path, exc.lineno))
        return legacy.tree, legacy.text
    except (RecursionError, MemoryError) as exc:  # the parser's stack: an expression nested thousands deep
        raise InputError(f"too deeply nested to parse ({exc.__class__.__name__})", path, nesting_line(text)) from None
    except ValueError as exc:
        raise InputError(f"cannot parse: {exc.__class__.__name__}", path) from None


def _lines(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:5])) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")


def _partial_read_message(exc: SyntaxError, legacy) -> str:
    """What was read of a file that needed the legacy reader, and which lines were not."""
    why = (exc.msg or "").split(".")[0]
    parts = []
    if legacy.renamed_lines:
        parts.append(f"`async`/`await` used as a name renamed at line{'s' if len(legacy.renamed_lines) > 1 else ''} "
                     f"{_lines(legacy.renamed_lines)}")
    if legacy.skipped_lines:
        parts.append(f"statement{'s' if len(legacy.skipped_lines) > 1 else ''} at line"
                     f"{'s' if len(legacy.skipped_lines) > 1 else ''} {_lines(legacy.skipped_lines)} skipped")
    if legacy.dropped_lines:
        parts.append(f"top-level blocks at lines {_lines(legacy.dropped_lines)} left out")
    detail = "".join(f"; {p}" for p in parts)
    if legacy.python2:
        return f"read partially as Python 2 ({why}){detail}; its Python 2 statements were not analysed"
    return f"read partially as Python <= 3.6 ({why}){detail}"


def read_files(files: list[str], texts: dict[str, str] | None = None,
               linked: dict | None = None) -> ReadResult:
    """Read every file; an unreadable one becomes an error and the others are still read.

    `texts` gives in-memory contents for some files (a candidate project of `fix --verify`): those are
    not read from disk."""
    facts = ProjectFacts()
    errors: list[GanlintError] = []
    notes: list[GanlintError] = []
    with collector_paused():
        _read_all(files, texts, facts, errors, notes, linked or {})
    # ganlint's own configuration is not a training setting ([tool.ganlint.rules.<code>] max_lr = 3e-4)
    facts.settings = [s for s in facts.settings if not is_own_config(s)]
    from ganlint.reading.code.recognise.local_settings import defaults_not_overridden

    facts.settings.extend(facts.code.local_settings)  # `z_size = 512` in main(), passed to the network it builds
    elsewhere = {s.canonical for s in facts.settings}
    facts.settings.extend(defaults_not_overridden(facts.code, elsewhere))  # CTGAN(discriminator_steps=1) left at its default
    from ganlint.reading.code.network_links import link_call_sites

    roles = link_call_sites(facts.code, facts.settings)  # classes built in another file, or from config values
    if roles and linked is None:
        # `model, adversary = utils.get_gan(opt)`, `from utils import set_requires_grad`: only the linked
        # project says what the names hold or the helper does; the files are read once more knowing it
        # (rare: only names that say no role and imported freezing helpers cost this)
        return read_files(files, texts, roles)
    _beta_of_a_vae(facts)
    from ganlint.reading.code.recognise.config_splat import link_splatted_sections

    link_splatted_sections(facts)  # Model(**config[f"{args.model}_params"]): that section's beta is the VAE's
    from ganlint.reading.code.recognise.optim_lookup import (
        resolve_chosen_classes, resolve_imported_factories, resolve_stored_classes,
    )

    resolve_imported_factories(facts)  # opt_d = get_optimizer('adam', D.parameters(), lr) of utils/optim.py
    resolve_stored_classes(facts)  # opt_g = generator.optimizer(params, lr=lr): the class the network stores
    from ganlint.reading.code.recognise.helper_losses import resolve_helper_terms

    resolve_helper_terms(facts)  # loss_decoder = mse - c * loss_dis, loss_dis holding -log(1 - D(G(z))) of utils.py
    resolve_chosen_classes(facts)  # OPTIMIZER[cfg.optimizer](...): the class the setting names
    from ganlint.reading.code.recognise.optim_use import drop_unused_optimizers, learning_rates_by_use

    drop_unused_optimizers(facts)  # `g_optimizer = Adam(...)` a sampling script never steps trains nothing
    learning_rates_by_use(facts)  # `--gamma` passed as Adam's lr is a learning rate
    from ganlint.reading.code.recognise.penalty import drop_uncalled_penalties, penalty_weights_by_use

    penalty_weights_by_use(facts)  # `--lambda_1` multiplying the gradient penalty is its weight
    drop_uncalled_penalties(facts)  # a vendored networks module's `cal_gradient_penalty` nothing calls
    from ganlint.reading.code.recognise.temperature import temperatures_by_use

    temperatures_by_use(facts)  # `--nce_t` passed as NCEAverage's temperature is the InfoNCE temperature
    from ganlint.reading.code.recognise.fake_sources import resolve_fakes

    resolve_fakes(facts.code)  # D(G.sample(n)) with sample() in models.py; a c_loss() helper of a D step
    from ganlint.reading.code.recognise.default_run import clips_off_by_default

    clips_off_by_default(facts)  # clip_discriminator(D) called only under `if args.wass:` with --wass off
    from ganlint.reading.code.recognise.gan import drop_unused_loss_objects

    drop_unused_loss_objects(facts)  # `gan_loss = nn.BCELoss()` that nothing uses is not the loss computed
    return ReadResult(facts, errors, notes)


# Set (to a list) by `ganlint check` when its process ends with os._exit right after the report: what the
# reading is done with is then kept to the end instead of freed object by object (freeing a 1 MB file's
# syntax tree, which only the construction scopes still hold, took about a tenth of a second).
KEEP_UNTIL_EXIT: list | None = None


def release(objs: list) -> None:
    """Empty `objs` (what it held is no longer needed); kept alive when the process ends without teardown."""
    if KEEP_UNTIL_EXIT is not None:
        KEEP_UNTIL_EXIT.extend(objs)
    objs.clear()


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off while files are read (and, from the runner, while rules run on
    them). A syntax tree is hundreds of thousands of acyclic objects; every full collection during the parse,
    the walks and the rules traverses all of them, which made a 2 MB file's ast.parse 2.5x slower per KB than
    a 128 KB file's, and a 1 MB file's rules spend 2 s collecting. Reading and checking make no cycles worth
    collecting early; the collector runs again (as it was) right after. Nested uses are no-ops."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_all(files, texts, facts, errors, notes, linked: dict) -> None:
    from ganlint.reading.code import read_code
    from ganlint.reading.config import read_config_file, read_python_settings
    from ganlint.reading.config.flagfile import FLAGFILE_SUFFIXES, looks_like_flagfile, read_flagfile

    for path in files:
        text = ""
        try:
            text = texts[path] if texts is not None and path in texts else read_text(path)
            suffix = os.path.splitext(path)[1].lower()
            if suffix in PY_SUFFIXES:
                tree, read_as = parse_python_or_legacy(path, text, notes)
                facts.settings.extend(read_python_settings(path, tree, read_as))
                facts.code.merge(read_code(path, tree, read_as, linked.get(path)))
            elif suffix in CONFIG_SUFFIXES:
                facts.settings.extend(read_config_file(path, text))
            elif suffix in FLAGFILE_SUFFIXES and (suffix == ".flags" or looks_like_flagfile(text, strict=suffix == ".txt")):
                facts.settings.extend(read_flagfile(path, text))
            else:
                continue
        except GanlintError as exc:
            errors.append(exc)
            continue
        except RecursionError:
            errors.append(InputError("too deeply nested to analyse", path, nesting_line(text)))
            continue
        except Exception as exc:  # noqa: BLE001 - a reader bug on one file: one line naming it, the rest read
            detail = str(exc).splitlines()[0] if str(exc).strip() else ""
            errors.append(InputError(f"cannot analyse ({exc.__class__.__name__}: {detail})"[:200], path))
            continue
        facts.files.append(path)
        facts.texts[path] = text


def _beta_of_a_vae(facts: ProjectFacts) -> None:
    """A top-level `beta` the file alone could not place (argparse `--beta 4` in main.py) is the KL weight
    when the project's code computes a VAE's KL term (beta-VAE), and it is no optimizer's beta."""
    from ganlint.reading.vocabulary import contextual_name

    pending = [s for s in facts.settings if s.canonical is None and "." not in s.key and contextual_name([s.key]) == "beta"]
    if pending and (facts.code.kl_terms or facts.code.logvar_exps) and not facts.code.networks_with_role("critic"):
        for s in pending:
            s.canonical = "kl_weight"


def is_own_config(setting) -> bool:
    return setting.key == "tool.ganlint" or setting.key.startswith("tool.ganlint.")
