"""Verify step (testinfra): the TrueNAS emulator of the testbed holds the export converge made.

Reads the emulator from TRUENAS_EMULATOR_URL (``tests/testbed/testbed env`` exports it) and the key from
TRUENAS_API_KEY (else TESTBED_TRUENAS_API_KEY, else the testbed default). The expected path and networks
come from inventories/local, the inventory converge used.
"""
import json
import os

import pytest
import yaml
from websockets.sync.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE_VARS = os.path.join(ROOT, 'inventories', 'local', 'group_vars', 'all', 'truenas_nfs_export.yml')


@pytest.fixture(scope='module')
def expected():
    with open(ROLE_VARS, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope='module')
def nas():
    """``nas(method, *params)`` over one logged-in JSON-RPC session with the emulator."""
    url = os.environ.get('TRUENAS_EMULATOR_URL')
    if not url:
        pytest.fail('TRUENAS_EMULATOR_URL is not set: run the verify step with the testbed env '
                    '(eval "$(tests/testbed/testbed env)")')
    api_key = os.environ.get('TRUENAS_API_KEY') or os.environ.get('TESTBED_TRUENAS_API_KEY') or '1-testbed-truenas-api-key'
    with connect(url, open_timeout=10) as ws:
        counter = iter(range(1, 1000))

        def call(method, *params):
            request_id = next(counter)
            ws.send(json.dumps({'jsonrpc': '2.0', 'id': request_id, 'method': method, 'params': list(params)}))
            answer = json.loads(ws.recv(timeout=10))
            assert 'error' not in answer, '%s failed: %s' % (method, answer['error'])
            return answer['result']

        assert call('auth.login_with_api_key', api_key) is True, 'the emulator refused the API key'
        yield call


def test_share_exists_read_only_for_the_cluster_network(nas, expected):
    shares = nas('sharing.nfs.query', [['path', '=', expected['truenas_nfs_export_path']]])
    assert len(shares) == 1, shares
    share = shares[0]
    assert share['ro'] is True
    assert share['enabled'] is True
    assert sorted(share['networks']) == sorted(expected['truenas_nfs_export_networks'])
    assert share['hosts'] == []
    assert not share['mapall_user'] and not share['maproot_user']


def test_nfs_service_runs_and_starts_at_boot(nas):
    service = nas('service.query', [['service', '=', 'nfs']])[0]
    assert (service['state'], service['enable']) == ('RUNNING', True)


def test_nfsv4_is_served(nas):
    assert 'NFSV4' in nas('nfs.config')['protocols']


def test_emulator_state_agrees(nas, expected):
    # emulator.* is the emulator's test-only interface, not TrueNAS.
    state = nas('emulator.state')
    paths = [share['path'] for share in state['shares']]
    assert paths.count(expected['truenas_nfs_export_path']) == 1
