"""How the user's VAE loss reduces its reconstruction term, read from the code's text (the probe trains with
the same shape, so its KL weight means what it means in the user's loss).

"sum": summed over the data dimensions (F.mse_loss(..., reduction='sum'), size_average=False,
((x_hat - x) ** 2).sum(...)): the KL (summed over latents) is weighed against D terms per sample.
"mean": averaged over every element (F.mse_loss(x_hat, x), reduction='mean'): the KL weighs D times more.
None: the code does not say (no reconstruction loss found, or both kinds)."""
from __future__ import annotations

import re

_LOSS_CALL = re.compile(r"\b(?:F\.|functional\.|nn\.)?(mse_loss|binary_cross_entropy(?:_with_logits)?|l1_loss|"
                        r"smooth_l1_loss|MSELoss|BCELoss|BCEWithLogitsLoss|L1Loss|gaussian_nll_loss)\s*\(")
_RECON_NAME = r"(?:recon\w*|rec\w*|x_hat|xhat|x_recon|decoded|out(?:put)?s?|pred\w*)"
_SUM_EXPR = re.compile(rf"\(\s*{_RECON_NAME}\s*-\s*\w+\s*\)\s*(?:\*\*\s*2|\.pow\(\s*2\s*\))\s*\)?\s*\.sum\(|"
                       rf"\(\s*\w+\s*-\s*{_RECON_NAME}\s*\)\s*(?:\*\*\s*2|\.pow\(\s*2\s*\))\s*\)?\s*\.sum\(")
_MEAN_EXPR = re.compile(rf"\(\s*{_RECON_NAME}\s*-\s*\w+\s*\)\s*(?:\*\*\s*2|\.pow\(\s*2\s*\))\s*\)?\s*\.mean\(\s*\)")


def _call_args(text: str, start: int) -> str:
    depth, i = 1, start
    while i < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return text[start: i - 1]


def reconstruction_reduction(texts: dict[str, str]) -> str | None:
    kinds: set[str] = set()
    for text in texts.values():
        for m in _LOSS_CALL.finditer(text):
            args = _call_args(text, m.end())
            if re.search(r"reduction\s*=\s*['\"]sum['\"]|size_average\s*=\s*False", args):
                kinds.add("sum")
            elif re.search(r"reduction\s*=\s*['\"]none['\"]", args):
                tail = text[m.end() + len(args): m.end() + len(args) + 40]
                kinds.add("sum" if re.match(r"\)\s*\.sum\(", tail) else "mean" if re.match(r"\)\s*\.mean\(\s*\)", tail) else "?")
            else:
                kinds.add("mean")
        if _SUM_EXPR.search(text):
            kinds.add("sum")
        if _MEAN_EXPR.search(text):
            kinds.add("mean")
    kinds.discard("?")
    return kinds.pop() if len(kinds) == 1 else None
