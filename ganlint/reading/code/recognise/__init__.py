"""Recognisers: one module per kind of fact, each offering handlers by node type.

- ON_CALL: `(reader, call, dotted name, last name, assigned name) -> True` when the call is fully handled;
- ON_BINOP: `(reader, binop)`;
- ON_ASSIGN: `(reader, target node, target name, value, statement)`;
- ON_FUNCTION_END: `(reader, Func)`: passes over the statements the walk recorded in one function.

The reader (reader.py) walks once and calls them in the order listed here. A call recogniser that acts only
on some callee names (the last part of the dotted name) says so in CALL_NAMES: the reader hands it only those
calls (`calls_for`, one tuple per distinct name), instead of every call to every recogniser.
"""
from __future__ import annotations

from ganlint.reading.code.recognise import (
    bce, config_splat, critic_loop, data, default_run, energy, gan, helper_losses, local_settings, optim, penalty,
    subtracted_bce, vae,
)

ON_CALL = (default_run.on_call, critic_loop.on_call, optim.on_call, data.on_call, gan.on_call, bce.on_call, penalty.on_call, vae.on_call, energy.on_call,
           optim.on_call_late, config_splat.on_call)
# recogniser -> the callee last names it acts on (any other call returns False at once, untouched)
CALL_NAMES = {
    gan.on_call: gan._LOSS_CALLS.__contains__,
    energy.on_call: energy._CALLS.__contains__,
    vae.on_call: vae.CALL_NAMES.__contains__,
    optim.on_call_late: lambda ln: ln[:1].isupper(),  # constructions of user classes
}
CALLS_BY_NAME: dict[str, tuple] = {}


def calls_for(ln: str) -> tuple:
    """ON_CALL, in its order, less the recognisers that do nothing with a call whose last name is `ln`."""
    recs = CALLS_BY_NAME.get(ln)
    if recs is None:
        recs = CALLS_BY_NAME[ln] = tuple(rec for rec in ON_CALL if rec not in CALL_NAMES or CALL_NAMES[rec](ln))
    return recs


ON_BINOP = (data.on_binop, vae.on_binop, energy.on_binop, penalty.on_binop)
ON_ASSIGN = (critic_loop.on_assign, optim.on_assign, vae.on_assign, data.on_assign, energy.on_assign)
ON_FUNCTION_END = (gan.end_function, bce.end_function, critic_loop.end_function, vae.end_function, penalty.end_function,
                   local_settings.end_function, helper_losses.end_function, subtracted_bce.end_function)

__all__ = ["calls_for", "ON_CALL", "ON_BINOP", "ON_ASSIGN", "ON_FUNCTION_END"]
