"""The `ganlint` command: a thin layer over the Python API. Sub-commands live in sibling modules."""
from __future__ import annotations

import typer

app = typer.Typer(
    name="ganlint",
    help="Training-health linter and auto-tuner for GANs, WGAN-GP, VAEs and energy models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module registers its commands on `app`. probe/fix import torch lazily inside their commands.
from ganlint.cli import check_cmd, rules_cmd  # noqa: E402,F401

try:  # later stages register themselves when present
    from ganlint.cli import probe_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from ganlint.cli import fix_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass


def main() -> None:
    app()
