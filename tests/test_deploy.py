"""deploy/: the example config validates, the systemd unit verifies, the image runs the daemon."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from feedhub.config import load_config

from .conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_deploy_config_is_valid() -> None:
    config = load_config(DEPLOY / "feedhub.yaml")
    assert str(config.storage_path).startswith("/var/lib/feedhub/")
    assert str(config.output_path).startswith("/var/lib/feedhub/")


def test_systemd_unit(tmp_path: Path) -> None:
    unit = (DEPLOY / "feedhub.service").read_text()
    for line in (
        "User=feedhub",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ReadWritePaths=/var/lib/feedhub",
        "ExecStart=/opt/feedhub/bin/feedhub daemon --serve",
    ):
        assert line in unit, line
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart exists: point it at this environment's feedhub
    exe = shutil.which("feedhub") or str(Path(__import__("sys").executable).parent / "feedhub")
    if not Path(exe).exists():
        pytest.skip("no feedhub executable to stand in for /opt/feedhub/bin/feedhub")
    copy = tmp_path / "feedhub.service"
    copy.write_text(unit.replace("/opt/feedhub/bin/feedhub", exe))
    r = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_container_files() -> None:
    docker = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in docker
    assert "USER feedhub" in docker and "useradd --system" in docker
    assert "HEALTHCHECK" in docker and "/healthz" in docker
    assert '"daemon", "--serve"' in docker
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    service = compose["services"]["feedhub"]
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert "feedhub-state:/var/lib/feedhub" in service["volumes"]
