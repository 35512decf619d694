"""The ACLs the monitor needs: one list, printed as kafka-acls.sh commands and in the README."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from stream.cli import app
from stream.settings import Settings
from stream.topology.acls import AclGrant, all_grants, kafka_acls_command, worker_grants

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_row(grant: AclGrant) -> str:
    optional = " (optional)" if grant.optional else ""
    return (
        f"| {grant.user_of} | {grant.resource} | `{grant.name}` | {grant.pattern} | "
        f"{', '.join(grant.operations)} | {grant.why}{optional} |"
    )


def test_the_readme_lists_every_grant_for_the_default_names() -> None:
    text = README.read_text(encoding="utf-8")
    for grant in all_grants(Settings()):
        assert readme_row(grant) in text


def test_the_worker_reads_inputs_writes_outputs_and_owns_its_prefix() -> None:
    settings = Settings(app_id="lm", listings_topic="in-l", alerts_topic="out-a")
    grants = worker_grants(settings)
    required = {(g.resource, g.name, g.pattern): g.operations for g in grants if not g.optional}
    optional = {(g.resource, g.name): g.operations for g in grants if g.optional}
    assert optional[("topic", "in-l")] == ("CREATE",)  # only to create it when missing
    assert optional[("cluster", "kafka-cluster")] == ("DESCRIBE_CONFIGS",)
    assert required[("topic", "in-l", "literal")] == ("READ", "DESCRIBE")
    assert required[("topic", "out-a", "literal")] == ("WRITE", "DESCRIBE")
    assert required[("group", "lm", "literal")] == ("READ", "DESCRIBE")
    assert set(required[("topic", "lm-", "prefixed")]) == {"CREATE", "READ", "WRITE", "DESCRIBE"}


def test_a_grant_as_a_kafka_acls_command() -> None:
    prefix = next(g for g in worker_grants(Settings()) if g.pattern == "prefixed")
    assert kafka_acls_command(prefix, "User:m", "k:9092") == (
        "kafka-acls.sh --bootstrap-server k:9092 --add --allow-principal User:m "
        "--operation Create --operation Read --operation Write --operation Describe "
        "--topic listing-monitor- --resource-pattern-type prefixed"
    )
    cluster = next(g for g in worker_grants(Settings()) if g.resource == "cluster")
    assert kafka_acls_command(cluster, "User:m", "k:9092").endswith(
        "--operation DescribeConfigs --cluster"
    )


def test_the_acls_command_prints_them_for_the_current_settings() -> None:
    result = CliRunner().invoke(
        app,
        ["kafka", "acls", "--principal", "User:lm", "--who", "worker"],
        env={"LISTING_MONITOR_APP_ID": "shop-monitor", "COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert "--group shop-monitor" in result.output
    assert "--topic shop-monitor- --resource-pattern-type prefixed" in result.output
    assert "# optional: kafka-acls.sh" in result.output
    assert "alerts tail" not in result.output
    bad = CliRunner().invoke(app, ["kafka", "acls", "--who", "everyone"])
    assert bad.exit_code == 1
