"""The container files agree with the server: command, port, probes, volume, key.

No container engine runs here; these checks parse every manifest and hold
each one against the real `textgen serve` command and the server's routes.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBE = DEPLOY / "kubernetes"


def serve_command():
    import typer

    from textgen.tui.cli import app

    return typer.main.get_command(app).commands["serve"]


def parse_serve(args: list[str]) -> dict:
    """What `textgen serve ARGS` would run with; fails on any option it does not know."""
    assert args[0] == "serve", args
    context = serve_command().make_context("textgen serve", list(args[1:]))
    return context.params


def dockerfile() -> dict:
    """Instructions of deploy/Dockerfile (continuation lines joined)."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            instructions.setdefault(word.upper(), []).append(rest.strip())
    return instructions


def kube(kind: str) -> dict:
    found = [doc for path in KUBE.glob("*.yaml") for doc in yaml.safe_load_all(path.read_text())
             if doc and doc.get("kind") == kind]
    assert len(found) == 1, kind
    return found[0]


def health_path() -> str:
    from textgen.server.config import HEALTH_PATH

    return HEALTH_PATH


@pytest.mark.parametrize("path", sorted(p.relative_to(DEPLOY).as_posix()
                                        for p in DEPLOY.rglob("*.y*ml")))
def test_every_manifest_parses(path):
    docs = [d for d in yaml.safe_load_all((DEPLOY / path).read_text()) if d is not None]
    assert docs
    for doc in docs:
        assert isinstance(doc, dict)
        if path.startswith("kubernetes/"):
            assert doc["apiVersion"] and doc["kind"]
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"]


def test_dockerfile_runs_serve_as_a_non_root_user_with_a_models_volume():
    steps = dockerfile()
    assert steps["USER"][-1] not in ("root", "0")
    assert "/models" in json.loads(steps["VOLUME"][-1])
    assert json.loads(steps["ENTRYPOINT"][-1]) == ["textgen"]
    params = parse_serve(json.loads(steps["CMD"][-1]))
    assert params["host"] == "0.0.0.0"
    assert [str(p) for p in params["models_dir"]] == ["/models"]
    assert steps["EXPOSE"] == [str(params["port"])]
    healthcheck = steps["HEALTHCHECK"][-1]
    assert f"127.0.0.1:{params['port']}{health_path()}" in healthcheck
    assert "playwright install" not in (DEPLOY / "Dockerfile").read_text()
    copied = {shlex.split(c)[0] for c in steps["COPY"] if not c.startswith("--from")}
    assert {"core", "train", "assistants", "tui", "server"} <= copied


def test_compose_matches_the_command_and_keeps_to_loopback():
    service = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]["textgen"]
    params = parse_serve(service["command"])
    assert service["command"] == json.loads(dockerfile()["CMD"][-1])
    host_ip, host_port, container_port = service["ports"][0].split(":")
    assert host_ip == "127.0.0.1" and int(container_port) == params["port"]
    assert any(v.endswith(":/models") for v in service["volumes"])
    assert "TEXTGEN_API_KEY" in service["environment"]
    assert f":{params['port']}{health_path()}" in " ".join(service["healthcheck"]["test"])


def test_kubernetes_deployment_service_and_volume_agree():
    from textgen.tui.commands.serve import API_KEY_ENV

    deployment = kube("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    params = parse_serve(container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": params["port"]}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] == health_path() and check["port"] == "http"
    requests = container["resources"]["requests"]
    assert requests["cpu"] and re.fullmatch(r"\d+(Mi|Gi)", requests["memory"])
    assert pod["securityContext"]["runAsNonRoot"] is True
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert [str(p) for p in params["models_dir"]] == [mounts["models"]]
    claim = next(v for v in pod["volumes"] if v["name"] == "models")
    assert claim["persistentVolumeClaim"]["claimName"] == kube("PersistentVolumeClaim")[
        "metadata"]["name"]
    env = {e["name"]: e for e in container["env"]}
    secret_ref = env[API_KEY_ENV]["valueFrom"]["secretKeyRef"]
    secret = kube("Secret")
    assert secret["metadata"]["name"] == secret_ref["name"]
    assert secret_ref["key"] in secret["stringData"]
    service = kube("Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["ports"][0]["port"] == params["port"]


def test_kustomization_lists_existing_files_but_not_the_example_secret():
    resources = kube("Kustomization")["resources"]
    assert all((KUBE / r).is_file() for r in resources)
    assert "secret.example.yaml" not in resources
