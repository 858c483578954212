"""A single-node Apache Kafka 4.3.1 (KRaft, combined broker+controller) from Maven Central jars.

Follows shared/LOCAL_KAFKA.md. Layout under ``<local_dir>/kafka``: ``data/`` (log dirs and the
metadata log, kept across restarts), ``logs/kafka.log`` (the JVM's stdout+stderr),
``server.properties`` and ``log4j2.properties`` (rewritten at each start). Jars are cached in
``<local_dir>/kafka-libs``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from infra.local import LocalServiceError, process_runs

logger = logging.getLogger(__name__)

POM = Path(__file__).with_name("kafka-pom.xml")
BROKER_JAR_GLOB = "org.apache.kafka.kafka_2.13-*.jar"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0

_LOG4J2 = """\
status = warn
# Let Kafka's own shutdown hook log to the end; log4j's hook would stop logging first.
shutdownHook = disable
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
"""

# Brokers we started in this process, so that they are reaped (no zombies) and never mistaken for alive.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@atexit.register
def _detach_children() -> None:
    """Brokers outlive this process on purpose: drop their handles without a 'still running' warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        _CHILDREN.clear()


@dataclass(frozen=True)
class KafkaInfo:
    """A running local broker."""

    pid: int
    port: int
    controller_port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"


def ensure_jars(libs: Path) -> None:
    """Download the broker's jars once; an interrupted download never looks like a cache."""
    libs = libs.resolve()
    if any(libs.glob(BROKER_JAR_GLOB)):
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalServiceError("Maven ('mvn') is needed once to fetch the Kafka jars; apt-get install maven")
    partial = libs.with_name(libs.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading kafka jars", extra={"dest": str(libs)})
    started = time.monotonic()
    result = subprocess.run(
        [
            mvn, "-B", "-q", "-f", str(POM),
            "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies",
            f"-DoutputDirectory={partial}", "-DincludeScope=runtime", "-Dmdep.prependGroupId=true",
        ],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False, timeout=900,
    )  # fmt: skip
    if result.returncode != 0 or not any(partial.glob(BROKER_JAR_GLOB)):
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise LocalServiceError(f"fetching the Kafka jars with Maven failed:\n{tail}")
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)
    logger.info("kafka jars ready", extra={"seconds": round(time.monotonic() - started, 1)})


def running(root: Path, pid: int | None, port: int | None, controller_port: int | None) -> KafkaInfo | None:
    """The broker recorded in the state file, if that pid is still our broker."""
    root = root.resolve()
    if pid is None or port is None or controller_port is None:
        return None
    if not _alive(pid, root):
        return None
    return KafkaInfo(pid=pid, port=port, controller_port=controller_port)


def start(root: Path, libs: Path, port: int, controller_port: int) -> KafkaInfo:
    """Format storage on first use, launch the broker detached, and wait until it serves metadata."""
    root, libs = root.resolve(), libs.resolve()
    java = shutil.which("java")
    if java is None:
        raise LocalServiceError("Java 17+ is needed to run Kafka; apt-get install openjdk-17-jre-headless")
    (root / "logs").mkdir(parents=True, exist_ok=True)
    log4j = root / "log4j2.properties"
    log4j.write_text(_LOG4J2, encoding="utf-8")
    props = root / "server.properties"
    props.write_text(_server_properties(root / "data", port, controller_port), encoding="utf-8")
    if not (root / "data" / "meta.properties").exists():
        _format(java, root, libs, log4j, port, controller_port)

    log = root / "logs" / "kafka.log"
    if log.exists():
        log.replace(log.with_name("kafka.log.1"))
    cmd = [
        java, "-Xms512m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*", "kafka.Kafka", str(props),
    ]  # fmt: skip
    logger.info("starting kafka", extra={"port": port, "controller_port": controller_port})
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=root, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _CHILDREN[proc.pid] = proc
    try:
        _wait_ready(proc.pid, root, port, log)
    except BaseException:
        stop(root, proc.pid)
        raise
    return KafkaInfo(pid=proc.pid, port=port, controller_port=controller_port)


def stop(root: Path, pid: int | None) -> None:
    """SIGTERM (controlled shutdown), then SIGKILL if it has not exited after 30 s."""
    root = root.resolve()
    if pid is None:
        return
    if _alive(pid, root):
        _signal(pid, signal.SIGTERM)
        if not _gone_within(pid, root, STOP_TIMEOUT_S):
            logger.warning("kafka ignored SIGTERM, killing it", extra={"pid": pid})
            _signal(pid, signal.SIGKILL)
            if not _gone_within(pid, root, 10.0):
                raise LocalServiceError(f"Kafka (pid {pid}) survived SIGKILL")
        logger.info("kafka stopped", extra={"pid": pid})
    _CHILDREN.pop(pid, None)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _gone_within(pid: int, root: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid, root):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _server_properties(data: Path, port: int, controller_port: int) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.listener.names": "CONTROLLER",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "log.dirs": str(data),
        # One node: every internal topic must fit on one replica, or the broker waits forever.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # Speed: small internal topics, no rebalance delay, short sessions allowed.
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.num.partitions": "1",
        "group.initial.rebalance.delay.ms": "0",
        "group.min.session.timeout.ms": "1000",
        "num.partitions": "3",
        "auto.create.topics.enable": "true",
        "delete.topic.enable": "true",
        # Footprint: the cleaner's dedupe buffer comes out of the heap.
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "log.cleaner.dedupe.buffer.size": "16777216",
    }
    lines = [f"{key}={value}\n" for key, value in props.items()]
    return "# Written by infra/local/kafka.py at each start.\n" + "".join(lines)


def _format(java: str, root: Path, libs: Path, log4j: Path, port: int, controller_port: int) -> None:
    """``StorageTool format --standalone`` into a scratch dir, then rename it to ``data``."""
    scratch = root / "data.format"
    shutil.rmtree(scratch, ignore_errors=True)
    props = root / "format.properties"
    props.write_text(_server_properties(scratch, port, controller_port), encoding="utf-8")
    cluster_id = _cluster_id()
    logger.info("formatting kafka storage", extra={"cluster_id": cluster_id})
    result = subprocess.run(
        [
            java, "-Xmx256m", f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*",
            "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props), "--standalone",
        ],
        cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False, timeout=120,
    )  # fmt: skip
    props.unlink()
    if result.returncode != 0 or not (scratch / "meta.properties").exists():
        raise LocalServiceError(f"formatting Kafka storage failed:\n{_summary(result.stdout + result.stderr)}")
    shutil.rmtree(root / "data", ignore_errors=True)
    scratch.rename(root / "data")


def _cluster_id() -> str:
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not value.startswith("-"):
            return value


def _alive(pid: int, root: Path) -> bool:
    """True if ``pid`` is a live broker for this directory (guards against pid reuse and zombies)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None
    return process_runs(pid, b"kafka.Kafka", str(root / "server.properties").encode())


def _wait_ready(pid: int, root: Path, port: int, log: Path) -> None:
    """The PLAINTEXT port opens only once the broker is unfenced; then confirm with a metadata call."""
    started = time.monotonic()
    deadline = started + READY_TIMEOUT_S
    while True:
        if not _alive(pid, root):
            raise LocalServiceError(f"Kafka exited during start-up; last lines of {log}:\n{_tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise LocalServiceError(f"Kafka did not open port {port} in time; last lines of {log}:\n{_tail(log)}")
        time.sleep(0.2)
    while True:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=f"127.0.0.1:{port}", client_id="sessionstream-local", request_timeout_ms=5000
            )
            try:
                admin.describe_cluster()
            finally:
                admin.close()
            break
        except (KafkaError, OSError) as exc:
            if time.monotonic() > deadline or not _alive(pid, root):
                raise LocalServiceError(f"Kafka does not answer metadata requests ({exc!r}):\n{_tail(log)}") from exc
            time.sleep(0.5)
    logger.info("kafka ready", extra={"port": port, "seconds": round(time.monotonic() - started, 1)})


def _tail(path: Path) -> str:
    try:
        return _summary(path.read_text(errors="replace"))
    except OSError:
        return "(no log)"


def _summary(output: str, lines: int = 25) -> str:
    """ERROR/FATAL lines first (the cause is rarely in the last lines), then the tail."""
    text = output.splitlines()
    errors: list[str] = []
    for i, line in enumerate(text):
        if ("] ERROR " in line or "] FATAL " in line) and len(errors) < 20:
            errors.append(line)
            if i + 1 < len(text) and not text[i + 1].startswith("["):  # the exception's message
                errors.append(text[i + 1])
    shown = (["-- errors --", *errors, "-- last lines --"] if errors else []) + text[-lines:]
    return "\n".join(shown)
