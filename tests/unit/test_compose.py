"""docker-compose.yml stays consistent with the code, even on hosts without Docker to run it."""

from __future__ import annotations

import ast
import base64
import binascii
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.gateway_keys import DevKeys

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("registration", "encounter", "settlement", "clearing", "benefits")
# Files whose WIC_* variables a service process reads (settings, the faust worker's web
# host/port and state directory, clearing's thresholds and gateway key files).
ENV_SOURCES = ("contracts/settings.py", "contracts/runtime/faust_app.py",
               "services/clearing/adapters/config.py")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def settings_env_names() -> set[str]:
    """WIC_* names the service processes read (string constants in ENV_SOURCES)."""
    names: set[str] = set()
    for source in ENV_SOURCES:
        tree = ast.parse((ROOT / source).read_text())
        names |= {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.startswith("WIC_") and " " not in node.value
        }
    return names


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_every_service_has_an_image_or_a_build(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name


def test_the_four_services_and_the_infrastructure_are_present(
    services: dict[str, dict[str, Any]],
) -> None:
    assert {"kafka", "postgres", "init", *APP_SERVICES} <= set(services)


def test_app_services_run_their_worker(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        assert services[name]["command"] == ["python", "-m", f"services.{name}", "worker"]
    assert services["init"]["command"] == ["wic", "up", "--external"]


def test_depends_on_targets_exist_with_valid_conditions(
    services: dict[str, dict[str, Any]],
) -> None:
    valid = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        targets = deps if isinstance(deps, list) else list(deps)
        for target in targets:
            assert target in services, f"{name} depends on unknown service {target}"
            if isinstance(deps, dict):
                condition = deps[target].get("condition", "service_started")
                assert condition in valid, (name, target, condition)
                if condition == "service_healthy":
                    assert "healthcheck" in services[target], (name, target)
    for name in APP_SERVICES:
        cond = services[name]["depends_on"]["init"]["condition"]
        assert cond == "service_completed_successfully"


def test_health_checks(services: dict[str, dict[str, Any]]) -> None:
    for name in ("kafka", "postgres", *APP_SERVICES):
        assert services[name].get("healthcheck", {}).get("test"), name
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    for name in APP_SERVICES:
        assert "/health" in str(services[name]["healthcheck"]["test"])


def test_published_ports_are_unique(services: dict[str, dict[str, Any]]) -> None:
    published = []
    for svc in services.values():
        for port in svc.get("ports") or []:
            parts = str(port).split(":")
            published.append(":".join(parts[:-1]) if len(parts) > 1 else parts[0])
    host_ports = [p.rsplit(":", 1)[-1] for p in published]
    assert len(host_ports) == len(set(host_ports)), host_ports


def test_web_ports_are_distinct_and_published(services: dict[str, dict[str, Any]]) -> None:
    ports = [env_of(services[n])["WIC_WEB_PORT"] for n in APP_SERVICES]
    assert len(set(ports)) == len(ports)
    for name, port in zip(APP_SERVICES, ports, strict=True):
        assert any(str(p).endswith(f":{port}") for p in services[name]["ports"]), name


def test_environment_names_match_settings(services: dict[str, dict[str, Any]]) -> None:
    known = settings_env_names()
    assert {"WIC_KAFKA_BOOTSTRAP", "WIC_DATABASE_URL"} <= known
    for name, svc in services.items():
        wic_vars = {k for k in env_of(svc) if k.startswith("WIC_")}
        assert wic_vars <= known, (name, wic_vars - known)
    for name in ("init", *APP_SERVICES):
        env = env_of(services[name])
        assert env["WIC_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["WIC_DATABASE_URL"].startswith("postgresql://wic:wic@postgres:5432/")


def test_kafka_is_kraft_single_node_without_auto_create_with_sasl_and_acls(
    services: dict[str, dict[str, Any]],
) -> None:
    from infra.compose import broker_properties

    assert services["kafka"]["image"] == "apache/kafka:3.9.1"
    assert "kafka-storage.sh format" in str(services["kafka"]["command"])
    props = dict(line.split("=", 1) for line in broker_properties("x").splitlines()
                 if line and not line.startswith("#"))
    assert props["process.roles"] == "broker,controller"
    assert props["auto.create.topics.enable"] == "false"
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor"):
        assert props[key] == "1"
    assert "SASL_PLAINTEXT://kafka:9092" in props["advertised.listeners"]
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"


def test_each_process_is_given_only_its_own_kafka_credentials(
    compose: dict[str, Any], services: dict[str, dict[str, Any]],
) -> None:
    for name, principal in (("init", "admin"), *((n, n) for n in APP_SERVICES)):
        kafka = [s for s in services[name]["secrets"] if s.startswith("kafka-")]
        assert kafka == [f"kafka-{principal}"], name
        assert env_of(services[name])["WIC_KAFKA_CREDENTIALS"] == f"/run/secrets/kafka-{principal}"
        assert compose["secrets"][f"kafka-{principal}"]["file"] == (
            f"./.local/secrets/kafka/{principal}.json")  # generated, git-ignored


def test_postgres_credentials_match_the_services(services: dict[str, dict[str, Any]]) -> None:
    env = env_of(services["postgres"])
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]) == (
        "wic", "wic", "wic")


def test_clearing_reads_its_gateway_keys_from_mounted_files_only(
    compose: dict[str, Any], services: dict[str, dict[str, Any]],
) -> None:
    """Issue 16, part 7: the two files `wic keys generate` writes into service/ are mounted as
    secrets into clearing alone; the peers' private keys are never among them."""
    env = env_of(services["clearing"])
    mounted = {name: f"/run/secrets/{name}" for name in services["clearing"]["secrets"]
               if name.startswith("gateway_")}
    assert {env["WIC_GATEWAY_KEYS"], env["WIC_GATEWAY_PRIVATE_KEY_FILE"]} == set(
        mounted.values())
    default = DevKeys(Path("./.local/secrets/gateway"))
    by_path = {env["WIC_GATEWAY_KEYS"]: default.public_file,
               env["WIC_GATEWAY_PRIVATE_KEY_FILE"]: default.private_file}
    for name, inside in mounted.items():
        host = re.sub(r"\$\{GATEWAY_SECRETS_DIR:-([^}]*)\}", r"\1",
                      compose["secrets"][name]["file"])
        assert Path(host) == by_path[inside], (name, host)
    for name in ("init", "registration", "encounter", "settlement"):
        assert not any(s.startswith("gateway_") for s in services[name].get("secrets", ())), name
        assert not {"WIC_GATEWAY_KEYS", "WIC_GATEWAY_PRIVATE_KEY_FILE"} & set(
            env_of(services[name])), name


def test_no_value_in_the_compose_file_is_a_raw_key(compose: dict[str, Any]) -> None:
    """Nothing secret inline: no value is the base64 of an Ed25519 key's 32 bytes or more."""
    def scalars(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for k, v in node.items() for s in (*scalars(k), *scalars(v))]
        if isinstance(node, list):
            return [s for v in node for s in scalars(v)]
        return [str(node)]
    for value in scalars(compose):
        for word in re.findall(r"[A-Za-z0-9+/_-]{43,}={0,2}", value):
            try:
                raw = base64.b64decode(word + "=" * (-len(word) % 4), altchars=b"-_")
            except (binascii.Error, ValueError):
                continue
            mixed = re.search(r"[a-z]", word) and re.search(r"[A-Z]", word)
            assert not (mixed and len(raw) >= 32), word[:8]


def test_the_cluster_profile_runs_three_kraft_nodes_replicated_three_times(
    compose: dict[str, Any], services: dict[str, dict[str, Any]],
) -> None:
    """Issue 17 item 5: `docker compose --profile cluster` adds nodes 2 and 3 to `kafka`
    (node 1), each with its own properties, host port and volume, as infra/cluster.py does
    locally: replication factor 3, min.insync.replicas=2, the same SASL and ACLs."""
    from infra.compose import CLUSTER_NODES, HOST, cluster_properties

    assert "profiles" not in services["kafka"]  # the default stays one broker
    for node, name in enumerate(CLUSTER_NODES, 1):
        props = dict(line.split("=", 1) for line in cluster_properties(node, "x").splitlines()
                     if line and not line.startswith("#"))
        assert props["node.id"] == str(node)
        assert props["controller.quorum.voters"] == "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert f"SASL_PLAINTEXT://{name}:9092" in props["advertised.listeners"]
        assert f"HOST://127.0.0.1:{HOST + node - 1}" in props["advertised.listeners"]
        for key in ("default.replication.factor", "offsets.topic.replication.factor",
                    "transaction.state.log.replication.factor"):
            assert props[key] == "3", key
        assert props["min.insync.replicas"] == "2"
        assert props["allow.everyone.if.no.acl.found"] == "false"
        assert props["authorizer.class.name"].endswith("StandardAuthorizer")
        svc = services[name]
        assert any(str(p).endswith(f":{HOST + node - 1}") for p in svc["ports"]), name
        assert svc["image"] == services["kafka"]["image"]
        if node > 1:
            assert svc["profiles"] == ["cluster"], name
            (own,) = [s for s in svc["secrets"] if isinstance(s, dict)]
            assert own["target"] == "kafka-broker-properties"
            assert compose["secrets"][own["source"]]["file"].endswith(
                f"cluster-node-{node}.properties")
    assert compose["secrets"]["kafka-broker-properties"]["file"].endswith(
        "broker-${WIC_KAFKA_REPLICATION:-1}.properties")
    for name in ("init", *APP_SERVICES):
        assert env_of(services[name])["WIC_KAFKA_REPLICATION"] == "${WIC_KAFKA_REPLICATION:-1}"


def test_wic_secrets_writes_every_file_the_profiles_mount(tmp_path: Path) -> None:
    from infra.compose import write

    written = {p.name for p in write(tmp_path / "kafka")}
    assert {"broker-1.properties", "broker-3.properties", "cluster-node-2.properties",
            "cluster-node-3.properties", "server.properties", "scram-args"} <= written
    broker = tmp_path / "kafka-broker"
    assert "node.id=1" in (broker / "broker-3.properties").read_text()
    assert "controller.quorum.voters=1@kafka:9093\n" in (
        broker / "broker-1.properties").read_text()
