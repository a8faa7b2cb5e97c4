"""The `ganlint` command: a thin layer over the Python API. Sub-commands live in sibling modules.

Exit codes (as ruff): 0 nothing found, 1 findings, 2 bad usage, unreadable input or internal error;
130 interrupted (Ctrl-C; `probe` still writes its partial report).
An unexpected exception prints one line `ganlint: internal error: ...` and exits 2, never a traceback.
"""
from __future__ import annotations

import sys

import click
import typer
from typer.core import TyperGroup

EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


class _Group(TyperGroup):
    """Typer adds "Did you mean ...?" to an unknown command; click >= 8.2 says it already (NoSuchCommand):
    then click's own resolution, so it is said once."""

    def resolve_command(self, ctx, args):
        if hasattr(click.exceptions, "NoSuchCommand"):
            return click.Group.resolve_command(self, ctx, args)
        return super().resolve_command(ctx, args)  # pragma: no cover - click < 8.2


app = typer.Typer(
    cls=_Group,
    name="ganlint",
    help="Training-health linter and auto-tuner for GANs, WGAN-GP, VAEs and energy models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _version(value: bool) -> None:
    if value:
        from ganlint import __version__

        typer.echo(f"ganlint {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit."),
) -> None:
    """Training-health linter and auto-tuner for GANs, WGAN-GP, VAEs and energy models."""


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


def internal_error(exc: BaseException) -> int:
    """One line on stderr for an exception nobody expected; the exit code to use (2)."""
    text = str(exc).strip().splitlines()
    detail = f"{exc.__class__.__name__}: {text[0]}" if text else exc.__class__.__name__
    try:
        sys.stderr.write(f"ganlint: internal error: {detail}\n")
        sys.stderr.flush()
    except Exception:  # pragma: no cover - stderr closed
        pass
    return 2


# True while main() runs as the program itself (the console script, `python -m ganlint`, `python -c "...main()"`),
# not called from other Python code (a test, a caller's process): only then may a command end the process early.
OWNS_PROCESS = False


def exit_now(code: int) -> None:
    """End the process with `code` once stdout and stderr are flushed, skipping the interpreter's teardown:
    freeing every syntax tree and fact one by one took longer than some whole checks. Only for a finished
    command whose files are all written and closed, and only when main() owns the process. Returns (the
    caller then exits normally) when something expects the normal exit: an atexit callback, a profiler or
    tracer (cProfile, coverage: they write their data at exit), another thread."""
    import atexit
    import os

    threading = sys.modules.get("threading")
    if atexit._ncallbacks() or sys.getprofile() is not None or sys.gettrace() is not None or (
            threading is not None and threading.active_count() > 1):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `ganlint check . | head`: stop quietly, as main() does
        code = 1
    except (OSError, ValueError):  # pragma: no cover - a stream closed under us
        pass
    os._exit(code)


def main() -> None:
    global OWNS_PROCESS
    OWNS_PROCESS = sys._getframe(1).f_globals.get("__name__") == "__main__"
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("ganlint: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:  # `ganlint check . | head`: stop quietly
        import os

        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the promise: never a traceback
        import os

        if os.environ.get("GANLINT_DEBUG"):
            raise  # developers: the full traceback
        sys.exit(internal_error(exc))
