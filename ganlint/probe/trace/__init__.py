"""Run the user's own training program under instruments (`ganlint probe train.py -- ARGS`).

The parent side (launcher.py) starts a child process (child.py) that installs the instruments (hooks.py)
before the user's code runs, then executes the program as `python train.py ARGS` would. Networks and roles
come from what the program does (discovery.py), the family from what its losses do (family.py); the child
writes report.json with the existing detectors (ganlint.probe.detectors) over the series it measured.
Importing this package never imports torch.
"""
from __future__ import annotations

from ganlint.probe.trace.mode import has_training_loop

__all__ = ["has_training_loop"]
