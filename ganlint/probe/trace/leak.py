"""Does the critic's backward reach the generator's parameters? (runtime evidence of an undetached fake batch)

The generator's `.grad` tensors are fingerprinted (identity and version counter: no copy, no sync) after an
optimizer step; at the critic's next step a changed fingerprint means the critic's backward wrote gradients
into the generator. Checked at the first CHECKS critic steps, then at every EVERY-th.
"""
from __future__ import annotations

CHECKS, EVERY = 40, 25


def _fingerprint(params) -> list:
    return [None if (g := p.grad) is None else (id(g), g._version) for p in params]


class LeakCheck:
    def __init__(self, gen_params: list):
        self.gen_params = gen_params
        self.found = {"checks": 0, "hits": 0, "steps": [], "norm": 0.0}
        self._snapshot = None

    def due(self, critic_steps: int) -> bool:
        return self.found["checks"] < CHECKS or critic_steps % EVERY == 0

    def after_step(self, critic_steps_done: int) -> None:
        """After any optimizer step: a snapshot when the critic's next step is checked; a snapshot from an older
        step would count the generator's own backward: none then."""
        self._snapshot = _fingerprint(self.gen_params) if self.due(critic_steps_done) else None

    def at_critic_step(self, step: int) -> None:
        import torch

        if self._snapshot is None:  # no snapshot at the step before: nothing to compare
            return
        fp = _fingerprint(self.gen_params)
        lk = self.found
        lk["checks"] += 1
        changed = [p.grad for p, a, b in zip(self.gen_params, fp, self._snapshot) if a is not None and a != b]
        if changed:  # the norm is read only when something changed (a broken program), not per step
            norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in changed])))
            if norm > 0:
                lk["hits"] += 1
                lk["norm"] = max(lk["norm"], norm)
                if len(lk["steps"]) < 20:
                    lk["steps"].append(step)
