"""Fixtures for the TrueNAS client, module and role tests: an emulator per test, modules run in-process."""
import contextlib
import io
import json
import subprocess

import pytest

from ansible.module_utils.testing import patch_module_args
from tests.emulators.truenas import start_emulator

API_KEY = '1-unit-test-key-3d9f0a'


@pytest.fixture
def make_emulator():
    """Factory: ``make_emulator(version="25.10", **kwargs)`` -> started emulator, stopped after the test."""
    started = []

    def factory(version='25.10', **kwargs):
        kwargs.setdefault('api_key', API_KEY)
        kwargs.setdefault('job_seconds', 0.2)
        emulator = start_emulator(version=version, **kwargs)
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator):
    return make_emulator('25.10')


def connection_args(emulator, **overrides):
    args = dict(host='127.0.0.1', port=emulator.port, scheme='ws', api_key=API_KEY, timeout=15)
    args.update(overrides)
    return args


def run_module(module, args, check_mode=False, diff=False):
    """Run ``module.main()`` in-process; returns (result dict, raw stdout)."""
    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        module.main()
    raw = out.getvalue()
    return json.loads(raw), raw


@pytest.fixture(scope='session')
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (cert, key)."""
    folder = tmp_path_factory.mktemp('tls')
    cert, key = folder / 'cert.pem', folder / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', str(key), '-out', str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)
