"""A local single-node Apache Kafka broker (KRaft mode) for development, the demo and tests.

The broker is the real Apache Kafka server, run from the jars that Maven resolves
from ``deploy/kafka/pom.xml``. Nothing is installed system-wide: everything lives
under ``settings.kafka_dir``::

    jars-<kafka version>/   the jars (downloaded once, then cached)
    data/                   KRaft metadata and topic data (kept across restarts)
    server.properties       rendered from deploy/kafka/server.properties
    broker.log              the broker's output, appended across runs
    broker.pid              pid of the running broker

Only the Java runtime (17+) is needed to run it, and Maven once to fetch the jars.
This module is POSIX-only (it uses ``fcntl`` locks and process signals).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from stream.settings import Settings

__all__ = [
    "DEFAULT_DEPLOY_DIR",
    "MIN_JAVA_VERSION",
    "LocalKafka",
    "LocalKafkaError",
    "parse_java_major_version",
    "parse_kafka_version",
    "render_server_properties",
]

DEFAULT_DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
"""Where ``pom.xml``, ``server.properties`` and ``log4j2.properties`` live."""

MIN_JAVA_VERSION = 17
"""Oldest Java release that runs Apache Kafka 4 brokers."""

JAVA_INSTALL_HINT = (
    f"Java {MIN_JAVA_VERSION} or newer is needed to run the local Kafka broker; "
    "on Debian/Ubuntu: apt-get install openjdk-17-jre-headless "
    "(on macOS: brew install openjdk@17), or set JAVA_HOME to such a runtime"
)
MAVEN_INSTALL_HINT = (
    "Maven is needed once to download the Kafka jars; on Debian/Ubuntu: "
    "apt-get install maven (on macOS: brew install maven)"
)

_POM_NS = "{http://maven.apache.org/POM/4.0.0}"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_JAVA_VERSION = re.compile(r'version "([^"]+)"')
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_JARS_COMPLETE_MARKER = ".complete"
_START_BANNER = "=== listing-monitor: starting Apache Kafka"
_LOG_ROTATE_BYTES = 64 * 1024 * 1024
_POLL_INTERVAL = 0.5
_PROBE_TIMEOUT_MS = 5000
_MAVEN_TIMEOUT = 30 * 60.0
_TOOL_TIMEOUT = 120.0

OnMessage = Callable[[str], None]


class LocalKafkaError(Exception):
    """The local broker cannot be set up, started or stopped; the message says what to do."""


def _ignore_message(message: str) -> None:
    """Default ``on_message``: discard progress messages."""


def parse_kafka_version(pom_text: str) -> str:
    """Read the ``<kafka.version>`` property of a Maven POM.

    Args:
        pom_text: Content of the POM file.

    Returns:
        The Kafka version, for example ``"4.1.2"``.

    Raises:
        LocalKafkaError: The POM is not valid XML or has no ``kafka.version`` property.
    """
    try:
        root = ET.fromstring(pom_text)
    except ET.ParseError as exc:
        raise LocalKafkaError(f"the Kafka pom.xml is not valid XML: {exc}") from exc
    for namespace in (_POM_NS, ""):
        element = root.find(f"{namespace}properties/{namespace}kafka.version")
        if element is not None and element.text and element.text.strip():
            return element.text.strip()
    raise LocalKafkaError("the Kafka pom.xml has no <kafka.version> property")


def render_server_properties(template: str, values: Mapping[str, str]) -> str:
    """Fill the ``${name}`` placeholders of the ``server.properties`` template.

    Text like ``${...}`` that is not a placeholder name (in comments) is left alone.

    Args:
        template: The template text.
        values: Value of each placeholder.

    Returns:
        The rendered properties.

    Raises:
        LocalKafkaError: The template uses a placeholder missing from ``values``.
    """
    unknown = sorted({name for name in _PLACEHOLDER.findall(template) if name not in values})
    if unknown:
        raise LocalKafkaError(
            "the server.properties template uses unknown placeholders: "
            + ", ".join(f"${{{name}}}" for name in unknown)
        )
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def parse_java_major_version(version_output: str) -> int | None:
    """Extract the major release from the output of ``java -version``.

    Handles both the legacy ``1.8.0_381`` scheme and the modern ``17.0.15`` / ``21`` /
    ``23-ea`` ones.

    Args:
        version_output: What ``java -version`` printed (on stderr).

    Returns:
        The major version (8, 17, 21, ...), or None when it cannot be found.
    """
    match = _JAVA_VERSION.search(version_output)
    if match is None:
        return None
    parts = re.split(r"[.\-+_]", match.group(1))
    if parts[0] == "1" and len(parts) > 1:
        parts = parts[1:]
    return int(parts[0]) if parts[0].isdigit() else None


def _random_cluster_id() -> str:
    """Return a random Kafka cluster id, like ``kafka-storage.sh random-uuid`` does."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _clean_output(text: str, lines: int = 20) -> str:
    """Strip terminal colours and keep the last ``lines`` non-empty lines of ``text``."""
    kept = [line for line in _ANSI_ESCAPE.sub("", text).splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _port_in_use(port: int) -> bool:
    """Whether something already listens on ``127.0.0.1:port`` (or on all interfaces)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _accepts_connections(port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to ``127.0.0.1:port`` succeeds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _quiet_kafka_client_logs() -> Iterator[None]:
    """Silence kafka-python's warnings while probing a broker that may not be up yet."""
    logger = logging.getLogger("kafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _process_cmdline(pid: int) -> str | None:
    """Command line of process ``pid`` (arguments joined by spaces), or None if it is gone."""
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            status = (proc / "stat").read_text(encoding="utf-8", errors="replace")
            if status.rpartition(")")[2].split()[:1] == ["Z"]:
                return None  # a zombie: it has exited, only its exit status is left
            raw = (proc / "cmdline").read_bytes()
        except OSError:
            return None
        return raw.replace(b"\0", b" ").decode("utf-8", errors="replace").strip() or None
    try:  # no /proc (macOS, BSD): ask ps
        result = subprocess.run(
            ["ps", "-o", "stat=,command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    stat, _, command = result.stdout.strip().partition(" ")
    if result.returncode != 0 or not command or stat.startswith("Z"):
        return None
    return command.strip()


class LocalKafka:
    """Manage the local single-node Kafka broker described by a ``Settings`` object.

    Starting is idempotent, the data directory survives restarts, and a pid is only
    ever signalled after checking that it belongs to this broker's ``kafka.Kafka``
    Java process.

    Args:
        settings: Supplies ``kafka_dir``, the ports, the start timeout and the heap.
        deploy_dir: Directory with ``pom.xml``, ``server.properties`` and
            ``log4j2.properties``. Defaults to the repository's ``deploy/kafka``.
        extra_properties: Broker properties added to (or replacing those of) the
            template, for example another listener with TLS and SASL, an
            authorizer, or the roles of a broker-only node. Used by the tests; the
            CLI's broker has none.
        cluster_id: Format the storage with this cluster id instead of a new one
            (a second node joining another broker's cluster).

    Raises:
        LocalKafkaError: ``deploy_dir`` or one of its files is missing or invalid.
    """

    def __init__(
        self,
        settings: Settings,
        deploy_dir: Path | None = None,
        extra_properties: Mapping[str, str] | None = None,
        cluster_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.extra_properties = dict(extra_properties or {})
        self._cluster_id = cluster_id
        self.deploy_dir = (deploy_dir or DEFAULT_DEPLOY_DIR).resolve()
        if not self.deploy_dir.is_dir():
            raise LocalKafkaError(
                f"the local Kafka deployment files are missing: {self.deploy_dir} does not exist"
                " (it should hold pom.xml, server.properties and log4j2.properties)"
            )
        for name in ("pom.xml", "server.properties", "log4j2.properties"):
            if not (self.deploy_dir / name).is_file():
                raise LocalKafkaError(f"{self.deploy_dir / name} is missing")
        self.kafka_version = parse_kafka_version(
            (self.deploy_dir / "pom.xml").read_text(encoding="utf-8")
        )
        self.base_dir = settings.kafka_dir
        self.jars_dir = self.base_dir / f"jars-{self.kafka_version}"
        self.data_dir = self.base_dir / "data"
        self.config_path = self.base_dir / "server.properties"
        self.pid_path = self.base_dir / "broker.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._java: str | None = None

    # ------------------------------------------------------------------ paths

    @property
    def bootstrap(self) -> str:
        """Bootstrap address of the local broker (``127.0.0.1:<kafka_port>``)."""
        return self.settings.local_bootstrap

    @property
    def cluster_id(self) -> str | None:
        """The cluster id its storage was formatted with (None before the first start)."""
        meta = self.data_dir / "meta.properties"
        if not meta.is_file():
            return None
        for line in meta.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "cluster.id":
                return value.strip()
        return None

    @property
    def log_path(self) -> Path:
        """The broker's log file (stdout and stderr of the Java process)."""
        return self.base_dir / "broker.log"

    @property
    def jars_cached(self) -> bool:
        """Whether the Kafka jars are already downloaded completely."""
        return (self.jars_dir / _JARS_COMPLETE_MARKER).is_file()

    # ---------------------------------------------------------- prerequisites

    def _find_java(self) -> str | None:
        """The ``java`` executable: ``$JAVA_HOME/bin/java`` if set, else the one on PATH."""
        java_home = os.environ.get("JAVA_HOME")
        if java_home:
            candidate = Path(java_home) / "bin" / "java"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
        return shutil.which("java")

    def check_prerequisites(self) -> None:
        """Check that Java 17+ is installed, and Maven too while the jars are not cached.

        Raises:
            LocalKafkaError: Something is missing; the message says what to install.
        """
        java = self._find_java()
        if java is None:
            raise LocalKafkaError(f"java was not found on PATH. {JAVA_INSTALL_HINT}")
        try:
            result = subprocess.run(
                [java, "-version"], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise LocalKafkaError(
                f"could not run {java} -version ({exc}). {JAVA_INSTALL_HINT}"
            ) from exc
        major = parse_java_major_version(result.stderr + result.stdout)
        if major is None:
            raise LocalKafkaError(
                f"could not tell the version of {java} from `java -version`"
                f" ({_clean_output(result.stderr + result.stdout, 3)!r}). {JAVA_INSTALL_HINT}"
            )
        if major < MIN_JAVA_VERSION:
            raise LocalKafkaError(f"{java} is Java {major}. {JAVA_INSTALL_HINT}")
        self._java = java
        if not self.jars_cached and shutil.which("mvn") is None:
            raise LocalKafkaError(MAVEN_INSTALL_HINT)

    def _java_executable(self) -> str:
        if self._java is None:
            self.check_prerequisites()
        assert self._java is not None
        return self._java

    # ------------------------------------------------------------------- jars

    def ensure_jars(self, on_message: OnMessage = _ignore_message) -> Path:
        """Download the Kafka jars with Maven unless they are cached already.

        Maven writes into a temporary directory that is renamed into place only when
        complete, so an interrupted download never leaves a half-filled cache.

        Args:
            on_message: Receives progress messages for the user.

        Returns:
            The directory holding the jars.

        Raises:
            LocalKafkaError: Maven is missing or failed (the message ends with its output).
        """
        if self.jars_cached:
            return self.jars_dir
        mvn = shutil.which("mvn")
        if mvn is None:
            raise LocalKafkaError(MAVEN_INSTALL_HINT)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        on_message(
            f"Downloading Apache Kafka {self.kafka_version} jars from Maven Central into "
            f"{self.jars_dir} (once)"
        )
        staging = Path(tempfile.mkdtemp(prefix=f".{self.jars_dir.name}-", dir=self.base_dir))
        try:
            command = [
                mvn,
                "-q",
                "-B",
                "-Dstyle.color=never",
                "-f",
                str(self.deploy_dir / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                "-DincludeScope=runtime",
            ]
            try:
                result = subprocess.run(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    timeout=_MAVEN_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise LocalKafkaError(
                    f"Maven did not finish downloading the Kafka jars in {_MAVEN_TIMEOUT:.0f} s;"
                    " check the network (or the proxy in ~/.m2/settings.xml) and retry"
                ) from exc
            except OSError as exc:
                raise LocalKafkaError(f"could not run Maven ({exc}). {MAVEN_INSTALL_HINT}") from exc
            if result.returncode != 0:
                raise LocalKafkaError(
                    f"Maven could not download the Kafka jars (exit code {result.returncode});"
                    " check the network (or the proxy in ~/.m2/settings.xml) and retry."
                    f" Last lines of its output:\n{_clean_output(result.stdout)}"
                )
            if not any(staging.glob("kafka_2.13-*.jar")):
                raise LocalKafkaError(
                    f"Maven finished but {staging} holds no kafka_2.13 jar;"
                    f" check {self.deploy_dir / 'pom.xml'}"
                )
            (staging / _JARS_COMPLETE_MARKER).write_text(
                f"org.apache.kafka:kafka_2.13:{self.kafka_version}\n", encoding="utf-8"
            )
            if self.jars_dir.exists():  # an incomplete copy (no marker) from an older run
                shutil.rmtree(self.jars_dir)
            staging.chmod(0o755)  # mkdtemp made it private
            staging.rename(self.jars_dir)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return self.jars_dir

    # -------------------------------------------------------------- processes

    def _reap(self, pid: int) -> None:
        """Collect the exit status of broker ``pid`` if it is our exited child (no zombie).

        Only ever called with the broker's pid: reaping other children of this process
        would steal their exit status from whoever waits for them.
        """
        if self._process is not None and self._process.pid == pid:
            self._process.poll()
            return
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)

    def _child_runs(self, pid: int) -> bool:
        """Whether ``pid`` is the broker this object started and it has not exited.

        Its ``/proc`` command line can briefly be another while the ``java``
        launcher executes itself again: seen as a start that waited forever for
        the exit code of a broker that was running.
        """
        own = self._process is not None and self._process.pid == pid
        return own and self._process is not None and self._process.poll() is None

    def _is_our_broker(self, pid: int) -> bool:
        """Whether ``pid`` is alive and is this installation's ``kafka.Kafka`` process."""
        if pid <= 0:
            return False
        cmdline = _process_cmdline(pid)
        return cmdline is not None and "kafka.Kafka" in cmdline and str(self.config_path) in cmdline

    def _read_pid(self) -> int | None:
        """The pid recorded in the pid file, or None if there is no usable one."""
        try:
            return int(self.pid_path.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def _find_orphan_pid(self) -> int | None:
        """Find our broker among all processes (when the pid file was lost). Linux only."""
        proc = Path("/proc")
        if not (proc / "self").exists():
            return None
        for entry in proc.iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                pid = int(entry.name)
                if self._is_our_broker(pid):
                    return pid
        return None

    def _broker_pid(self) -> int | None:
        """Pid of our running broker process, or None."""
        pid = self._read_pid()
        if pid is not None and self._is_our_broker(pid):
            return pid
        orphan = self._find_orphan_pid()
        if orphan is not None:
            self.pid_path.write_text(f"{orphan}\n", encoding="ascii")
        return orphan

    def _answers(self) -> bool:
        """Whether a broker at the bootstrap address answers a metadata request."""
        if not _accepts_connections(self.settings.kafka_port):
            return False
        from kafka.admin import KafkaAdminClient  # imported lazily: it is only needed here

        try:
            with _quiet_kafka_client_logs():
                client = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap,
                    client_id="listing-monitor-local-kafka",
                    request_timeout_ms=_PROBE_TIMEOUT_MS,
                    bootstrap_timeout_ms=_PROBE_TIMEOUT_MS,
                )
                try:
                    client.describe_cluster()
                finally:
                    client.close()
        except Exception:
            return False
        return True

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start and stop between processes (for example two terminals)."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        with (self.base_dir / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def is_running(self) -> bool:
        """Whether the broker process is alive (it may still be starting up).

        Returns:
            True if this installation's ``kafka.Kafka`` process runs.
        """
        return self._broker_pid() is not None

    def status(self) -> str | None:
        """The bootstrap address if the broker runs and answers, else None.

        Returns:
            ``127.0.0.1:<port>`` or None.
        """
        if self._broker_pid() is not None and self._answers():
            return self.bootstrap
        return None

    def tail_log(self, lines: int = 20) -> list[str]:
        """The last lines of the broker log.

        Args:
            lines: How many lines to return at most.

        Returns:
            The lines without their line ends; empty if there is no log yet.
        """
        if lines <= 0:
            return []
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                position = handle.tell()
                data = b""
                while position > 0 and data.count(b"\n") <= lines:
                    step = min(64 * 1024, position)
                    position -= step
                    handle.seek(position)
                    data = handle.read(step) + data
        except FileNotFoundError:
            return []
        return data.decode("utf-8", errors="replace").splitlines()[-lines:]

    def _log_excerpt(self, lines: int = 20) -> str:
        """The last ``lines`` lines the current run wrote to the log, for error messages."""
        tail = self.tail_log(lines * 10)
        starts = [i for i, line in enumerate(tail) if line.startswith(_START_BANNER)]
        if starts:
            tail = tail[starts[-1] + 1 :]
        tail = tail[-lines:]
        if not tail:
            return f"The broker wrote nothing to {self.log_path}."
        return f"Last {len(tail)} lines of {self.log_path}:\n" + "\n".join(tail)

    # ------------------------------------------------------------ start / stop

    def start(self, on_message: OnMessage = _ignore_message) -> str:
        """Start the broker in the background, or do nothing if it is already running.

        On first start the jars are downloaded and the KRaft storage is formatted.
        Returns once the broker answers a metadata request.

        Args:
            on_message: Receives progress messages for the user.

        Returns:
            The bootstrap address, ``127.0.0.1:<kafka_port>``.

        Raises:
            LocalKafkaError: A prerequisite is missing, a port is taken, or the broker
                exited or did not answer within ``kafka_start_timeout`` seconds.
        """
        with self._lock():
            pid = self._broker_pid()
            if pid is not None:
                if self._answers():
                    on_message(f"Kafka is already running at {self.bootstrap} (pid {pid})")
                    return self.bootstrap
                on_message(f"Kafka (pid {pid}) is starting; waiting for it to answer")
                self._wait_until_answering(pid)
                return self.bootstrap
            if self.pid_path.exists():
                on_message(f"Removing stale pid file {self.pid_path}")
                self.pid_path.unlink(missing_ok=True)
            self._check_ports_free()
            self.check_prerequisites()
            jars = self.ensure_jars(on_message)
            self._write_config()
            self._format_storage(jars, on_message)
            pid = self._spawn(jars)
            on_message(
                f"Starting Apache Kafka {self.kafka_version} (pid {pid}, log {self.log_path})"
            )
            self._wait_until_answering(pid)
            on_message(f"Kafka is running at {self.bootstrap}")
            return self.bootstrap

    def _check_ports_free(self) -> None:
        for port, what, variable in (
            (self.settings.kafka_port, "client", "LISTING_MONITOR_KAFKA_PORT"),
            (
                self.settings.kafka_controller_port,
                "controller",
                "LISTING_MONITOR_KAFKA_CONTROLLER_PORT",
            ),
        ):
            if _port_in_use(port):
                raise LocalKafkaError(
                    f"port {port} (the local broker's {what} port) is already in use by another"
                    f" process, not by the broker managed in {self.base_dir}; stop that process"
                    f" or choose another port with {variable}"
                )

    def _write_config(self) -> None:
        template = (self.deploy_dir / "server.properties").read_text(encoding="utf-8")
        rendered = render_server_properties(
            template,
            {
                "port": str(self.settings.kafka_port),
                "controller_port": str(self.settings.kafka_controller_port),
                "log_dirs": str(self.data_dir),
            },
        )
        if self.extra_properties:
            # java.util.Properties keeps the last value of a key: these win
            lines = [f"{key}={value}" for key, value in self.extra_properties.items()]
            rendered += "\n# added by LocalKafka(extra_properties=...)\n" + "\n".join(lines) + "\n"
        self.config_path.write_text(rendered, encoding="utf-8")

    def _java_command(self, jars: Path, *arguments: str, heap: str | None = None) -> list[str]:
        """``java [-Xmx<heap>] -Dlog4j2... -cp <jars>/* <arguments>``."""
        return [
            self._java_executable(),
            *([f"-Xmx{heap}"] if heap else []),
            f"-Dlog4j2.configurationFile={self.deploy_dir / 'log4j2.properties'}",
            # Kafka logs its own shutdown; log4j's hook would stop logging halfway through it.
            "-Dlog4j2.shutdownHookEnabled=false",
            "-cp",
            str(jars / "*"),
            *arguments,
        ]

    def _format_storage(self, jars: Path, on_message: OnMessage) -> None:
        """Format the KRaft storage once (when ``data/meta.properties`` is absent)."""
        if (self.data_dir / "meta.properties").is_file():
            return
        cluster_id = self._cluster_id or _random_cluster_id()
        on_message(f"Formatting KRaft storage in {self.data_dir} (cluster id {cluster_id})")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = self._java_command(
            jars, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(self.config_path)
        )
        try:
            result = subprocess.run(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=_TOOL_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise LocalKafkaError(f"could not format the KRaft storage: {exc}") from exc
        if result.returncode != 0:
            raise LocalKafkaError(
                f"formatting the KRaft storage in {self.data_dir} failed"
                f" (exit code {result.returncode}):\n{_clean_output(result.stdout)}"
            )

    def _spawn(self, jars: Path) -> int:
        """Launch the broker detached from this process; return its pid."""
        if self.log_path.exists() and self.log_path.stat().st_size > _LOG_ROTATE_BYTES:
            self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
        command = self._java_command(
            jars, "kafka.Kafka", str(self.config_path), heap=self.settings.kafka_heap
        )
        with self.log_path.open("ab") as log:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log.write(f"{_START_BANNER} {self.kafka_version} at {stamp} ===\n".encode())
            log.flush()
            try:
                self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.base_dir,
                    start_new_session=True,
                )
            except OSError as exc:
                raise LocalKafkaError(f"could not start {command[0]}: {exc}") from exc
        self.pid_path.write_text(f"{self._process.pid}\n", encoding="ascii")
        return self._process.pid

    def _wait_until_answering(self, pid: int) -> None:
        """Poll the broker until it answers; on exit or timeout raise with the log tail."""
        timeout = self.settings.kafka_start_timeout
        deadline = time.monotonic() + timeout
        while True:
            self._reap(pid)
            if not self._is_our_broker(pid) and not self._child_runs(pid):
                self.pid_path.unlink(missing_ok=True)
                code = ""
                if self._process is not None and self._process.pid == pid:
                    code = f" with exit code {self._process.wait()}"
                raise LocalKafkaError(
                    f"the Kafka broker exited{code} while starting; see {self.log_path}."
                    f"\n{self._log_excerpt()}"
                )
            if self._answers():
                return
            if time.monotonic() >= deadline:
                self._terminate(pid, grace=10.0)
                self.pid_path.unlink(missing_ok=True)
                raise LocalKafkaError(
                    f"the Kafka broker did not answer at {self.bootstrap} within {timeout:g} s"
                    " (raise LISTING_MONITOR_KAFKA_START_TIMEOUT on a slow machine); it was"
                    f" stopped. See {self.log_path}.\n{self._log_excerpt()}"
                )
            time.sleep(_POLL_INTERVAL)

    def _terminate(self, pid: int, grace: float) -> bool:
        """SIGTERM ``pid``, wait up to ``grace`` seconds, then SIGKILL.

        Returns:
            True if it exited on SIGTERM, False if it had to be killed.
        """
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self._reap(pid)
            if not self._is_our_broker(pid):
                return True
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            self._reap(pid)
            if not self._is_our_broker(pid):
                break
            time.sleep(0.1)
        return False

    def stop(self, on_message: OnMessage = _ignore_message, timeout: float = 30.0) -> bool:
        """Stop the broker gracefully (SIGTERM), killing it if it has not exited in time.

        Args:
            on_message: Receives progress messages for the user.
            timeout: Seconds to wait for a graceful shutdown before SIGKILL.

        Returns:
            True if a broker was stopped, False if none was running.
        """
        with self._lock():
            pid = self._broker_pid()
            if pid is None:
                self.pid_path.unlink(missing_ok=True)
                on_message("Kafka is not running")
                return False
            on_message(f"Stopping Kafka (pid {pid})")
            graceful = self._terminate(pid, grace=timeout)
            self.pid_path.unlink(missing_ok=True)
            if self._process is not None and self._process.pid == pid:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=5)
                self._process = None
            if graceful:
                on_message("Kafka stopped")
            else:
                on_message(
                    f"Kafka did not stop within {timeout:g} s and had to be killed (SIGKILL);"
                    f" see {self.log_path}"
                )
            return True
