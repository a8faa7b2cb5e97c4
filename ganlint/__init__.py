"""ganlint: a training-health linter and auto-tuner for generative models.

Importing ganlint is cheap and never imports torch; the probe and the fixer import it lazily.
`ganlint.check(paths, select=..., ignore=..., config=...)` is the Python API of `ganlint check`
(ganlint/api.py), loaded on first use.
"""
__version__ = "0.1.0"

__all__ = ["check", "CheckResult", "__version__"]


def __getattr__(name: str):
    if name in ("check", "CheckResult"):
        from ganlint import api

        return getattr(api, name)
    raise AttributeError(f"module 'ganlint' has no attribute {name!r}")
