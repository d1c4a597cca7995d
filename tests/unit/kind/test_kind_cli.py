"""tests/kind/kind's error paths: each stops early, says what failed and where its log is.

Run against a cache directory of their own, so a running kind cluster is neither seen nor touched. The
Docker-engine case needs root and Debian's docker.io already installed (it must not install packages).
"""
import os
import shutil
import stat
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
KIND = os.path.join(HERE, "..", "..", "kind", "kind")


def run(args, env_overrides, path=None):
    env = dict(os.environ, **env_overrides)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(["/bin/bash", KIND, *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_too_little_disk_is_refused_before_anything(tmp_path):
    result = run(["up"], {"HOMELAB_IMMICH_CACHE": str(tmp_path), "KIND_MIN_FREE_GB": "1000000"})
    assert result.returncode == 1
    assert "GB free under %s/kind" % tmp_path in result.stderr
    assert "at least 1000000 GB" in result.stderr
    assert not (tmp_path / "kind" / "state").exists()


def test_unknown_command_prints_usage():
    result = run(["sideways"], {})
    assert result.returncode == 2
    assert "usage:" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("dpkg-query") is None
                    or subprocess.run(["dpkg-query", "-W", "docker.io"], capture_output=True, check=False).returncode,
                    reason="needs root and Debian's docker.io installed")
def test_docker_engine_that_does_not_start_names_its_log(tmp_path):
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    dockerd = fakebin / "dockerd"
    dockerd.write_text("#!/bin/sh\necho 'failed to start daemon: fake failure for the test' >&2\nexit 1\n")
    dockerd.chmod(dockerd.stat().st_mode | stat.S_IEXEC)
    result = run(["up"], {"HOMELAB_IMMICH_CACHE": str(tmp_path / "cache")},
                 path=str(fakebin) + os.pathsep + os.environ["PATH"])
    log = tmp_path / "cache" / "logs" / "kind" / "dockerd.log"
    assert result.returncode == 1
    assert "the Docker engine did not start; its log is %s" % log in result.stderr
    assert "fake failure for the test" in result.stderr
    down = run(["down"], {"HOMELAB_IMMICH_CACHE": str(tmp_path / "cache")})
    assert down.returncode == 0, down.stderr
