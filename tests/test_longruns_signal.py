"""The background long runs (longruns.py) end when pytest is sent SIGTERM, not only on Ctrl-C."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent

_SCRIPT = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
import longruns
runs = longruns.Runs(longruns.Path(sys.argv[2]), [])
runs.stop_on_sigterm()
threading.Thread(target=runs._call, args=([sys.executable, "-c", "import time; time.sleep(120)"], 300), daemon=True).start()
while runs._proc is None:
    time.sleep(0.05)
print(runs._proc.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (killed, not yet reaped by its parent) is gone for our purpose
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_sigterm_ends_the_run_in_progress(tmp_path):
    p = subprocess.Popen([sys.executable, "-c", _SCRIPT, str(TESTS), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        child = int(p.stdout.readline())
        assert _alive(child)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == -signal.SIGTERM  # the parent still ends as SIGTERM ends it
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the background run outlived the SIGTERM"
    finally:
        p.kill()
        p.wait()
