"""Deployment files: parsed and checked, since no Docker engine or cluster runs here."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_compose_runs_mongo_as_a_replica_set_and_waits_for_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    mongo = services["mongo"]
    assert mongo["image"] == "mongo:7"
    assert "--replSet" in mongo["command"] and "rs0" in mongo["command"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])
    assert "transactionLifetimeLimitSeconds=${TRANSACTION_LIFETIME_SECONDS:-8}" in mongo["command"]
    assert any(v.startswith("mongo-data:") for v in mongo["volumes"])
    assert "mongo-data" in compose["volumes"]

    for name in ("api", "worker"):
        service = services[name]
        assert service["build"] == "."
        assert service["depends_on"]["mongo"]["condition"] == "service_healthy"
        env = service["environment"]
        assert "replicaSet=rs0" in env["MONGODB_URL"]
        # Settings are interpolated from .env, with safe development defaults.
        assert env["SECRET_KEY"].startswith("${SECRET_KEY")
    assert services["api"]["environment"]["RUN_WORKER"] == "false"
    assert services["api"]["ports"] == ["${PORT:-8000}:8000"]
    assert services["worker"]["command"] == ["python", "-m", "ops.worker"]


@pytest.mark.process
@pytest.mark.skipif(not shutil.which("docker-compose"), reason="Debian's docker-compose absent")
def test_docker_compose_config_accepts_the_file():
    subprocess.run(["docker-compose", "config", "-q"], cwd=ROOT, check=True)


def test_dockerfile_is_multistage_non_root_with_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and all("python:3.11-slim" in s for s in stages)
    assert "COPY requirements.txt" in text.split("COPY --chown")[0]  # deps layer first
    assert "USER app" in text
    assert "HEALTHCHECK" in text and "/health" in text
    assert 'CMD ["gunicorn", "--config", "gunicorn.conf.py", "main:app"]' in text
    conf = (ROOT / "gunicorn.conf.py").read_text()
    assert 'worker_class = "uvicorn_worker.UvicornWorker"' in conf
    assert "WEB_CONCURRENCY" in conf and "graceful_timeout" in conf
    for path in ("requirements.txt", "main.py", "gunicorn.conf.py", "ops/worker.py"):
        assert (ROOT / path).exists(), path


def test_kubernetes_manifests():
    docs = {
        (d["kind"], d["metadata"]["name"]): d
        for f in sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
        for d in load_all(f)
    }
    api = docs[("Deployment", "cleero-api")]["spec"]
    assert api["replicas"] == 3
    container = api["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert {"secretRef": {"name": "cleero-secrets"}} in container["envFrom"]
    assert {"name": "RUN_WORKER", "value": "false"} in container["env"]
    assert ("Service", "cleero-api") in docs
    hpa = docs[("HorizontalPodAutoscaler", "cleero-api")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "cleero-api" and hpa["minReplicas"] >= 3
    worker = docs[("Deployment", "cleero-worker")]["spec"]["template"]["spec"]["containers"][0]
    assert worker["command"] == ["python", "-m", "ops.worker"]
    secret = docs[("Secret", "cleero-secrets")]
    assert {"SECRET_KEY", "MONGODB_URL", "ONESIGNAL_API_KEY"} <= set(secret["stringData"])


def test_env_example_names_every_setting():
    from config import Settings

    example = (ROOT / ".env.example").read_text()
    documented = {line.lstrip("# ").split("=")[0] for line in example.splitlines() if "=" in line}
    required = {
        "APP_ENV", "SECRET_KEY", "MONGODB_URL", "MONGODB_DB", "TEST_MONGODB_URL", "PORT",
        "APP_URL", "CORS_ORIGINS", "EMAIL_BACKEND", "MAIL_DIR", "EMAIL_FROM", "AWS_REGION",
        "STORAGE_BACKEND", "UPLOAD_DIR", "S3_BUCKET", "PUSH_BACKEND", "ONESIGNAL_APP_ID",
        "ONESIGNAL_API_KEY", "REMINDER_DAYS", "RUN_WORKER",
    }  # fmt: skip
    assert required <= documented
    assert {name.upper() for name in Settings.model_fields} >= required
