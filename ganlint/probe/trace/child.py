"""The child process: `python -m ganlint.probe.trace.child SPEC.json`.

Installs the instruments, then runs the user's program as `python train.py ARGS` would: its own argv,
`__name__ == "__main__"`, the current directory, `sys.path[0]` = the script's folder (the cwd for `-m`).
Always writes the report and a status file for the parent, whatever the program does.
"""
from __future__ import annotations

import json
import os
import runpy
import signal
import sys
import threading
import traceback


def _status(path: str, **fields) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(fields, fh)
    os.replace(tmp, path)


def _user_frame(exc: BaseException, frames) -> tuple[str, int] | None:
    user = [f for f in traceback.extract_tb(exc.__traceback__) if frames.is_user(f.filename)]
    return (user[-1].filename, user[-1].lineno) if user else None


def _from_argparse(exc: BaseException) -> bool:
    return any(os.path.basename(f.filename) == "argparse.py" for f in traceback.extract_tb(exc.__traceback__))


def _rel(path: str) -> str:
    from ganlint.probe.trace.locate import _rel as rel

    return rel(path)


def _on_sigint(tracer, fired: threading.Event, interrupted: list[str]) -> None:
    """SIGINT raises KeyboardInterrupt as Python's own handler does, and is remembered: a program (or a
    framework: Lightning's Trainer catches KeyboardInterrupt, then calls sys.exit(1)) that turns it into an exit
    is still reported as interrupted, and one that swallows it and trains on is stopped at its next step."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # SIGINT ignored (a background job) or handled by whoever started us: left alone

    def handler(signum, frame):
        reason = "time-budget" if fired.is_set() else "interrupted"
        if not interrupted:
            interrupted.append(reason)
        tracer.control.stop_reason = tracer.control.stop_reason or reason
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)


def run(spec: dict) -> int:
    from ganlint.probe.trace.hooks import Tracer
    from ganlint.probe.trace.stepcontrol import StopTraining

    script, module = spec.get("script"), spec.get("module")
    cwd = os.getcwd()
    if script:
        script = os.path.abspath(script)
        user_dirs = [os.path.dirname(script), cwd]
        sys.path[0] = os.path.dirname(script)
        sys.argv = [script] + list(spec.get("args", []))
    else:
        user_dirs = [cwd]
        sys.path[0] = cwd
        sys.argv = [module] + list(spec.get("args", []))
    budget = spec.get("time_budget")
    watcher = None
    if spec.get("watch"):
        from ganlint.probe.trace.watch import Watcher

        watcher = Watcher(spec)
    tracer = Tracer(steps=spec.get("steps"), time_budget=budget, watch=bool(spec.get("watch")),
                    stop_on=spec.get("stop_on"), user_dirs=user_dirs, seed=int(spec.get("seed", 0)),
                    on_watch=watcher, rule_options=spec.get("rule_options") or {})
    try:  # the static reading: a tie-break for the family only
        from ganlint.probe.settings import read_settings

        if script:
            tracer.static_families = set(read_settings([script]).facts.families())
    except Exception:  # noqa: BLE001 - static reading is only a tie-break
        tracer.static_families = set()
    fake = None
    if spec.get("fake_data"):
        from ganlint.probe.trace import fakedata

        fake = fakedata.install(seed=int(spec.get("seed", 0)))
    tracer.install()  # before the budget's timer: its SIGINT must land inside the program's try below
    fired = threading.Event()
    interrupted: list[str] = []  # why a SIGINT came (Ctrl-C, or the budget's timer), once one came
    _on_sigint(tracer, fired, interrupted)
    timer = None
    if budget is not None:  # a program that never reaches an optimizer step is stopped too
        main_id = threading.main_thread().ident

        def _interrupt():  # a real SIGINT to the main thread also wakes a blocking sleep or read
            fired.set()
            signal.pthread_kill(main_id, signal.SIGINT)

        timer = threading.Timer(float(budget) + 2.0, _interrupt)
        timer.daemon = True
        timer.start()
    status: dict = {"kind": "ok"}
    stopped = "completed"
    try:
        if script:
            runpy.run_path(script, run_name="__main__")
        else:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except StopTraining as s:
        stopped = s.reason
    except KeyboardInterrupt:
        stopped = "time-budget" if fired.is_set() else "interrupted"
    except SystemExit as e:
        code = e.code
        if interrupted:  # the program's (or its framework's: Lightning) own handler turned Ctrl-C into an exit
            stopped = interrupted[0]
        elif _from_argparse(e) and code not in (0, None):
            stopped = "error"
            status = {"kind": "argparse", "message": "the program's argument parser rejected its arguments "
                      "(its usage is above); pass the program's own arguments after `--`: "
                      "ganlint probe train.py [OPTIONS] -- ARGS"}
        elif code not in (0, None):
            stopped = "error"
            status = {"kind": "exit", "message": f"the program exited with status {code}"}
    except BaseException as exc:  # noqa: BLE001 - whatever the program raises is reported, not re-raised
        stopped = "error"
        where = _user_frame(exc, tracer.frames)
        prefix = f"{_rel(where[0])}:{where[1]}: " if where else ""
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            status = {"kind": "missing", "message": f"{prefix}the program needs the package {exc.name!r}, which is "
                      f"not installed here (pip install {exc.name.split('.')[0]})"}
        else:
            text = str(exc).strip().splitlines()
            status = {"kind": "exception", "message": f"{prefix}{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")}
    finally:
        if timer is not None:
            timer.cancel()
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cost the report
        tracer.uninstall()
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001
        pass
    from ganlint.probe.trace.result import build_report

    program = {"file": _rel(script) if script else None, "display": _rel(script) if script else f"-m {module}",
               "argv": list(spec.get("args", []))}
    rep = build_report(tracer, program=program, steps=spec.get("steps"), stopped=stopped,
                       fake_data=fake.snapshot() if fake is not None else None)
    if status["kind"] != "ok":
        rep.errors.append(status["message"])
    elif not tracer.optims:
        status = {"kind": "no-step", "message": (
            "no optimizer step within the time budget" if stopped == "time-budget" else
            "the program ended without an optimizer step") + ": nothing to measure (is the training loop "
            "behind an argument, or does it need `-- ARGS`?)"}
        rep.errors.append(status["message"])
    paths = rep.write(spec["out"])
    _status(spec["status"], **status, stopped=stopped, report=paths)
    return 0


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    code = 3
    try:
        code = run(spec)
    except BaseException as exc:  # noqa: BLE001 - ganlint's own failure: one line for the parent
        try:
            _status(spec["status"], kind="internal", message=f"{type(exc).__name__}: {exc}",
                    trace=traceback.format_exc()[-4000:])
        except Exception:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        os._exit(code)  # DataLoader workers and the program's threads must not keep the child alive


if __name__ == "__main__":
    main()
