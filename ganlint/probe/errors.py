"""Probe errors: one clear line, exit 2."""
from __future__ import annotations

from ganlint.core.errors import GanlintError


class ProbeError(GanlintError):
    """The probe could not build or run the user's networks (the message says what to do)."""


class BuildError(ProbeError):
    """A network could not be constructed: names the class and parameter, and how to tell the probe."""


class UserCodeError(ProbeError):
    """The user's code raised; file and line point into the user's file."""
