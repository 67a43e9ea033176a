"""No Docker engine runs here: the compose file is checked by parsing it."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_has_the_stack_with_health_checks_and_volumes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert "healthcheck" in services[name], name
        assert services[name]["healthcheck"]["test"], name
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}
    assert any("pgdata" in v for v in services["postgres"]["volumes"])


def test_readme_documents_the_two_commands_and_the_environment():
    readme = (ROOT / "README.md").read_text()
    for needle in (
        "make run",
        "make test",
        "DATABASE_URL",
        "REDIS_URL",
        "docker compose",
        "admin",
        "manager",
        "rep",
    ):
        assert needle in readme, needle


def test_ci_script_starts_services_and_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    for needle in (
        "postgresql",
        "redis-server",
        "chromium",
        "gettext",
        "REQUIRE_BROWSER=1",
        "make lint",
        "make test",
    ):
        assert needle in script, needle
