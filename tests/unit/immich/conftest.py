"""Fixtures for the Immich client, module and emulator tests.

- ``immich``: the backend a module test runs against, one test per backend in IMMICH_TEST_BACKENDS
  (``emulator``, ``real-2.5.5``, ``real-3.1.0``; see backends.py), with an admin and an admin API key
  unless the test is marked ``no_admin``; its import paths hold real media (``media`` fixture).
- ``make_emulator`` / ``emulator``: the emulator alone, for emulator-only tests (fault injection,
  versions no real server here runs, the emulator's own behaviour).
"""

import os
import socket

import pytest

from ansible_collections.homelab.immich.plugins.module_utils import immich as immich_utils
from backends import EmulatorBackend, RealBackend, selected
from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, PHOTO_FILES
from tests.emulators.immich import start_emulator
from tests.upstream.immich import build, media as upstream_media


def pytest_configure(config):
    config.addinivalue_line('markers', 'no_admin: the backend starts without any user (no admin, no API key)')


def pytest_generate_tests(metafunc):
    if 'immich' in metafunc.fixturenames:
        metafunc.parametrize('immich', selected(), indirect=True)


class MediaTree(object):
    """Real media under <tmp>/photos (as media.make_photos writes it) and one JPEG under <tmp>/more."""

    def __init__(self, root):
        pillow = build.pillow()
        self.photos = os.path.join(root, 'photos')
        self.more = os.path.join(root, 'more')
        self.assets = upstream_media.make_photos(self.photos, pillow)
        os.makedirs(self.more)
        upstream_media.write_jpeg(os.path.join(self.more, 'e.jpg'), pillow, (1, 2, 3))

    def expected(self, where=None):
        """Library statistics a scan of `photos` must report, for the assets under `where` (default all)."""
        names = [n for n in self.assets if where is None or where(n)]
        videos = [n for n in names if n.endswith('.mp4')]
        return {'photos': len(names) - len(videos), 'videos': len(videos), 'total': len(names),
                'usage': sum(os.path.getsize(os.path.join(self.photos, n)) for n in names)}


@pytest.fixture
def media(tmp_path):
    return MediaTree(str(tmp_path / 'media'))


@pytest.fixture
def immich(request, media):
    """The module-test backend (parametrised by pytest_generate_tests)."""
    admin = request.node.get_closest_marker('no_admin') is None
    if request.param == 'emulator':
        emulator = start_emulator(version='2.5.5', mounts={'/mnt/photos': media.photos, '/mnt/more': media.more},
                                  job_interval=0.01)[0]
        if admin:
            emulator.create_user(ADMIN_EMAIL, ADMIN_PASSWORD, 'Admin', is_admin=True)
            emulator.admin_key = emulator.create_api_key(ADMIN_EMAIL)
        yield EmulatorBackend(emulator)
        emulator.stop()
        return
    backend = RealBackend(request.param[len('real-'):], media.photos, media.more)
    backend.reset()
    if admin:
        backend.bootstrap_admin()
    yield backend
    backend.settle()
    backend.stop()


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
