"""A throw-away PostgreSQL cluster on localhost for the shared-search tests (also used by scripts/ci_postgres.sh).

initdb's a cluster in a temp dir and starts it on a free 127.0.0.1 port. PostgreSQL refuses to run as
root, so under root (CI) the cluster belongs to the `postgres` user and every server command runs through
`runuser -u postgres --`.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def find_bindir() -> str | None:
    env = os.environ.get("GANLINT_PG_BINDIR")
    if env and os.path.exists(os.path.join(env, "initdb")):
        return env
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(cand, "initdb")) and os.path.exists(os.path.join(cand, "pg_ctl")):
            return cand
    for name in ("initdb",):
        p = shutil.which(name)
        if p:
            return os.path.dirname(p)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bindir: str):
        self.bindir = bindir
        self.root = tempfile.mkdtemp(prefix="ganlint-pg-")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.sock = os.path.join(self.root, "sock")
        os.makedirs(self.sock)
        self.port = free_port()
        self.user = "ganlint"
        self.as_root = os.geteuid() == 0
        self.os_user = None
        if self.as_root:
            import pwd

            for name in ("postgres", "nobody"):  # the server refuses to run as root
                try:
                    pw = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.os_user = name
                for p in (self.root, self.sock):
                    os.chown(p, pw.pw_uid, pw.pw_gid)
                break
            else:
                raise RuntimeError("running as root and no `postgres` or `nobody` user to run the server as")

    def _cmd(self, *args: str) -> list[str]:
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        return (["runuser", "-u", self.os_user, "--"] + cmd) if self.as_root else cmd

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(self._cmd(*args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, cwd=self.root, check=True)

    def start(self) -> str:
        self._run("initdb", "-D", self.data, "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync")
        log = os.path.join(self.root, "server.log")
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        self._run("pg_ctl", "-D", self.data, "-o", opts, "-l", log, "-w", "-t", "60", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "optuna")
        return self.url

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/optuna"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", timeout=60)
        except (subprocess.SubprocessError, OSError):
            pass
        for _ in range(20):
            try:
                shutil.rmtree(self.root)
                return
            except OSError:
                time.sleep(0.2)


if __name__ == "__main__":  # manual use: python tests/fix/pg.py -> prints the URL, Ctrl-C stops it
    c = Cluster(find_bindir() or "")
    print(c.start(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        c.stop()
