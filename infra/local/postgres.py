"""A private PostgreSQL cluster under ``<local_dir>/postgres``, run with Debian's binaries.

Layout: ``data/`` (the cluster), ``socket/`` (unix socket directory), ``postgres.log``.
``initdb`` and the server refuse to run as root, so as root every command runs as the
``postgres`` user through ``runuser``. Durability settings stay at their defaults (fsync and
synchronous_commit on): the project's delivery guarantees are tested against them.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from infra.local import LocalServiceError, process_runs

logger = logging.getLogger(__name__)

DATABASE = "sessionstream"
SERVICE_USER = "postgres"
_CONF_NAME = "sessionstream.conf"


@dataclass(frozen=True)
class PostgresInfo:
    """A running local cluster."""

    pid: int
    port: int

    @property
    def url(self) -> str:
        return database_url(self.port)


def database_url(port: int) -> str:
    """The DATABASE_URL of the local cluster (trust auth on loopback, so no password)."""
    return f"postgresql://{SERVICE_USER}@127.0.0.1:{port}/{DATABASE}"


def bin_dir() -> Path:
    """The newest installed ``/usr/lib/postgresql/<major>/bin`` (Debian's layout)."""
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates = [p for p in candidates if (p / "initdb").exists() and (p / "pg_ctl").exists()]
    if not candidates:
        raise LocalServiceError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; "
            "install them with: apt-get install postgresql"
        )
    return max(candidates, key=lambda p: int(p.parent.name))


def running(root: Path) -> PostgresInfo | None:
    """The cluster's postmaster, if it is alive (read from ``postmaster.pid``, pg_ctl's own record)."""
    root = root.resolve()
    pid, port = _pid_file(root)
    if pid is None or port is None or not _is_postmaster(pid, root):
        return None
    return PostgresInfo(pid=pid, port=port)


def start(root: Path, port: int) -> PostgresInfo:
    """Create the cluster if needed, start it on ``127.0.0.1:port`` and ensure the database exists."""
    root = root.resolve()
    current = running(root)
    if current is not None:
        _ensure_database(current.port)
        return current
    _clear_stale_locks(root)
    binaries = bin_dir()
    _prepare_dirs(root)
    data = root / "data"
    if not (data / "PG_VERSION").exists():
        _initdb(binaries, root)
    _check_major_version(data, binaries)
    _write_conf(root, port)
    log = root / "postgres.log"
    logger.info("starting postgresql", extra={"port": port, "data_dir": str(data)})
    result = _run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"], root)
    info = running(root)
    if result.returncode != 0 or info is None:
        raise LocalServiceError(
            f"PostgreSQL did not start (pg_ctl said: {_output(result)}); last lines of {log}:\n{_tail(log)}"
        )
    _ensure_database(info.port)
    return info


def stop(root: Path) -> None:
    """Fast shutdown (roll back open transactions, then a clean checkpoint)."""
    root = root.resolve()
    if running(root) is None:
        return
    pg_ctl = bin_dir() / "pg_ctl"
    result = _run([str(pg_ctl), "-D", str(root / "data"), "-m", "fast", "-w", "-t", "60", "stop"], root)
    if result.returncode != 0 and running(root) is not None:
        raise LocalServiceError(f"PostgreSQL did not stop: {_output(result)}")
    logger.info("postgresql stopped", extra={"data_dir": str(root / "data")})


def _pid_file(root: Path) -> tuple[int | None, int | None]:
    try:
        lines = (root / "data" / "postmaster.pid").read_text().splitlines()
        return int(lines[0]), int(lines[3])
    except (FileNotFoundError, IndexError, ValueError):
        return None, None


def _is_postmaster(pid: int, root: Path) -> bool:
    """True if ``pid`` is this cluster's postmaster (not a zombie, nor an unrelated process reusing the pid)."""
    return process_runs(pid, str(root / "data").encode())


def _clear_stale_locks(root: Path, seconds: float = 15.0) -> None:
    """After a crash, lock files may name a zombie or a reused pid, which postgres takes for a live server."""
    deadline = time.monotonic() + seconds
    for lock in [root / "data" / "postmaster.pid", *(root / "socket").glob(".s.PGSQL.*.lock")]:
        try:
            pid = int(lock.read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
        while _is_zombie(pid) and time.monotonic() < deadline:  # its parent has yet to reap it
            time.sleep(0.1)
        if Path(f"/proc/{pid}").exists() and not _is_postmaster(pid, root):
            logger.warning("removing stale lock file", extra={"path": str(lock), "pid": pid})
            lock.unlink(missing_ok=True)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool, as the ``postgres`` user when we are root."""
    if _as_root():
        cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)


def _prepare_dirs(root: Path) -> None:
    """Create ``root`` and ``socket/``, owned by the server's user, and check it can reach them."""
    (root / "socket").mkdir(parents=True, exist_ok=True)
    if not _as_root():
        return
    try:
        user = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise LocalServiceError(f"running as root needs a '{SERVICE_USER}' user; apt-get install postgresql") from None
    for path in (root, root / "socket"):
        os.chown(path, user.pw_uid, user.pw_gid)
    for parent in root.resolve().parents:
        mode = os.stat(parent).st_mode
        if mode & stat.S_IXOTH:
            continue
        # The server runs as another user and must reach its data dir through every ancestor (a
        # checkout under `mktemp -d`, for one, is drwx------).  Only the traverse bit is added:
        # nobody gains the right to list these folders.
        os.chmod(parent, mode | stat.S_IXOTH)
        logger.warning("granted traverse permission to the PostgreSQL user", extra={"path": str(parent)})


def _initdb(binaries: Path, root: Path) -> None:
    """initdb into a scratch directory and rename it, so a half-made cluster is never mistaken for one."""
    scratch = root / "data.initdb"
    base = [str(binaries / "initdb"), "-D", str(scratch), "--auth=trust", "-U", SERVICE_USER, "--encoding=UTF8"]
    attempts = []
    for locale_args in (["--locale=C.UTF-8"], ["--no-locale"]):
        shutil.rmtree(scratch, ignore_errors=True)
        logger.info("initialising postgresql cluster", extra={"locale": locale_args[0]})
        result = _run(base + locale_args, root)
        if result.returncode == 0:
            break
        attempts.append(_output(result))
    else:
        raise LocalServiceError("initdb failed:\n" + "\n---\n".join(attempts))
    with open(scratch / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(f"\n# Per-start settings written by infra/local/postgres.py\ninclude '{_CONF_NAME}'\n")
    shutil.rmtree(root / "data", ignore_errors=True)
    scratch.rename(root / "data")


def _check_major_version(data: Path, binaries: Path) -> None:
    cluster = (data / "PG_VERSION").read_text().strip()
    if cluster != binaries.parent.name:
        raise LocalServiceError(
            f"the cluster in {data} is PostgreSQL {cluster} but the binaries are {binaries.parent.name}; "
            f"run 'sessionstream local down' and delete {data} to recreate it"
        )


def _write_conf(root: Path, port: int) -> None:
    """Settings that may change between starts (the port) or that we want regardless of initdb defaults."""
    socket_dir = str(root / "socket").replace("'", "''")
    conf = root / "data" / _CONF_NAME
    conf.write_text(
        "listen_addresses = '127.0.0.1'\n"
        f"port = {port}\n"
        f"unix_socket_directories = '{socket_dir}'\n"
        # The test session runs several services at once (each: an API pool, worker pools, one
        # connection per relay process and per consumer), and make faults runs two instances.
        "max_connections = 500\n"
        "shared_buffers = 256MB\n",
        encoding="utf-8",
    )
    if _as_root():
        user = pwd.getpwnam(SERVICE_USER)
        os.chown(conf, user.pw_uid, user.pw_gid)


def _ensure_database(port: int) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=port, user=SERVICE_USER, dbname="postgres", autocommit=True, connect_timeout=10
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
            logger.info("database created", extra={"database": DATABASE})


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr).strip()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
