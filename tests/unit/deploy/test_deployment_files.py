"""The Dockerfile, compose file and Kubernetes manifests agree with the code and
with each other (no container engine here: what can be checked without one)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.main import get_command

from stream import __version__
from stream.cli import app as cli
from stream.settings import Settings
from stream.topology.app import create_app

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
DOCKERFILE = (ROOT / "Dockerfile").read_text()
IMAGE = f"listing-monitor:{__version__}"


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def k8s(kind: str) -> list[dict[str, Any]]:
    docs = [d for f in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in load_all(f)]
    return [d for d in docs if d.get("kind") == kind]


def worker_container() -> dict[str, Any]:
    (deployment,) = k8s("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


def dockerfile_env() -> dict[str, str]:
    """The ENV of the image's last stage (the one that runs)."""
    final = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    blocks = re.findall(r"^ENV (.+?)(?=^\S)", final, re.M | re.S)
    assert blocks
    return dict(re.findall(r"(\w+)=(\S+)", " ".join(blocks).replace("\\\n", " ")))


def environments() -> dict[str, dict[str, str]]:
    """Every environment the files give a worker: Dockerfile, compose services, k8s."""
    found = {"Dockerfile": dockerfile_env()}
    for name, service in compose()["services"].items():
        if name.startswith("worker"):
            found[f"compose {name}"] = {k: str(v) for k, v in service["environment"].items()}
    found["k8s worker"] = {
        e["name"]: str(e.get("value", "<from the pod>")) for e in worker_container()["env"]
    }
    return found


def test_every_file_parses() -> None:
    for path in [*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")]:
        assert load_all(path), path
    for path in DEPLOY.rglob("*.json"):
        assert orjson.loads(path.read_bytes()), path


def test_every_variable_the_files_set_is_a_setting_and_valid() -> None:
    fields = {f"LISTING_MONITOR_{name.upper()}" for name in Settings.model_fields}
    for where, env in environments().items():
        ours = {k: v for k, v in env.items() if k.startswith("LISTING_MONITOR_")}
        assert ours, where
        assert set(ours) <= fields, (where, set(ours) - fields)
        values = {k.removeprefix("LISTING_MONITOR_").lower(): v for k, v in ours.items()}
        values = {k: v for k, v in values.items() if v != "<from the pod>"}
        Settings.model_validate(values)  # each value within its bounds


def test_one_image_one_command_one_port_everywhere() -> None:
    assert f"docker build -t {IMAGE} ." in DOCKERFILE
    assert 'ENTRYPOINT ["listing-monitor"]' in DOCKERFILE
    assert 'CMD ["worker"]' in DOCKERFILE
    assert "worker" in get_command(cli).commands  # type: ignore[attr-defined]
    port = Settings().web_port
    assert f"EXPOSE {port}" in DOCKERFILE
    assert f"127.0.0.1:{port}/healthz" in DOCKERFILE
    for where, env in environments().items():
        assert env.get("LISTING_MONITOR_WEB_PORT", str(port)) == str(port), where
        assert env["LISTING_MONITOR_WEB_HOST"] == "0.0.0.0", where  # reachable from outside

    workers = {n: s for n, s in compose()["services"].items() if n.startswith("worker")}
    assert len(workers) == 2
    for service in workers.values():
        assert service["image"] == IMAGE
        assert service["command"] == ["worker"]
        # one consumer group: neither sets another app id
        assert "LISTING_MONITOR_APP_ID" not in service["environment"]
    container = worker_container()
    assert container["image"] == IMAGE
    assert container["args"] == ["worker"]
    assert {p["containerPort"] for p in container["ports"]} == {port}
    (service,) = k8s("Service")
    assert {p["port"] for p in service["spec"]["ports"]} == {port}
    assert service["metadata"]["annotations"]["prometheus.io/port"] == str(port)


def test_probes_and_scrapes_ask_pages_the_worker_serves(tmp_path: Path) -> None:
    served = set(create_app(Settings(home=tmp_path)).app.web.views)
    container = worker_container()
    probed = {container[p]["httpGet"]["path"] for p in container if p.endswith("Probe")}
    assert probed == {"/healthz", "/readyz"}
    assert probed <= served
    (service,) = k8s("Service")
    assert service["metadata"]["annotations"]["prometheus.io/path"] in served
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    job = scrape["scrape_configs"][0]
    assert job["metrics_path"] in served
    # the compose workers are what Prometheus scrapes there
    targets = set(job["static_configs"][0]["targets"])
    port = Settings().web_port
    assert targets == {
        f"{name}:{port}" for name in compose()["services"] if name.startswith("worker")
    }


def test_the_rules_file_is_mounted_where_the_setting_points() -> None:
    default_rules = ROOT / "stream" / "data" / "rules.toml"
    assert "COPY stream/data/rules.toml /etc/listing-monitor/rules.toml" in DOCKERFILE
    assert dockerfile_env()["LISTING_MONITOR_RULES_FILE"] == "/etc/listing-monitor/rules.toml"
    for name, service in compose()["services"].items():
        if name.startswith("worker"):
            source, target, _ = service["volumes"][0].split(":")
            assert (DEPLOY / source).resolve() == default_rules
            assert service["environment"]["LISTING_MONITOR_RULES_FILE"] == target
    container = worker_container()
    env = {e["name"]: e.get("value") for e in container["env"]}
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "rules"]
    assert env["LISTING_MONITOR_RULES_FILE"] == f"{mount['mountPath']}/rules.toml"
    (deployment,) = k8s("Deployment")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    config_map = volumes["rules"]["configMap"]["name"]
    readme = (ROOT / "README.md").read_text()
    assert f"kubectl create configmap {config_map} --from-file=rules.toml=" in readme


def test_the_worker_stops_within_the_grace_periods() -> None:
    timeout = Settings().shutdown_timeout
    (deployment,) = k8s("Deployment")
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > timeout
    for name, service in compose()["services"].items():
        if name.startswith("worker"):
            assert int(service["stop_grace_period"].removesuffix("s")) > timeout
    assert k8s("PodDisruptionBudget")[0]["spec"]["maxUnavailable"] == 1


def test_grafana_is_provisioned_with_the_dashboard_and_prometheus() -> None:
    grafana = compose()["services"]["grafana"]
    mounts = dict(v.rsplit(":", 1)[0].split(":") for v in grafana["volumes"])
    assert (DEPLOY / next(s for s, t in mounts.items() if t.endswith(".json"))).is_file()
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "listing-monitor.yml").read_text()
    )
    path = provider["providers"][0]["options"]["path"]
    assert any(t.startswith(path + "/") for t in mounts.values())
    datasource = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    assert "prometheus" in compose()["services"]


@pytest.mark.parametrize("trigger", [0, 1])
def test_keda_scales_on_the_lag_of_the_worker_group(trigger: int) -> None:
    (scaled,) = k8s("ScaledObject")
    (deployment,) = k8s("Deployment")
    assert scaled["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    meta = scaled["spec"]["triggers"][trigger]["metadata"]
    defaults = Settings()
    assert meta["consumerGroup"] == defaults.app_id
    assert meta["topic"] in {defaults.listings_topic, defaults.orders_topic}
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert "keda-scaledobject.yaml" not in kustomization["resources"]  # optional
