"""Unit tests of the local Kafka broker manager: the parts that need no JVM."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from stream.devtools.local_kafka import (
    DEFAULT_DEPLOY_DIR,
    LocalKafka,
    LocalKafkaError,
    parse_java_major_version,
    parse_kafka_version,
    render_server_properties,
)
from stream.settings import Settings

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <properties>
    <kafka.version> 4.1.2 </kafka.version>
    <log4j.version>2.24.3</log4j.version>
  </properties>
</project>
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", kafka_port=29392, kafka_controller_port=29393)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An otherwise empty PATH, so only the fake tools written here are found (no coreutils)."""
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", str(directory))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    return directory


def write_tool(directory: Path, name: str, script: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def fake_java(directory: Path, version: str = '"17.0.15" 2025-04-15') -> Path:
    return write_tool(directory, "java", f"echo 'openjdk version {version}' >&2\n")


# --------------------------------------------------------------- pom version


def test_parse_kafka_version_reads_the_property() -> None:
    assert parse_kafka_version(POM) == "4.1.2"


def test_parse_kafka_version_without_namespace() -> None:
    pom = "<project><properties><kafka.version>3.9.1</kafka.version></properties></project>"
    assert parse_kafka_version(pom) == "3.9.1"


def test_parse_kafka_version_of_the_bundled_pom() -> None:
    version = parse_kafka_version((DEFAULT_DEPLOY_DIR / "pom.xml").read_text(encoding="utf-8"))
    assert version.split(".")[0].isdigit()


def test_parse_kafka_version_missing_property() -> None:
    with pytest.raises(LocalKafkaError, match=r"no <kafka\.version> property"):
        parse_kafka_version("<project><properties/></project>")


def test_parse_kafka_version_invalid_xml() -> None:
    with pytest.raises(LocalKafkaError, match="not valid XML"):
        parse_kafka_version("<project>")


# ------------------------------------------------------------------ template


def test_render_server_properties_fills_placeholders() -> None:
    rendered = render_server_properties(
        "# ${...} are placeholders\nlisteners=PLAINTEXT://127.0.0.1:${port}\nlog.dirs=${log_dirs}\n",
        {"port": "29092", "log_dirs": "/data/kafka logs"},
    )
    assert rendered == (
        "# ${...} are placeholders\n"
        "listeners=PLAINTEXT://127.0.0.1:29092\n"
        "log.dirs=/data/kafka logs\n"
    )


def test_render_server_properties_unknown_placeholder() -> None:
    with pytest.raises(LocalKafkaError, match=r"\$\{heap\}"):
        render_server_properties("a=${port}\nb=${heap}\n", {"port": "1"})


def test_bundled_template_renders_completely() -> None:
    template = (DEFAULT_DEPLOY_DIR / "server.properties").read_text(encoding="utf-8")
    rendered = render_server_properties(
        template, {"port": "29092", "controller_port": "29093", "log_dirs": "/tmp/x/data"}
    )
    settings_lines = [line for line in rendered.splitlines() if not line.startswith("#")]
    assert not any("${" in line for line in settings_lines)
    assert "controller.quorum.voters=1@127.0.0.1:29093" in settings_lines
    assert "listeners=PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093" in settings_lines
    assert "log.dirs=/tmp/x/data" in settings_lines


def test_write_config_uses_settings(settings: Settings) -> None:
    kafka = LocalKafka(settings)
    kafka.base_dir.mkdir(parents=True)
    kafka._write_config()
    text = kafka.config_path.read_text(encoding="utf-8")
    assert "advertised.listeners=PLAINTEXT://127.0.0.1:29392" in text
    assert f"log.dirs={settings.kafka_dir / 'data'}" in text


# -------------------------------------------------------------- java version


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('java version "1.8.0_381"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "11.0.2" 2019-01-15', 11),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "23-ea" 2024-09-17', 23),
        ('Picked up JAVA_TOOL_OPTIONS: -Xss2m\nopenjdk version "25.0.1" 2025-10-21', 25),
        ("bash: java: command not found", None),
    ],
)
def test_parse_java_major_version(output: str, major: int | None) -> None:
    assert parse_java_major_version(output) == major


# ------------------------------------------------------------- prerequisites


def test_missing_java(settings: Settings, bin_dir: Path) -> None:
    with pytest.raises(LocalKafkaError) as error:
        LocalKafka(settings).check_prerequisites()
    message = str(error.value)
    assert "Java 17 or newer is needed" in message
    assert "apt-get install openjdk-17-jre-headless" in message


def test_old_java(settings: Settings, bin_dir: Path) -> None:
    fake_java(bin_dir, '"1.8.0_381"')
    with pytest.raises(LocalKafkaError, match=r"is Java 8\. Java 17 or newer is needed"):
        LocalKafka(settings).check_prerequisites()


def test_java_home_is_preferred(
    settings: Settings, bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_java(bin_dir, '"11.0.2"')
    java_home = tmp_path / "jdk"
    (java_home / "bin").mkdir(parents=True)
    fake_java(java_home / "bin", '"21.0.1"')
    monkeypatch.setenv("JAVA_HOME", str(java_home))
    with pytest.raises(LocalKafkaError, match="Maven is needed"):
        LocalKafka(settings).check_prerequisites()  # Java 21 passes, then Maven is missing


def test_missing_maven_while_jars_are_not_cached(settings: Settings, bin_dir: Path) -> None:
    fake_java(bin_dir)
    with pytest.raises(LocalKafkaError) as error:
        LocalKafka(settings).check_prerequisites()
    assert str(error.value) == (
        "Maven is needed once to download the Kafka jars; on Debian/Ubuntu: "
        "apt-get install maven (on macOS: brew install maven)"
    )


def test_maven_not_needed_once_jars_are_cached(settings: Settings, bin_dir: Path) -> None:
    fake_java(bin_dir)
    kafka = LocalKafka(settings)
    kafka.jars_dir.mkdir(parents=True)
    (kafka.jars_dir / ".complete").write_text("", encoding="utf-8")
    kafka.check_prerequisites()
    assert kafka.ensure_jars() == kafka.jars_dir


# ---------------------------------------------------------------- jar cache


def test_ensure_jars_downloads_once(settings: Settings, bin_dir: Path, tmp_path: Path) -> None:
    calls = tmp_path / "mvn-calls"
    write_tool(
        bin_dir,
        "mvn",
        f"""echo call >> {calls}
for arg in "$@"; do
  case "$arg" in -DoutputDirectory=*) out="${{arg#-DoutputDirectory=}}";; esac
done
: > "$out/kafka_2.13-4.1.2.jar"
: > "$out/kafka-clients-4.1.2.jar"
""",
    )
    kafka = LocalKafka(settings)
    messages: list[str] = []
    jars = kafka.ensure_jars(messages.append)
    assert jars == settings.kafka_dir / "jars-4.1.2"
    assert (jars / "kafka_2.13-4.1.2.jar").is_file()
    assert kafka.jars_cached
    assert messages == [
        f"Downloading Apache Kafka 4.1.2 jars from Maven Central into {jars} (once)"
    ]
    assert kafka.ensure_jars(messages.append) == jars
    assert calls.read_text(encoding="utf-8").count("call") == 1
    assert len(messages) == 1
    assert [p.name for p in settings.kafka_dir.iterdir()] == ["jars-4.1.2"]  # no staging left


def test_ensure_jars_reports_maven_failure(settings: Settings, bin_dir: Path) -> None:
    write_tool(
        bin_dir,
        "mvn",
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do\n"
        "  echo line $i\ndone\necho '[ERROR] Could not resolve dependencies'\nexit 1\n",
    )
    kafka = LocalKafka(settings)
    with pytest.raises(LocalKafkaError) as error:
        kafka.ensure_jars()
    message = str(error.value)
    assert "exit code 1" in message
    assert message.endswith("[ERROR] Could not resolve dependencies")
    assert "line 25" in message
    assert "line 5\n" not in message  # only the last lines
    assert not kafka.jars_dir.exists()
    assert list(settings.kafka_dir.iterdir()) == []


def test_ensure_jars_without_maven(settings: Settings, bin_dir: Path) -> None:
    with pytest.raises(LocalKafkaError, match="apt-get install maven"):
        LocalKafka(settings).ensure_jars()


# ----------------------------------------------------------- broker process


def test_missing_deploy_dir(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    with pytest.raises(LocalKafkaError, match=str(missing)):
        LocalKafka(settings, deploy_dir=missing)


def test_kafka_version_and_layout(settings: Settings) -> None:
    kafka = LocalKafka(settings)
    assert kafka.kafka_version == parse_kafka_version(
        (DEFAULT_DEPLOY_DIR / "pom.xml").read_text(encoding="utf-8")
    )
    assert kafka.log_path == settings.kafka_dir / "broker.log"
    assert kafka.data_dir == settings.kafka_dir / "data"
    assert kafka.bootstrap == "127.0.0.1:29392"


def test_not_running(settings: Settings) -> None:
    kafka = LocalKafka(settings)
    messages: list[str] = []
    assert not kafka.is_running()
    assert kafka.status() is None
    assert kafka.stop(messages.append) is False
    assert messages == ["Kafka is not running"]


def test_foreign_pid_is_never_signalled(settings: Settings) -> None:
    kafka = LocalKafka(settings)
    kafka.base_dir.mkdir(parents=True)
    kafka.pid_path.write_text(f"{os.getpid()}\n", encoding="ascii")  # this pytest process
    assert not kafka.is_running()
    assert kafka.stop() is False
    assert not kafka.pid_path.exists()


def test_start_fails_when_the_port_is_taken(settings: Settings) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        busy = settings.model_copy(update={"kafka_port": port})
        kafka = LocalKafka(busy)
        kafka.base_dir.mkdir(parents=True)
        kafka.pid_path.write_text("999999999\n", encoding="ascii")  # stale
        messages: list[str] = []
        with pytest.raises(LocalKafkaError, match=f"port {port} .* already in use") as error:
            kafka.start(messages.append)
    assert "LISTING_MONITOR_KAFKA_PORT" in str(error.value)
    assert messages == [f"Removing stale pid file {kafka.pid_path}"]


def test_tail_log(settings: Settings) -> None:
    kafka = LocalKafka(settings)
    assert kafka.tail_log(5) == []
    kafka.base_dir.mkdir(parents=True)
    kafka.log_path.write_text(
        "".join(f"line {i} " + "x" * 100 + "\n" for i in range(5000)), encoding="utf-8"
    )
    tail = kafka.tail_log(3)
    assert [line.split()[1] for line in tail] == ["4997", "4998", "4999"]
    assert kafka.tail_log(0) == []
    assert len(kafka.tail_log(10_000)) == 5000
