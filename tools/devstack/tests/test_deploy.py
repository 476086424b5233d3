"""deploy/k8s against the code: the gateway's route table, the services the dev stack runs,
the topics of listflow.schemas and each service's settings are the sources of truth; these
tests fail when a manifest drifts from them."""

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from listflow.devstack.gateway import ROUTES
from listflow.devstack.infra import REPO
from listflow.devstack.processes import SERVICES
from listflow.kit.settings import CommonSettings
from listflow.schemas import topics
from pydantic import SecretStr

K8S = REPO / "deploy" / "k8s"
COMPOSE = REPO / "docker-compose.yml"
COMPOSE_GATEWAY = REPO / "deploy" / "compose" / "nginx.conf"
CONSOLE_NGINX = REPO / "console" / "nginx" / "nginx.conf"
# Not applied (kustomization.yaml leaves it out on purpose): the shape of the Secrets.
SECRET_EXAMPLE = "secret.example.yaml"
# What the gateway serves at every path no service claims; in Kubernetes its own Deployment.
CONSOLE = "console"
APPS = [*SERVICES, CONSOLE]
OPTIONAL = SecretStr | None


def _documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open() as f:
        yield from (doc for doc in yaml.safe_load_all(f) if doc is not None)


@pytest.fixture(scope="module")
def manifests() -> dict[str, list[dict[str, Any]]]:
    """Every document of every YAML file of deploy/k8s, by file name."""
    return {path.name: list(_documents(path)) for path in sorted(K8S.glob("*.yaml"))}


def _applied(manifests: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        doc
        for name, docs in manifests.items()
        if name not in (SECRET_EXAMPLE, "kustomization.yaml")
        for doc in docs
    ]


def _of_kind(manifests: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _applied(manifests) if d["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _settings(service: str) -> type[CommonSettings]:
    settings: type[CommonSettings] = importlib.import_module(f"listflow.{service}.config").Settings
    return settings


def _env_name(field: str) -> str:
    return f"LISTFLOW_{field.upper()}"


def _http_port(app: str) -> int:
    """The port the code listens on: the service's setting, or the console's nginx.conf."""
    if app == CONSOLE:
        (port,) = re.findall(r"^\s*listen\s+(\d+)\s*;", CONSOLE_NGINX.read_text(), re.M)
        return int(port)
    return int(_settings(app).model_fields[f"{app}_http_port"].default)


def test_every_yaml_file_parses_into_named_kubernetes_objects(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    assert manifests, K8S
    for name, docs in manifests.items():
        assert docs, f"{name} holds no document"
        for doc in docs:
            assert {"apiVersion", "kind"} <= doc.keys(), name
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], name


@pytest.mark.parametrize("version", ["1.30", kubernetes_validate.latest_version()])
def test_every_object_is_valid_against_the_kubernetes_schemas(
    manifests: dict[str, list[dict[str, Any]]], version: str
) -> None:
    # Strict: a misspelt or misplaced field (readinessprobe, a probe under the pod) fails
    # here instead of being dropped by the API server. 1.30: the oldest release assumed.
    for docs in manifests.values():
        for doc in docs:
            if doc["kind"] != "Kustomization":
                kubernetes_validate.validate(doc, version, strict=True)


def test_kustomization_applies_every_manifest_but_the_secret_example(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    (kustomization,) = manifests["kustomization.yaml"]
    expected = set(manifests) - {"kustomization.yaml", SECRET_EXAMPLE}
    assert sorted(kustomization["resources"]) == sorted(expected)


def test_every_app_has_a_deployment_a_service_and_an_image(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    deployments = _of_kind(manifests, "Deployment")
    services = _of_kind(manifests, "Service")
    (kustomization,) = manifests["kustomization.yaml"]
    images = {image["name"] for image in kustomization["images"]}
    assert set(deployments) == {f"listflow-{app}" for app in APPS}
    assert set(services) == set(deployments)
    for app in APPS:
        name = f"listflow-{app}"
        pod = deployments[name]["spec"]["template"]
        assert deployments[name]["spec"]["selector"]["matchLabels"].items() <= (
            pod["metadata"]["labels"].items()
        ), name
        assert services[name]["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        assert _container(deployments[name])["image"] in images, name
    assert images == {_container(d)["image"] for d in deployments.values()}


@pytest.mark.parametrize("app", APPS)
def test_ports_match_what_the_code_listens_on(
    manifests: dict[str, list[dict[str, Any]]], app: str
) -> None:
    name = f"listflow-{app}"
    container = _container(_of_kind(manifests, "Deployment")[name])
    (service_port,) = _of_kind(manifests, "Service")[name]["spec"]["ports"]
    (container_port,) = container["ports"]
    port = _http_port(app)
    assert container_port == {"name": "http", "containerPort": port}
    assert service_port == {"name": "http", "port": port, "targetPort": "http"}
    if app != CONSOLE:
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env[_env_name(f"{app}_http_port")] == str(port)


def test_every_url_of_another_service_uses_its_port(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    values = [
        str(e.get("value"))
        for d in _of_kind(manifests, "Deployment").values()
        for e in _container(d).get("env", [])
    ]
    values += [str(v) for v in _of_kind(manifests, "ConfigMap")["listflow-config"]["data"].values()]
    found = [m for v in values for m in re.findall(r"http://listflow-([a-z]+):(\d+)", v)]
    assert found, "no service URL to check"
    for app, port in found:
        assert app in APPS and int(port) == _http_port(app), (app, port)


def test_the_ingress_routes_every_gateway_path_to_the_same_service(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    routed: dict[str, str] = {}
    hosts = set()
    for ingress in _of_kind(manifests, "Ingress").values():
        assert ingress["spec"]["ingressClassName"] == "nginx"
        for rule in ingress["spec"]["rules"]:
            hosts.add(rule["host"])
            for path in rule["http"]["paths"]:
                assert path["pathType"] == "Prefix", path["path"]
                assert path["backend"]["service"]["port"] == {"name": "http"}
                assert path["path"] not in routed, f"{path['path']} routed twice"
                routed[path["path"]] = path["backend"]["service"]["name"]
    expected = {prefix: f"listflow-{service}" for prefix, service in ROUTES.items()}
    # The gateway serves the console at every path no service claims.
    expected["/"] = f"listflow-{CONSOLE}"
    assert routed == expected
    assert len(hosts) == 1, "one public base URL, as the gateway's"


def _ingress_for(manifests: dict[str, list[dict[str, Any]]], prefix: str) -> dict[str, Any]:
    (ingress,) = [
        i
        for i in _of_kind(manifests, "Ingress").values()
        if any(p["path"] == prefix for r in i["spec"]["rules"] for p in r["http"]["paths"])
    ]
    return ingress


def _bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()  # type: ignore[union-attr]
    return int(number) * 1024 ** " kmg".index(unit or " ")


def test_the_upload_route_takes_the_largest_upload_ingest_accepts_and_streams_events(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    annotations = _ingress_for(manifests, "/v1/uploads")["metadata"]["annotations"]
    body = _bytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    assert body >= _settings("ingest").model_fields["ingest_max_upload_bytes"].default
    assert annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
    # /v1/uploads/{id}/events is server-sent events.
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"


def _created_topics(script: str) -> set[tuple[str, int]]:
    """The (name, partitions) a topics script's here-document lists."""
    listed = re.search(r"<<'TOPICS'\n(.*?)\n\s*TOPICS\n", script, re.S)
    assert listed, "the script's topic list"
    return {
        (name, int(partitions))
        for name, partitions in (line.split() for line in listed.group(1).splitlines())
    }


def _declared_topics() -> set[tuple[str, int]]:
    declared = [v for v in vars(topics).values() if isinstance(v, topics.TopicSpec)]
    assert set(declared) == set(topics.ALL_TOPICS), "a TopicSpec missing from ALL_TOPICS"
    return {(spec.name, spec.partitions) for spec in topics.ALL_TOPICS}


def test_the_topics_job_creates_every_topic_with_its_partitions(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    (job,) = _of_kind(manifests, "Job").values()
    (script,) = _container(job)["args"]
    assert _created_topics(script) == _declared_topics()
    # Each one's .dlq twin is made by the loop, as the dev stack's ensure_topics does.
    assert 'create "$name.dlq" 1' in script


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE.open() as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


def test_compose_runs_every_app_on_its_port_and_creates_every_topic(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for app in SERVICES:
        assert services[app]["build"]["args"] == {"SERVICE": app, "PORT": _http_port(app)}
        assert services[app]["environment"][_env_name(f"{app}_http_port")] == _http_port(app)
    assert services[CONSOLE]["build"]["context"] == "./console"
    (script,) = services["topics"]["command"]
    assert _created_topics(script) == _declared_topics()


def _compose_gateway_target(path: str) -> str:
    """The app compose's nginx sends `path` to: the first regex location that matches (nginx
    tries them in order), else `location /`."""
    conf = COMPOSE_GATEWAY.read_text()
    for regex, app in re.findall(r"location ~ (\S+) \{[^}]*?proxy_pass http://\$(\w+);", conf):
        if re.search(regex, path):
            return str(app)
    (fallback,) = re.findall(r"location / \{[^}]*?proxy_pass http://\$(\w+);", conf)
    return str(fallback)


def test_the_compose_gateway_routes_every_gateway_path_to_the_same_app() -> None:
    conf = COMPOSE_GATEWAY.read_text()
    upstreams = dict(re.findall(r"set \$(\w+)\s+([\w.-]+:\d+);", conf))
    assert upstreams == {app: f"{app}:{_http_port(app)}" for app in APPS}
    for prefix, service in ROUTES.items():
        for path in (prefix, f"{prefix}/x", f"{prefix}/x/y"):
            assert _compose_gateway_target(path) == service, path
        # A longer name is not the prefix: the gateway matches whole segments.
        assert _compose_gateway_target(f"{prefix}x") == CONSOLE, prefix
    assert _compose_gateway_target("/uploads/abc") == CONSOLE


def _secret_example_keys(manifests: dict[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
    return {d["metadata"]["name"]: set(d["stringData"]) for d in manifests[SECRET_EXAMPLE]}


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_setting_a_manifest_names_exists_and_secrets_come_only_from_secrets(
    manifests: dict[str, list[dict[str, Any]]], service: str
) -> None:
    settings = _settings(service).model_fields
    known = {_env_name(field) for field in settings}
    # Credentials are SecretStr settings; those without None are required outside local runs.
    secret = {_env_name(f) for f, i in settings.items() if i.annotation in (SecretStr, OPTIONAL)}
    required = {_env_name(f) for f, i in settings.items() if i.annotation is SecretStr}
    config = _of_kind(manifests, "ConfigMap")["listflow-config"]["data"]
    examples = _secret_example_keys(manifests)
    container = _container(_of_kind(manifests, "Deployment")[f"listflow-{service}"])

    from_secrets: set[str] = set()
    for source in container["envFrom"]:
        if "secretRef" in source:
            from_secrets |= examples[source["secretRef"]["name"]]
        else:
            assert source["configMapRef"]["name"] == "listflow-config"
    for env in container.get("env", []):
        assert env["name"] in known, f"{service} has no setting {env['name']}"
        if ref := env.get("valueFrom", {}).get("secretKeyRef"):
            assert ref["key"] in examples[ref["name"]], f"{ref} not in {SECRET_EXAMPLE}"
            from_secrets.add(env["name"])
        else:
            assert env["name"] not in secret, f"{env['name']} written in the manifest"
    assert not secret & set(config), "a secret in the ConfigMap"
    # Every credential the service refuses to start without outside local runs.
    assert required <= from_secrets, required - from_secrets


def test_every_configmap_entry_is_a_setting_of_some_service(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    known = {_env_name(f) for service in SERVICES for f in _settings(service).model_fields}
    config = _of_kind(manifests, "ConfigMap")["listflow-config"]["data"]
    assert set(config) <= known, set(config) - known
    secrets = {key for keys in _secret_example_keys(manifests).values() for key in keys}
    assert secrets <= known, secrets - known


@pytest.mark.parametrize("app", APPS)
def test_every_app_is_probed_restricted_and_kept_available_in_drains(
    manifests: dict[str, list[dict[str, Any]]], app: str
) -> None:
    name = f"listflow-{app}"
    deployment = _of_kind(manifests, "Deployment")[name]
    container = _container(deployment)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert {"requests", "limits"} <= container["resources"].keys()
    pdb = _of_kind(manifests, "PodDisruptionBudget")[name]
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    hpas = _of_kind(manifests, "HorizontalPodAutoscaler").values()
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in hpas}
    # An HPA owns the count of what it scales; a fixed count elsewhere keeps two for drains.
    if name in scaled:
        assert "replicas" not in deployment["spec"]
    else:
        assert deployment["spec"]["replicas"] >= 2
