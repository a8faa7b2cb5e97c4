"""Energy-model facts: InfoNCE written as cross_entropy over -E / tau."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, dotted, last, names_in
from ganlint.reading.code.facts import Marker
from ganlint.reading.code.recognise.temperature import l2_normalises, temperature_default
from ganlint.reading.import_graph import importers_of, imports_of


def _infonce(r, n: ast.Call, ln: str) -> None:
    if ln == "cross_entropy" and n.args:
        fn = r.funcs[-1]
        logits = n.args[0]
        if isinstance(logits, ast.Name):
            prev = fn.value_before(logits.id, n.lineno + 1)
            logits = prev[0] if prev and prev[0] is not None else logits
        if _neg_over_tau(logits):
            r.f.infonce.append(Marker("infonce", r.src.loc(n), r.src.seg(n), r.scope()))


def _diag_of_log_softmax(r, n: ast.Call) -> None:
    """CPC's InfoNCE (van den Oord et al. 2018, eq. 4): `torch.diag(lsoftmax(torch.mm(z, pred.T)))`, the
    log-softmax of a score matrix whose diagonal holds the positive pairs, summed. A classifier's
    log-softmax over a linear layer's output is no score matrix, and its diagonal is never taken."""
    arg = n.args[0] if n.args else n.func.value if isinstance(n.func, ast.Attribute) else None
    if not isinstance(arg, ast.Call) or not arg.args:  # torch.diag(x) / x.diag(): x must be a log-softmax call
        return
    low = (last(call_name(arg)) or "").lower().replace("_", "")
    if not ("logsoftmax" in low or low == "lsoftmax"):
        return
    scores, fn = arg.args[0], r.funcs[-1]
    if _is_similarity(scores) or (isinstance(scores, ast.Name) and fn.node is not None
                                  and _built_from_similarity(fn, scores, n.lineno)):
        if not any(m.scope == r.scope() and m.location.file == r.src.path for m in r.f.infonce):
            r.f.infonce.append(Marker("infonce", r.src.loc(n), r.src.seg(n), r.scope()))


def _softmax_over_cosine_similarity(r, n: ast.Call) -> None:
    """NT-Xent with the temperature folded into the embeddings (`z = F.normalize(z) / sqrt(tau)`, then
    `log_softmax(z @ z.t())`): a softmax over a similarity matrix of L2-normalised embeddings is SimCLR's
    InfoNCE (Chen et al. 2020, eq. 1) whatever scales it. A classifier's log-softmax over a linear layer's
    output is no similarity of normalised vectors."""
    fn = r.funcs[-1]
    if not n.args or fn.node is None or fn.name == "<module>":
        return
    scores = n.args[0]
    if not (_is_similarity(scores) or (isinstance(scores, ast.Name) and _built_from_similarity(fn, scores, n.lineno))):
        return
    normalises = fn.__dict__.setdefault("_normalises", any(
        isinstance(c, ast.Call) and last(call_name(c)) == "normalize" for c in walk(fn.node)))
    if normalises and not any(m.scope == r.scope() and m.location.file == r.src.path for m in r.f.infonce):
        r.f.infonce.append(Marker("infonce", r.src.loc(n), r.src.seg(n), r.scope()))


def _hand_written_softmax(fnode: ast.AST) -> bool:
    """`-log(exp(pos / tau) / sum(exp(sim / tau)))`: the softmax cross-entropy written with exp and log."""
    calls = {last(call_name(c)) for c in walk(fnode) if isinstance(c, ast.Call)}
    return "log" in calls and "exp" in calls


def _neg_over_tau(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.BinOp) and isinstance(node.operand.op, ast.Div)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        l = node.left
        return (isinstance(l, ast.UnaryOp) and isinstance(l.op, ast.USub)) or (
            isinstance(l, ast.Call) and isinstance(l.func, ast.Attribute) and l.func.attr == "neg")
    return False


_NOISE = ("randn", "randn_like", "normal_", "normal", "rand_like")


def on_assign(r, target: ast.AST, tname: str | None, value: ast.AST, st: ast.stmt) -> None:
    """Langevin / SGLD sampling: an input moved along the model's gradient w.r.t. it, plus noise
    (`x_k.data += lr * grad(f(x_k).sum(), [x_k])[0] + std * randn_like(x_k)`): an energy model."""
    fn = r.funcs[-1]
    if not fn.grad_calls and not isinstance(st, ast.AugAssign) and ".grad" not in r.src.seg(value):
        return  # cheap: no gradient in sight
    base = target.value if isinstance(target, ast.Attribute) and target.attr == "data" else target
    name = dotted(base)
    if name and _moves_along_own_grad(r, name, value if not isinstance(st, ast.AugAssign) else st.value):
        _langevin(r, st)


_CALLS = frozenset({"cross_entropy", "log_softmax", "logsumexp", "div", "add_", "sub_", "diag", "diagonal",
                    "exp"})  # the only calls the cases below look at


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if ln not in _CALLS:
        return False
    _infonce(r, n, ln)
    if ln in ("cross_entropy", "log_softmax", "logsumexp"):
        _softmax_over_cosine_similarity(r, n)
    if ln in ("diag", "diagonal"):
        _diag_of_log_softmax(r, n)
    if ln == "div" and name in ("torch.div", "th.div") and len(n.args) == 2:  # torch.div(a @ b.T, self.temperature)
        similarity_over_temperature(r, n.args[0], n.args[1], n)
    if ln == "exp":  # torch.exp(torch.div(out, T)), (sim / tau).exp(): NCE's unnormalised exp(s / tau)
        arg = n.args[0] if n.args and name in ("torch.exp", "th.exp") else (
            n.func.value if isinstance(n.func, ast.Attribute) and not n.args else None)
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Div):
            similarity_over_temperature(r, arg.left, arg.right, arg, exp=True)
        elif isinstance(arg, ast.Call) and dotted(arg.func) in ("torch.div", "th.div") and len(arg.args) == 2:
            similarity_over_temperature(r, arg.args[0], arg.args[1], arg, exp=True)
    # neg_x.data.add_(-step, neg_x.grad.data): igebm's Langevin step
    if ln in ("add_", "sub_") and isinstance(n.func, ast.Attribute):
        recv = n.func.value
        base = recv.value if isinstance(recv, ast.Attribute) and recv.attr == "data" else recv
        var = dotted(base)
        if var and any(isinstance(a, ast.AST) and _moves_along_own_grad(r, var, a) for a in n.args):
            _langevin(r, n)
    return False


def _moves_along_own_grad(r, var: str, value: ast.AST) -> bool:
    fn = r.funcs[-1]
    for m in walk(value):
        if isinstance(m, ast.Attribute) and m.attr == "grad" and dotted(m.value) == var:
            break  # x.grad
        if isinstance(m, ast.Call) and last(call_name(m)) == "sign":
            return False  # an adversarial example (FGSM), not a sampler
        if isinstance(m, ast.Name) and m.id != var and _holds_grad_wrt(r, fn, m.id, var, getattr(value, "lineno", 10**9) + 1):
            break
    else:
        return False
    fnode = fn.node
    return fnode is not None and any(
        isinstance(c, ast.Call) and last(call_name(c)) in _NOISE for c in walk(fnode))


def _holds_grad_wrt(r, fn, name: str, var: str, line: int, depth: int = 0) -> bool:
    """`name` was assigned the gradient w.r.t. `var`, or a step made of it a few assignments back:
    `g = autograd.grad(out.sum(), x)[0]; dynamics = step * g + noise; x = x + dynamics`."""
    prev = fn.value_before(name, line)
    if prev is None or prev[0] is None:
        return False
    if _grad_wrt(r, prev[0], var):
        return True
    if depth >= 2 or not isinstance(prev[0], ast.BinOp):
        return False  # only arithmetic on the gradient is a step along it (not `norm = g.norm()`)
    if any(isinstance(m, ast.Call) and last(call_name(m)) == "sign" for m in walk(prev[0])):
        return False  # `step = eps * g.sign()`: an adversarial example (PGD), not a sampler
    return any(isinstance(m, ast.Name) and m.id not in (name, var) and _holds_grad_wrt(r, fn, m.id, var, prev[2], depth + 1)
               for m in walk(prev[0]))


def _grad_wrt(r, node: ast.AST, var: str) -> bool:
    """autograd.grad(f(x).sum(), [x])[0] with x == var."""
    while isinstance(node, ast.Subscript):
        node = node.value
    fname = dotted(node.func) if isinstance(node, ast.Call) else None
    if not fname or not (fname in r.grad_aliases or fname.endswith(".autograd.grad")) or len(node.args) < 2:
        return False
    return var in names_in(node.args[1]) or var.rsplit(".", 1)[-1] in names_in(node.args[1])


def _langevin(r, node: ast.AST) -> None:
    if not any(m.location.file == r.src.path for m in r.f.langevin):
        r.f.langevin.append(Marker("langevin", r.src.loc(node), r.src.seg(node), r.scope()))


_SIMILARITY = ("matmul", "mm", "bmm", "einsum", "cosine_similarity", "cdist", "inner", "dot")
_TEMPERATURE = ("temperature", "temp", "tau", "t")
_NCE_TAILS = ("cross_entropy", "CrossEntropyLoss", "log_softmax", "logsumexp", "nll_loss")


def _is_temperature(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    low = (name or "").lower()
    return low in _TEMPERATURE or "temperature" in low or low.endswith("_tau") or low.startswith("tau")


def _is_similarity(node: ast.AST) -> bool:
    for m in walk(node):
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.MatMult):
            return True
        if isinstance(m, ast.Call) and _similarity_call(last(call_name(m)) or ""):
            return True
    return False


def _similarity_call(name: str) -> bool:
    """torch.matmul / F.cosine_similarity, or a module held under a similarity's name (`self.cossim =
    nn.CosineSimilarity(dim=-1)`, then `self.cossim(z1, z2)`)."""
    low = name.lower()
    return low in _SIMILARITY or any(w in low for w in ("cossim", "cos_sim", "cosine", "similarity"))


def _built_from_similarity(fn, node: ast.AST, line: int, depth: int = 0) -> bool:
    """`logits = torch.cat([pos, neg], 1)` with `pos = sim[mask].view(n, -1)` and `sim = z @ z.T` a few
    assignments back: the logits are a similarity (followed through at most four assignments)."""
    if _is_similarity(node):
        return True
    if depth >= 4:
        return False
    names = [m.id for m in walk(node) if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Load)][:6]
    for name in dict.fromkeys(names):
        prev = fn.value_before(name, line)
        if prev is not None and prev[0] is not None and _built_from_similarity(fn, prev[0], prev[2], depth + 1):
            return True
    return False


def _returns_class_targets(fnode: ast.AST) -> bool:
    """The function returns its logits with InfoNCE's class targets for a cross-entropy taken by the caller:
    `labels = torch.zeros(n, dtype=torch.long)` (positive in column 0) or `torch.arange(n)` (the diagonal)."""
    targets = set()
    for m in walk(fnode):
        if isinstance(m, ast.Assign) and len(m.targets) == 1 and isinstance(m.targets[0], ast.Name):
            v = m.value
            while isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr in ("to", "cuda", "long"):
                v = v.func.value  # torch.zeros(n, dtype=torch.long).to(device)
            if isinstance(v, ast.Call) and (last(call_name(v)) == "arange" or (
                    last(call_name(v)) == "zeros" and any(k.arg == "dtype" and "long" in ast.dump(k.value) for k in v.keywords))):
                targets.add(m.targets[0].id)
    if not targets:
        return False
    return any(isinstance(m, ast.Return) and isinstance(m.value, ast.Tuple)
               and any(isinstance(e, ast.Name) and e.id in targets for e in m.value.elts) for m in walk(fnode))


def similarity_over_temperature(r, num: ast.AST, den: ast.AST, at: ast.AST, exp: bool = False) -> None:
    """logits = sim(a, b) / tau in a function that then takes a softmax cross-entropy: a hand-written
    (supervised-)contrastive InfoNCE. A Gumbel-softmax `tau` or a soft-update `tau` never divides a
    similarity matrix feeding a cross-entropy. Two more shapes leave the cross-entropy to another module:
    `exp(sim / tau)` (`exp`), the memory bank's unnormalised NCE probabilities (Wu et al. 2018, eq. 2), and the
    cosine similarity of L2-normalised embeddings over a temperature (CLIP's `forward` returning the logits).
    Attention's `q @ k.T / temperature` feeds a plain softmax over unnormalised vectors: neither."""
    if not _is_temperature(den):
        return
    fn = r.funcs[-1]
    if fn.node is None or fn.name == "<module>":
        return
    if not (_is_similarity(num) or (isinstance(num, ast.Name) and _built_from_similarity(fn, num, at.lineno))):
        return
    tails = fn.__dict__.setdefault("_nce_tail", any(
        isinstance(c, ast.Call) and last(call_name(c)) in _NCE_TAILS for c in walk(fn.node))
        or _returns_class_targets(fn.node) or _hand_written_softmax(fn.node))
    tails = tails or exp or fn.__dict__.setdefault("_l2_normalises", l2_normalises(fn.node))
    if tails and not any(m.scope == r.scope() and m.location.file == r.src.path for m in r.f.infonce):
        r.f.infonce.append(Marker("infonce", r.src.loc(at), r.src.seg(at), r.scope()))
    if tails:
        temperature_default(r, fn, den)


def on_binop(r, n: ast.BinOp) -> None:
    if isinstance(n.op, ast.Div):
        similarity_over_temperature(r, n.left, n.right, n)


def energy_training_sites(facts) -> list:
    """One energy optimizer per training program: the first of every file that shows the energy training
    itself (a Langevin sampler or an InfoNCE loss in that file, or an optimizer of the energy network);
    where no file does, the first one of each file that imports a module showing it, calls backward and runs
    what holds the loss (see `_runs_a_holder`), unless a script building an optimizer imports it (a utils module
    holding both the contrastive loop and a linear probe belongs to the pretraining script); else the first of a file
    that imports, directly or through other project files, a module that shows it (MoCo's main_moco.py imports
    moco/builder.py, whose loss is the InfoNCE; main_lincls.py beside it trains a linear classifier with
    cross-entropy on labels and imports no such module), else the first one read. ebm-anatomy's train_data.py
    and train_toy.py are two programs; a classifier script beside them shows neither, and is not taken for the
    energy model's trainer even when it is read first."""
    from ganlint.reading.code.annotated_roles import annotated_role
    from ganlint.reading.code.links import energy_optimizers

    opts = energy_optimizers(facts)
    shown = {m.location.file for m in [*facts.code.langevin, *facts.code.infonce]}
    out: list = []
    for o in opts:
        f = o.location.file
        if f not in {p.location.file for p in out} and (f in shown or (
                o.role or facts.code.role_of_var(o.network_var)
                or annotated_role(facts.code, o.network_var, facts.texts.get(f, ""))) == "energy"):
            out.append(o)
    if out or not shown or not opts:
        return out or opts[:1]
    reach = importers_of(facts, shown)
    # CMC's train_CMC.py and train_moco_ins.py each build and run an NCE memory bank: two programs (a fine-tuning
    # script reaching the loss only through a utils module is no such trainer)
    classes, functions = _holders(facts)
    imports = imports_of(facts) if classes or functions else {}
    backward = {b.location.file for b in facts.code.backward_calls}
    training = _training_methods(facts, classes)
    for o in opts:
        f = o.location.file
        text = facts.texts.get(f, "")
        if f in reach and f not in {p.location.file for p in out} and imports.get(f, set()) & shown and (
                f in backward and _runs_a_holder(text, classes, functions)
                or _calls_a_training_method(text, training)):
            out.append(o)
    if out:  # a trainer module another script building an optimizer imports is part of that script's program
        from ganlint.reading.import_graph import import_graph, reach as reached_from

        graph, files = import_graph(facts), {o.location.file for o in opts if o.location.file in reach}
        out = [o for o in out if not any(f != o.location.file and f in files
                                         for f in reached_from(graph, o.location.file))]
    return out or next(([o] for o in opts if o.location.file in reach), opts[:1])


def _holders(facts) -> tuple[set[str], set[str]]:
    """The classes and the functions holding the project's InfoNCE or Langevin code (`NCEAverage`, `nt_xent`)."""
    classes, functions = set(), set()
    for m in [*facts.code.langevin, *facts.code.infonce]:
        head, dot, _rest = (m.scope or "").partition(".")
        if head.isidentifier():
            (classes if dot else functions).add(head)
    return classes, functions


def _training_methods(facts, classes: set[str]) -> dict[str, set[str]]:
    """Holding class -> its methods that call backward themselves (`SimCLRTrainer.train`: the loop around
    its own InfoNCE loss), read from the class's block in the file of its InfoNCE or Langevin code."""
    import re

    out: dict[str, set[str]] = {}
    for m in [*facts.code.langevin, *facts.code.infonce]:
        c = (m.scope or "").partition(".")[0]
        if c not in classes or c in out:
            continue
        text = facts.texts.get(m.location.file, "")
        block = re.search(rf"^class[ \t]+{re.escape(c)}\b.*?(?=^\S|\Z)", text, re.M | re.S)
        methods = re.split(r"^[ \t]+def[ \t]+", block.group(0), flags=re.M)[1:] if block else []
        out[c] = {b.partition("(")[0] for b in methods if ".backward(" in b}
    return out


def _runs_a_holder(text: str, classes: set[str], functions: set[str]) -> bool:
    """The file calls a holding function (`loss = nt_xent(z)`), or builds a holding class and calls the instance
    (`contrast = NCEAverage(...)`, later `out = contrast(feat, index)`): a pretrained model it only loads and
    hands on (`cdc = CDCK2(...)`, `cdc.load_state_dict(...)`) trains nothing with the loss here."""
    import re

    if any(re.search(rf"\b{re.escape(f)}\s*\(", text) for f in functions):
        return True
    for c in classes:
        for var in re.findall(rf"([A-Za-z_][\w.]*)\s*=\s*(?:[\w.]+\.)?{re.escape(c)}\s*\(", text):
            if re.search(rf"(?<![\w.]){re.escape(var)}\s*\(", text):
                return True
    return False


def _calls_a_training_method(text: str, training: dict[str, set[str]]) -> bool:
    """The file builds a holding class and calls a method of it that runs backward itself (`trainer =
    SimCLRTrainer(...)`, then `trainer.train(epochs=...)`): the script's optimizer trains with the loss there."""
    import re

    for c, names in training.items():
        if not names:
            continue
        calls = "|".join(re.escape(n) for n in sorted(names))
        for var in re.findall(rf"([A-Za-z_][\w.]*)\s*=\s*(?:[\w.]+\.)?{re.escape(c)}\s*\(", text):
            if re.search(rf"(?<![\w.]){re.escape(var)}\.(?:{calls})\s*\(", text):
                return True
    return False


def serves(site_file: str, at_file: str, site_files: set[str]) -> bool:
    """A clip or scheduler in `at_file` serves the program whose optimizer is built in `site_file`: it is
    in that file, or in a shared helper file that builds no energy optimizer of its own."""
    return at_file == site_file or at_file not in site_files
