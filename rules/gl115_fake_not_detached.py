"""GL115 fake-not-detached: the discriminator step back-propagates into the generator (paper)."""
from __future__ import annotations

import ast
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import replace_code, segment
from ganlint.reading.facts import ProjectFacts


class FakeNotDetached(Rule):
    code = "GL115"
    slug = "fake-not-detached"
    severity = Severity.ERROR
    summary = "The critic/discriminator loss uses `G(z)` without `.detach()` or `torch.no_grad()`, so its backward pass runs into the generator."
    why = (
        "The discriminator's loss wants D(G(z)) low; back-propagated into G (which shares the graph when the "
        "fake batch is not detached), it computes gradients that push the generator *towards* being "
        "detected. Those gradients accumulate in G's `.grad` unless zeroed before the generator step, and the "
        "backward pass through G doubles the cost of every discriminator update."
    )
    use_instead = "`loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)`, or generate the D batch under `torch.no_grad()`."
    source = "paper"
    families = ("gan", "wgan", "wgan-gp")
    options: dict[str, Any] = {}

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        for u in facts.code.undetached_fakes:
            if u.through:  # the D call is inside the module's forward: no one edit separates the two losses
                yield self.finding(
                    f"the discriminator loss back-propagated here is computed from `{u.through}`, whose forward "
                    f"applies the discriminator to `{u.fake_src}` (the generator's/decoder's output) without "
                    ".detach(): this backward pass runs into the generator",
                    u.location,
                    related=[u.generated_at] if u.generated_at else [],
                    fix=Fix(f"compute the discriminator's own terms on `{u.fake_src}.detach()`: not applied "
                            "automatically: the same forward output also serves the generator's loss", [],
                            display_only=True),
                    evidence={"fake": u.fake_src, "d_losses": list(u.d_losses), "through": u.through},
                )
                continue
            call = segment(facts.texts, u.location)
            same_line = u.location.line == u.location.end_line == u.fake_location.line == u.fake_location.end_line
            if call and same_line:
                # rewrite the whole D(...) call (unique on its line) so the edit survives line shifts
                i = u.fake_location.column - u.location.column
                new = call[:i] + f"{u.fake_src}.detach()" + call[i + len(u.fake_src):]
                edit = replace_code(u.location, call, new)
            else:
                edit = replace_code(u.fake_location, u.fake_src, f"{u.fake_src}.detach()")
            yield self.finding(
                f"the discriminator loss uses `{u.fake_src}` (a generator output) without .detach(): its "
                "backward pass runs into the generator; use "
                f"`{u.fake_src}.detach()`",
                u.location,
                related=[u.generated_at] if u.generated_at else [],
                fix=Fix(f"detach {u.fake_src} in the discriminator step", [edit]),
                evidence={"fake": u.fake_src, "d_losses": list(u.d_losses)},
            )

    bad = [
        Example(
            {
                "train.py": (
                    "import torch\nimport torch.nn as nn\nfrom model import Discriminator, Generator\n\n"
                    "def main(cfg):\n"
                    "    G = Generator(cfg['z_dim'])\n"
                    "    D = Discriminator()\n"
                    "    criterion = nn.BCEWithLogitsLoss()\n"
                    "    for real in loader:\n"
                    "        fake = G(torch.randn(64, 16))\n"
                    "        loss_d = criterion(D(real), ones) + criterion(D(fake), zeros)  # expect\n"
                    "        loss_d.backward()\n"
                ),
            },
            "document 002's loop",
            fixed=[("        loss_d = criterion(D(real), ones) + criterion(D(fake), zeros)  # expect\n", "        loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)  # expect\n")],
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def critic_step(gen, critic, real, z):\n"
                    "    fake = gen(z)\n"
                    "    d_loss = critic(fake).mean() - critic(real).mean()  # expect\n"
                    "    return d_loss\n\n"
                    "def dcgan_step(netG, netD, criterion, noise, label):\n"
                    "    fake = netG(noise)\n"
                    "    output = netD(fake).view(-1)  # expect\n"
                    "    errD_fake = criterion(output, label)\n"
                    "    return errD_fake\n"
                ),
            },
            "WGAN critic loss; DCGAN tutorial's errD_fake without detach",
            fixed=[("    d_loss = critic(fake).mean() - critic(real).mean()  # expect\n", "    d_loss = critic(fake.detach()).mean() - critic(real).mean()  # expect\n"),
                   ("    output = netD(fake).view(-1)  # expect\n", "    output = netD(fake.detach()).view(-1)  # expect\n")],
        ),
        Example(
            {
                "gan_script.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def G(z):\n    return torch.sigmoid(z @ Wg)\n\n"
                    "def D(x):\n    return torch.sigmoid(x @ Wd)\n\n"
                    "g_opt = torch.optim.Adam(g_params, lr=2e-4)\n"
                    "d_opt = torch.optim.Adam(d_params, lr=2e-4)\n"
                    "for it in range(1000):\n"
                    "    sample = G(torch.randn(64, 8))\n"
                    "    out_real, out_fake = D(batch), D(sample)  # expect\n"
                    "    part_fake = F.binary_cross_entropy(out_fake, torch.full_like(out_fake, 0.1))\n"
                    "    total = F.binary_cross_entropy(out_real, torch.ones_like(out_real)) + part_fake\n"
                    "    total.backward()\n"
                    "    d_opt.step()\n"
                    "    d_opt.zero_grad()\n"
                ),
            },
            "a script with unrevealing names: the loss is the D step's because d_opt steps after its backward",
            fixed=[('    out_real, out_fake = D(batch), D(sample)  # expect\n', '    out_real, out_fake = D(batch), D(sample.detach())  # expect\n')]),
        Example(
            {
                "vaegan.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def train_step(vae, netD, opt_enc_dec, opt_dis, x):\n"
                    "    mu, logvar = vae.encode(x)\n"
                    "    z = mu + torch.exp(0.5 * logvar.clamp(-10, 10)) * torch.randn_like(mu)\n"
                    "    x_tilde = vae.decode(z)\n"
                    "    d_real, d_fake = netD(x), netD(x_tilde)  # expect\n"
                    "    loss_dis = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \\\n"
                    "        F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))\n"
                    "    opt_dis.zero_grad()\n    loss_dis.backward()\n    opt_dis.step()\n"
                ),
            },
            "a VAE-GAN: the decoder's reconstruction is the fake of the discriminator step",
            fixed=[('    d_real, d_fake = netD(x), netD(x_tilde)  # expect\n', '    d_real, d_fake = netD(x), netD(x_tilde.detach())  # expect\n')]),
    ]
    good = [
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def step(G, D, criterion, real, z, ones, zeros):\n"
                    "    fake = G(z)\n"
                    "    loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)\n"
                    "    loss_g = criterion(D(fake), ones)\n"
                    "    with torch.no_grad():\n"
                    "        fake2 = G(z)\n"
                    "    d_loss = D(fake2).mean() - D(real).mean()\n"
                    "    return loss_d, loss_g, d_loss\n"
                ),
            },
            "detached, under no_grad, and the generator's own loss",
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def critic_step(gen, critic, real, z):\n"
                    "    fake = gen(z).detach()\n"
                    "    loss_critic = critic(fake).mean() - critic(real).mean()\n"
                    "    return loss_critic\n\n"
                    "def gen_step(gen, critic, z):\n"
                    "    loss_g = -critic(gen(z)).mean()\n"
                    "    return loss_g\n"
                ),
            },
            "document 000's WGAN-GP loop",
        ),
        Example(
            {
                "train.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def train(gen, disc, opt_gen, opt_disc, x, z):\n"
                    "    fake = gen(z)\n"
                    "    score_fake = disc(fake.detach())\n"
                    "    loss = F.softplus(score_fake).mean() + F.softplus(-disc(x)).mean()\n"
                    "    opt_disc.zero_grad()\n    loss.backward()\n    opt_disc.step()\n"
                    "    loss = F.softplus(-disc(fake)).mean()\n"
                    "    opt_gen.zero_grad()\n    loss.backward()\n    opt_gen.step()\n"
                ),
            },
            "one name for both losses: the second `loss` is the G step's (opt_gen steps after it)",
        ),
        Example(
            {
                "gan_tf.py": (
                    "import tensorflow as tf\n\n"
                    "G_sample = generator(Z)\n"
                    "D_real, D_logit_real = discriminator(X)\n"
                    "D_fake, D_logit_fake = discriminator(G_sample)\n"
                    "D_loss = -tf.reduce_mean(tf.log(D_real) + tf.log(1. - D_fake))\n"
                    "D_solver = tf.train.AdamOptimizer().minimize(D_loss, var_list=theta_D)\n"
                ),
            },
            "TensorFlow: minimize(var_list=theta_D) never reaches the generator",
        ),
    ]

    fix_safety = "safe"
    fix_safety_why = ("Only the discriminator's use of the fake batch is detached. Where the same D(G(z)) value "
                      "also feeds the generator's loss, detaching it would cut the generator's gradient: the fix "
                      "is then refused, with the reason.")

    def leak_finding(self, leak: dict[str, Any], location, related, family: str | None) -> Finding:
        """The traced run's view of this rule: the generator's parameters got gradients in the critic's step
        (`leak`: checks, hits, steps and the largest norm the trace measured)."""
        msg = (f"the critic's backward reaches the generator: its parameters received gradients between the "
               f"critic's zero_grad and step in {leak['hits']} of {leak['checks']} checked critic steps (largest norm "
               f"{leak['norm']:.3g}); the fake batch is not detached here")
        ev = {"runtime": True, "checks": leak["checks"], "hits": leak["hits"], "steps": leak["steps"][:10],
              "generator_grad_norm": round(leak["norm"], 6), "network": "critic"}
        return self.finding(msg, location, related=related, evidence=ev, family=family)

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        from ganlint.fix.project import refused

        out = []
        trees: dict[str, ast.AST | None] = {}  # one parse per file, not per finding (a pasted script has dozens)
        for f in findings:
            if f.fix is None or not f.fix.edits:
                continue
            fake = f.evidence.get("fake", "fake")
            file = f.location.file
            if file not in trees:
                trees[file] = _parse(project.texts.get(file, ""))
            why = _why_not_detach(project.texts.get(file, ""), f.location.line, fake,
                                  set(f.evidence.get("d_losses", ())), tree=trees[file])
            out.append(refused(f.fix.message, why) if why else f.fix)
        return out


def _names(node: ast.AST) -> set[str]:
    """Names (and dotted self.x names) an expression reads."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and isinstance(n.ctx, ast.Load):
            out.add(f"{n.value.id}.{n.attr}")
    return out


def _targets(stmt: ast.stmt) -> set[str]:
    tg = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else []
    out = set()
    for t in tg:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                out.add(n.id)
            elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
                out.add(f"{n.value.id}.{n.attr}")
    return out


def _parse(text: str) -> ast.AST | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _why_not_detach(text: str, line: int, fake: str, d_losses: set[str] = frozenset(),
                    tree: ast.AST | None = None) -> str | None:
    """Why detaching `fake` in the discriminator call on `line` would break training, or None. Follows the
    call's value through the assignments after it (in line order, in its function): a loss it reaches that
    is not the discriminator's (by its name's role) would lose the generator's gradient; an autograd.grad
    of it with respect to `fake` (a W-div or DRAGAN-style penalty on the fakes) would find no graph."""
    from ganlint.core.roles import role_from_name

    if tree is None:
        tree = _parse(text)
    if tree is None:
        return None
    sink, grads = _flow(tree, line, d_losses)
    if any(fake in _names(a) for a in grads):
        return (f"the penalty differentiates the discriminator's output with respect to `{fake}` "
                "(autograd.grad): detached, it has no graph to differentiate")
    if sink:
        return (f"the same D(...) value also feeds `{sink}`, not the discriminator's loss; detaching it would cut "
                f"the generator's gradient. Compute the discriminator's term on `{fake}.detach()` in a call of its own")
    return None


def _stmt_info(s: ast.stmt, memo: dict) -> tuple:
    """(names read, names assigned, names of each .backward() receiver, (outputs' names, inputs) of each
    autograd.grad call, names returned) of one simple statement, kept in `memo`."""
    key = ("stmt", id(s))
    got = memo.get(key)
    if got is None:
        backward, grad_calls = [], []
        for call in (c for c in ast.walk(s) if isinstance(c, ast.Call)):
            if isinstance(call.func, ast.Attribute) and call.func.attr == "backward":
                backward.append(_names(call.func.value))
            fn = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            outputs = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "outputs"), None)
            inputs = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "inputs"), None)
            if fn == "grad" and outputs is not None and inputs is not None:
                grad_calls.append((_names(outputs), inputs))
        returned = _names(s.value) if isinstance(s, ast.Return) and s.value is not None else set()
        got = memo[key] = (_names(s), _targets(s), backward, grad_calls, returned)
    return got


def _flow(tree: ast.AST, line: int, d_losses: set[str] = frozenset()) -> tuple[str | None, list[ast.AST]]:
    """(the first back-propagated or returned loss reached that is not the discriminator's, the `inputs`
    arguments of autograd.grad calls on values reached). A loss is the discriminator's by its name's role or
    because the reader saw the discriminator's optimizer step after its backward (`d_losses`)."""
    from ganlint.core.roles import role_from_name

    from bisect import bisect_right

    # what each statement reads, assigns, back-propagates and differentiates: worked out once per tree for
    # all of a file's findings (a 420 KB script run at module level: every finding walked every statement
    # after it again, 127 s, fuzz input 6315)
    memo = tree.__dict__.setdefault("_gl115_memo", {})
    body = getattr(tree, "body", [])
    if "top" not in memo:
        memo["top"] = [n.lineno for n in body]
    scope: ast.AST = tree
    # the functions holding `line` all lie in the top-level statement holding it: only that one is walked
    k = bisect_right(memo["top"], line) - 1
    top = body[k] if k >= 0 and line <= (body[k].end_lineno or body[k].lineno) else None
    for n in ast.walk(top) if top is not None else ():
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno <= line <= (n.end_lineno or n.lineno):
            if scope is tree or n.lineno > scope.lineno:
                scope = n
    got = memo.get(id(scope))
    if got is None:
        simple = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)
        found = sorted((s for s in ast.walk(scope) if isinstance(s, simple)), key=lambda s: (s.lineno, s.col_offset))
        got = memo[id(scope)] = (found, [s.lineno for s in found])
    stmts, starts = got
    # simple statements do not nest: the last one starting at or before `line` holds it, or none does
    at = bisect_right(starts, line) - 1
    if at < 0 or line > (stmts[at].end_lineno or stmts[at].lineno):
        return None, []
    start = stmts[at]
    derived = _targets(start)
    sinks: list[str] = []
    grads: list[ast.AST] = []
    for s in stmts[at + 1:]:
        reads, targets, backward, grad_calls, returned = _stmt_info(s, memo)
        hit = (reads | (targets if isinstance(s, ast.AugAssign) else set())) & derived
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            derived = derived | targets if hit else derived - targets
        for names in backward:
            sinks += sorted(names & derived)
        for outputs, inputs in grad_calls:
            if outputs & derived:
                grads.append(inputs)
        sinks += sorted(returned & derived)
        if not derived:
            break  # nothing reached is left: no later statement can reach a loss or a penalty through it
    from ganlint.reading.code.recognise.gan import is_d_loss_name

    def role(name: str) -> str | None:
        short = name.rsplit(".", 1)[-1]
        named = role_from_name(short)
        if named is None and (short in d_losses or is_d_loss_name(short)):
            return "critic"  # unrevealing name, but the discriminator's optimizer steps on it
        return named

    if sinks:  # every loss it reaches must be the discriminator's (d_loss, errD, loss_critic)
        return next((x for x in sinks if role(x) != "critic"), None), grads
    return next((x for x in sorted(derived) if role(x) == "generator"), None), grads


RULE = FakeNotDetached()
