"""Project-wide passes over the optimizers read: a setting an optimizer takes as its rate is a learning rate;
an optimizer a sampling script builds and never uses trains nothing."""
from __future__ import annotations

import re


def learning_rates_by_use(facts) -> None:
    """A setting the vocabulary cannot place whose value an optimizer takes as its learning rate
    (`--gamma` passed as `Adam(..., lr=opt.gamma)`) is that optimizer's learning rate, whatever its name.
    Only keys with no canonical name of their own, only numbers in (0, 1), and only when every read of the
    key in an optimizer call is its `lr`: a `gamma` handed to a scheduler or a loss keeps its own meaning."""
    uses: dict[str, list] = {}
    others: set[str] = set()
    for o in facts.code.optimizers:
        for kw, arg in o.kwargs.items():
            if arg.ref is not None:
                (uses.setdefault(arg.ref.leaf, []).append(o) if kw == "lr" else others.add(arg.ref.leaf))
    if not uses:
        return
    for s in facts.settings:
        opts = uses.get(s.leaf)
        if s.canonical is not None or not opts or s.leaf in others:
            continue
        if isinstance(s.value, bool) or not isinstance(s.value, (int, float)) or not 0 < s.value < 1:
            continue
        s.canonical = "learning_rate"
        roles = {o.role for o in opts}
        if s.role is None and len(roles) == 1:
            s.role = roles.pop()


_RESTORES = re.compile(r"\b(load_state_dict|load_from_checkpoint)\(|\btorch\.load\(")


def drop_unused_optimizers(facts) -> None:
    """An optimizer assigned to a name that is never written again (no step, no zero_grad, not passed on,
    returned, imported or even mentioned in a comment or a string) in a script that restores trained weights
    and runs no backward() or step() trains nothing: a sampling script's `g_optimizer = Adam(G.parameters(),
    lr=3e-4)` left beside `G.load_state_dict(...)` sets no rate and no momentum of any training run (a snippet
    that only builds an optimizer still says how the model would be trained). A plain name counts in its own
    file and in the files that name its module (`from sample import g_optimizer`; another script's own
    `g_optimizer` is another variable); an attribute (`self.opt_g`) anywhere in the project."""
    from ganlint.reading.code.words import WordCounts

    opts = facts.code.optimizers
    code = facts.code
    trains = {m.location.file for m in (*code.backward_calls, *code.optimizer_steps)}
    restores: dict[str, bool] = {}
    by_file: dict[str, set[str]] = {}
    for o in opts:
        file = o.location.file
        if not o.var or not o.var.rsplit(".", 1)[-1].isidentifier() or file in trains:
            continue
        if file not in restores:
            restores[file] = bool(_RESTORES.search(facts.texts.get(file, "")))
        if restores[file]:
            by_file.setdefault(file, set()).add(o.var)
    if not by_file:
        return
    texts = facts.texts
    project: WordCounts | None = None
    unused: set[tuple[str, str]] = set()
    for file, names in by_file.items():
        own = WordCounts([texts.get(file, "")], len(names))
        for var in names:
            short = var.rsplit(".", 1)[-1]
            n = own.mentions(short)
            if n > 1:
                continue
            if "." in var:  # an attribute may be read through any object holding it, in any file
                if project is None:
                    project = WordCounts(list(texts.values()), len(by_file))
                n = project.mentions(short)
            else:
                stem = re.compile(rf"\b{re.escape(file.rsplit('/', 1)[-1].rsplit('.', 1)[0])}\b")
                readers = [t for f, t in texts.items() if f != file and stem.search(t)]
                n += WordCounts(readers, 1).mentions(short) if readers else 0
            if n <= 1:
                unused.add((file, var))
    if unused:
        opts[:] = [o for o in opts if (o.location.file, o.var) not in unused]
