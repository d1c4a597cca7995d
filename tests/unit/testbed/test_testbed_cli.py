"""The testbed's own error paths: each must stop early with a message that says what to do."""
import os
import socket
import stat
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTBED = os.path.join(HERE, "..", "..", "testbed")


def run(args, env_overrides, path=None):
    env = dict(os.environ, **env_overrides)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(["/bin/bash", *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def fake_go(tmp_path, version):
    """A `go` on PATH that reports the given version and fails anything else."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    go = bindir / "go"
    go.write_text('#!/bin/sh\n[ "$1 $2" = "env GOVERSION" ] && { echo "go%s"; exit 0; }\nexit 3\n' % version)
    go.chmod(go.stat().st_mode | stat.S_IEXEC)
    return str(bindir)


def test_missing_go_is_named(tmp_path):
    bindir = tmp_path / "empty"
    bindir.mkdir()
    for tool in ("dirname", "sed", "sort", "head", "mkdir"):
        os.symlink(subprocess.check_output(["bash", "-c", "command -v " + tool], text=True).strip(), bindir / tool)
    result = run([os.path.join(TESTBED, "build.sh")], {"HOMELAB_IMMICH_CACHE": str(tmp_path)}, path=str(bindir))
    assert result.returncode == 1
    assert "Go is not installed" in result.stderr
    assert "Go >= 1.24" in result.stderr


def test_old_go_is_refused(tmp_path):
    path = fake_go(tmp_path, "1.21.5") + os.pathsep + os.environ["PATH"]
    result = run([os.path.join(TESTBED, "build.sh")], {"HOMELAB_IMMICH_CACHE": str(tmp_path)}, path=path)
    assert result.returncode == 1
    assert "Go 1.21.5 is too old" in result.stderr


def test_failed_build_names_component_and_log(tmp_path):
    result = run([os.path.join(TESTBED, "build.sh"), "helm"],
                 {"HOMELAB_IMMICH_CACHE": str(tmp_path), "HELM_VERSION": "v3.0.0-does-not-exist"})
    assert result.returncode == 1
    log = os.path.join(str(tmp_path), "logs", "helm-v3.0.0-does-not-exist.log")
    assert "building helm failed" in result.stderr
    assert log in result.stderr
    assert os.path.exists(log)


@pytest.fixture
def busy_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_port_in_use_is_named(tmp_path, busy_port):
    """A fresh testbed (own name and directory) must refuse a kube-apiserver port that is taken."""
    result = run([os.path.join(TESTBED, "testbed"), "up"], {
        "TESTBED_NAME": "homelab-immich-porttest",
        "TESTBED_DIR": str(tmp_path / "run"),
        "TESTBED_APISERVER_PORT": str(busy_port),
    })
    assert result.returncode == 1
    assert "port %d (kube-apiserver) is already in use" % busy_port in result.stderr
    assert "TESTBED_APISERVER_PORT" in result.stderr


def test_env_without_a_running_testbed_says_how_to_start(tmp_path):
    result = run([os.path.join(TESTBED, "testbed"), "env"], {"TESTBED_DIR": str(tmp_path / "none")})
    assert result.returncode == 1
    assert "make testbed-up" in result.stderr


def test_down_refuses_a_directory_it_did_not_make(tmp_path):
    """A mistyped TESTBED_DIR must not be deleted: `down` removes only what `up` made."""
    precious = tmp_path / "photos"
    precious.mkdir()
    (precious / "IMG_0001.jpg").write_bytes(b"irreplaceable")
    result = run([os.path.join(TESTBED, "testbed"), "down"], {"TESTBED_DIR": str(precious), "HOMELAB_IMMICH_CACHE": str(tmp_path / "cache")})
    assert result.returncode != 0
    assert "refusing to remove TESTBED_DIR=%s" % precious in result.stderr
    assert (precious / "IMG_0001.jpg").read_bytes() == b"irreplaceable"


def test_down_removes_a_directory_it_made(tmp_path):
    made = tmp_path / "run"
    made.mkdir()
    (made / ".homelab-immich-testbed").write_text("")
    result = run([os.path.join(TESTBED, "testbed"), "down"], {"TESTBED_DIR": str(made), "HOMELAB_IMMICH_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    assert not made.exists()


def test_up_refuses_a_foreign_directory(tmp_path):
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / ".bashrc").write_text("x")
    env = {"TESTBED_DIR": str(foreign), "HOMELAB_IMMICH_CACHE": str(tmp_path / "cache"), "TESTBED_PYTHON": "/bin/true"}
    result = run([os.path.join(TESTBED, "testbed"), "up"], env)
    assert result.returncode != 0
    assert "was not made by the testbed" in result.stderr or "choose another directory" in result.stderr
    assert (foreign / ".bashrc").exists()
