"""Recognisers: one module per kind of fact, each offering handlers by node type.

- ON_CALL: `(reader, call, dotted name, last name, assigned name) -> True` when the call is fully handled;
- ON_BINOP: `(reader, binop)`;
- ON_ASSIGN: `(reader, target node, target name, value, statement)`;
- ON_FUNCTION_END: `(reader, Func)`: passes over the statements the walk recorded in one function.

The reader (reader.py) walks once and calls them in the order listed here.
"""
from __future__ import annotations

from ganlint.reading.code.recognise import (
    bce, config_splat, critic_loop, data, default_run, energy, gan, helper_losses, local_settings, optim, penalty, vae,
)

ON_CALL = (default_run.on_call, critic_loop.on_call, optim.on_call, data.on_call, gan.on_call, bce.on_call, penalty.on_call, vae.on_call, energy.on_call,
           optim.on_call_late, config_splat.on_call)
ON_BINOP = (data.on_binop, vae.on_binop, energy.on_binop, penalty.on_binop)
ON_ASSIGN = (critic_loop.on_assign, optim.on_assign, vae.on_assign, data.on_assign, energy.on_assign)
ON_FUNCTION_END = (gan.end_function, bce.end_function, critic_loop.end_function, vae.end_function, penalty.end_function,
                   local_settings.end_function, helper_losses.end_function)

__all__ = ["ON_CALL", "ON_BINOP", "ON_ASSIGN", "ON_FUNCTION_END"]
