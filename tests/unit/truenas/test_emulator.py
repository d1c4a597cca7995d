"""The emulator itself: CLI, persistence, request log masking, test-only namespace, release differences."""
import json
import os
import signal
import subprocess
import sys

import pytest
from websockets.sync.client import connect

from tests.emulators.truenas import start_emulator

from .conftest import API_KEY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def rpc(url, method, *params, login=None):
    with connect(url) as ws:
        if login:
            ws.send(json.dumps({'jsonrpc': '2.0', 'id': 0, 'method': 'auth.login_with_api_key', 'params': [login]}))
            assert json.loads(ws.recv())['result'] is True
        ws.send(json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': method, 'params': list(params)}))
        return json.loads(ws.recv())


def test_cli_serves_until_sigterm_and_persists_state(tmp_path):
    state = tmp_path / 'nas.json'
    command = [sys.executable, '-m', 'tests.emulators.truenas', '--port', '0', '--version', '26.0',
               '--api-key', API_KEY, '--state', str(state)]
    for run in range(2):
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline()
            assert line.startswith('truenas-emulator ready url=ws://127.0.0.1:') and 'TrueNAS-26.0.0-BETA.3' in line
            url = line.split('url=')[1].split()[0]
            if run == 0:
                created = rpc(url, 'sharing.nfs.create', {'path': '/mnt/BigTank/photos/All'}, login=API_KEY)
                assert created['result']['id'] == 1
            else:  # the share survived the restart
                assert [s['path'] for s in rpc(url, 'emulator.state')['result']['shares']] == ['/mnt/BigTank/photos/All']
                # private in 26.0 (plugins/service.py TS-26.0.0-BETA.3): reachable, but without an argument model
                error = rpc(url, 'service.start', 'nfs', login=API_KEY)['error']
                assert error['code'] == -32001 and error['data']['errname'] == 'EINVAL'
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
            process.stdout.close()


def test_log_masks_secrets_and_flags_writes():
    emulator = start_emulator(api_key=API_KEY)
    try:
        rpc(emulator.url, 'sharing.nfs.query', login=API_KEY)
        log = rpc(emulator.url, 'emulator.requests')['result']  # readable by other processes too
        assert [(e['method'], e['params'], e['write']) for e in log] == [
            ('auth.login_with_api_key', ['********'], False), ('sharing.nfs.query', [], False)]
        assert API_KEY not in json.dumps(log)
    finally:
        emulator.stop()


def test_faults_via_test_namespace():
    emulator = start_emulator(api_key=API_KEY)
    try:
        rpc(emulator.url, 'emulator.faults', {'fail': [{'method': 'nfs.config', 'errno': 5, 'message': 'disk on fire'}]})
        error = rpc(emulator.url, 'nfs.config', login=API_KEY)['error']
        assert error['code'] == -32001 and error['data']['reason'] == '[EIO] disk on fire'
        assert 'result' in rpc(emulator.url, 'nfs.config', login=API_KEY)  # count was 1
    finally:
        emulator.stop()


# 26.0 (plugins/service.py TS-26.0.0-BETA.3): service.start is @private, still reachable; without an argument
# model its options get no defaults, so {} fails (KeyError 'timeout') and only complete options work.
@pytest.mark.parametrize('version,control,start', [('25.04', False, True), ('25.10', True, True), ('26.0', True, False)])
def test_service_methods_per_release(version, control, start):
    emulator = start_emulator(version=version, api_key=API_KEY)
    try:
        answer = rpc(emulator.url, 'service.control', 'START', 'nfs', {}, login=API_KEY)
        assert ('result' in answer) is control  # a job id
        answer = rpc(emulator.url, 'service.start', 'nfs', {}, login=API_KEY)
        assert ('result' in answer) is start
        if version == '26.0':
            assert answer['error']['data']['reason'] == "'timeout'"
            complete = {'ha_propagate': True, 'silent': False, 'timeout': 120}
            assert rpc(emulator.url, 'service.start', 'nfs', complete, login=API_KEY)['result'] is True
    finally:
        emulator.stop()


def test_export_conflict_on_same_path_and_network():
    emulator = start_emulator(api_key=API_KEY)
    try:
        share = {'path': '/mnt/BigTank/photos/All', 'networks': ['192.168.10.0/24']}
        assert 'result' in rpc(emulator.url, 'sharing.nfs.create', share, login=API_KEY)
        error = rpc(emulator.url, 'sharing.nfs.create', share, login=API_KEY)['error']
        assert error['code'] == -32602
        assert ['sharingnfs_create.networks',
                'ERROR - Another NFS share already exports /mnt/BigTank/photos/All for network 192.168.10.0/24',
                22] in error['data']['extra']
        other_client = {'path': '/mnt/BigTank/photos/All', 'hosts': ['10.9.9.9'], 'networks': []}
        assert 'result' in rpc(emulator.url, 'sharing.nfs.create', other_client, login=API_KEY)  # no overlap: fine
    finally:
        emulator.stop()


def test_rate_limit_and_key_status_via_test_namespace_and_cli_flags(tmp_path):
    """The testbed's emulator runs in its own process: the rate limit is set by CLI flags and read or reset
    through emulator.rate_limit / emulator.clear_rate_limit; emulator.api_key_status sets the key's state."""
    command = [sys.executable, '-m', 'tests.emulators.truenas', '--port', '0', '--version', '25.10',
               '--api-key', API_KEY, '--rate-limit-calls', '2', '--rate-limit-stall', '0', '0']
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split('url=')[1].split()[0]
        for dummy in range(2):
            assert 'result' in rpc(url, 'core.ping')  # unauthenticated from 25.10 on, so counted
        assert rpc(url, 'core.ping')['error']['data']['reason'] == '[EBUSY] Rate Limit Exceeded'
        assert [entry['num_times_called'] for entry in rpc(url, 'emulator.rate_limit')['result'].values()] == [3]
        assert rpc(url, 'emulator.clear_rate_limit')['result'] is True
        assert rpc(url, 'core.ping')['result'] == 'pong'
        assert rpc(url, 'emulator.api_key_status', 'EXPIRED')['result'] == 'EXPIRED'
        answer = rpc(url, 'auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'admin', 'api_key': API_KEY})
        assert answer['result'] == {'response_type': 'EXPIRED'}
        assert rpc(url, 'emulator.api_key_status', 'BOGUS')['error']['code'] == -32602
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        process.stdout.close()
