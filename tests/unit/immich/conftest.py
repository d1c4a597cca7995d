"""Fixtures for the Immich client, module and emulator tests: a fresh emulator per test on a free port
and a small photos tree mounted at /mnt/photos (and /mnt/more)."""

import socket

import pytest

from ansible_collections.homelab.immich.plugins.module_utils import immich as immich_utils
from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, PHOTO_FILES
from tests.emulators.immich import start_emulator


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No stray IMMICH_URL / IMMICH_API_KEY from the caller's shell."""
    monkeypatch.delenv('IMMICH_URL', raising=False)
    monkeypatch.delenv('IMMICH_API_KEY', raising=False)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """Tiny backoff so retry tests take milliseconds."""
    monkeypatch.setattr(immich_utils.ImmichClient, 'backoff', 0.01)


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / 'photos'
    for name, size in PHOTO_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'x' * size)
    (tmp_path / 'more').mkdir()
    (tmp_path / 'more' / 'e.jpg').write_bytes(b'y' * 5)
    return tmp_path


@pytest.fixture
def make_emulator(photos):
    """Factory: make_emulator(version='2.5.5', admin=True, **kwargs) -> emulator (stopped after the test)."""
    started = []

    def factory(version='2.5.5', admin=True, mounts=None, **kwargs):
        if mounts is None:
            mounts = {'/mnt/photos': str(photos / 'photos'), '/mnt/more': str(photos / 'more')}
        kwargs.setdefault('job_interval', 0.01)
        emulator = start_emulator(version=version, mounts=mounts, **kwargs)[0]
        started.append(emulator)
        if admin:
            emulator.create_user(ADMIN_EMAIL, ADMIN_PASSWORD, 'Admin', is_admin=True)
            emulator.admin_key = emulator.create_api_key(ADMIN_EMAIL)
        return emulator

    yield factory
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator):
    """Immich 2.5.5 with an admin and an admin API key (``emulator.admin_key``)."""
    return make_emulator()


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
