"""The emulator's release matrix (25.04, 25.10, 26.0): one test per rule, each citing the truenas/middleware
file (under src/middlewared/middlewared/) and the tags it was read at. These talk JSON-RPC to the emulator
directly, so they pin what the emulator does; that it matches upstream rests on the cited reading."""
import json
import time

import pytest
from websockets.sync.client import connect

from .conftest import API_KEY

RELEASES = ('25.04', '25.10', '26.0')
PATH = '/mnt/BigTank/photos/All'


class Session:
    """One WebSocket session; ``login()`` with login_with_api_key, ``call()`` returns the raw answer."""

    def __init__(self, emulator):
        self.ws = connect(emulator.url).__enter__()  # managed here; close() ends it
        self.seq = 0

    def call(self, method, *params):
        self.seq += 1
        self.ws.send(json.dumps({'jsonrpc': '2.0', 'id': self.seq, 'method': method, 'params': list(params)}))
        while True:
            answer = json.loads(self.ws.recv(timeout=30))
            if answer.get('id') == self.seq:
                return answer

    def login(self):
        assert self.call('auth.login_with_api_key', API_KEY)['result'] is True
        return self

    def result(self, method, *params):
        answer = self.call(method, *params)
        assert 'result' in answer, answer
        return answer['result']

    def close(self):
        self.ws.close()


@pytest.fixture
def nas(make_emulator):
    """``nas(version, **emulator_kwargs)`` -> a logged-in Session on a fresh emulator of that release."""
    sessions = []

    def factory(version, login=True, **kwargs):
        emulator = make_emulator(version, **kwargs)
        session = Session(emulator)
        sessions.append(session)
        session.emulator = emulator
        return session.login() if login else session

    yield factory
    for session in sessions:
        session.close()


# utils/__init__.py sw_info() at TS-25.04.0, TS-25.10.0, TS-26.0.0-BETA.3: fullname = f'{BRAND}-{version}',
# BRAND = 'TrueNAS' -- 25.04 already reads "TrueNAS-25.04.x", not "TrueNAS-SCALE-...".
@pytest.mark.parametrize('version,expected', [
    ('25.04', 'TrueNAS-25.04.2.6'), ('25.10', 'TrueNAS-25.10.1'), ('26.0', 'TrueNAS-26.0.0-BETA.3'),
    ('25.10.6', 'TrueNAS-25.10.6'),
])
def test_system_version_string(nas, version, expected):
    assert nas(version).result('system.version') == expected


def test_there_is_no_26_04(make_emulator):
    # git tags of truenas/middleware: TS-25.10.x is followed by TS-26.0.0-BETA.1..3 (api/v26_0_0), no 26.04.
    with pytest.raises(ValueError, match='the release after 25.10 is 26.0, not 26.04'):
        make_emulator('26.04')


# plugins/nfs_/validators.py sanitize_networks: no all-networks rule at TS-25.04.2.6; from TS-25.10.0 (unchanged
# to TS-26.0.0-BETA.3) any network whose address is 0 is refused, and the message names the loop variable `v`,
# i.e. the LAST entry of the list.
@pytest.mark.parametrize('version', RELEASES)
@pytest.mark.parametrize('networks,named', [
    (['0.0.0.0/0'], '0.0.0.0/0'),
    (['0.0.0.0/8'], '0.0.0.0/8'),
    (['::/0'], '::/0'),
    (['0.0.0.0/8', '192.168.10.0/24'], '192.168.10.0/24'),  # upstream names the last entry, not the culprit
])
def test_all_networks_rule(nas, version, networks, named):
    answer = nas(version).call('sharing.nfs.create', {'path': PATH, 'networks': networks})
    if version == '25.04':
        assert 'result' in answer, answer
        return
    assert answer['error']['code'] == -32602
    assert answer['error']['data']['extra'] == [[
        'sharingnfs_create.networks',
        f"Do not use {named} to represent all-networks.  No entry is required to configure 'allow everybody'.  "
        f"Please remove {named}.", 22]]


# plugins/nfs_/validators.py sanitize_hosts: the all-hosts rule (an address of all zeros) from TS-25.10.0 on.
@pytest.mark.parametrize('version', RELEASES)
def test_all_hosts_rule(nas, version):
    answer = nas(version).call('sharing.nfs.create', {'path': PATH, 'hosts': ['0.0.0.0']})
    if version == '25.04':
        assert 'result' in answer, answer
        return
    assert answer['error']['data']['extra'] == [[
        'sharingnfs_create.hosts', "Do not use 0.0.0.0 to represent all-hosts.  No entry is required to configure "
        "'allow everybody'.  Please remove 0.0.0.0 or replace with '*'.", 22]]


# api/v25_04_0/nfs.py: networks and hosts carry Field(max_length=42) (MAX_NUM_NFS_NETWORKS/HOSTS);
# api/v25_10_0/nfs.py dropped the limit (plugins/nfs.py TS-25.10.1 only raises an alert from 100 entries).
@pytest.mark.parametrize('version', RELEASES)
def test_42_entry_limit_only_on_25_04(nas, version):
    networks = ['10.%d.0.0/16' % index for index in range(43)]
    answer = nas(version).call('sharing.nfs.create', {'path': PATH, 'networks': networks})
    if version == '25.04':
        assert answer['error']['data']['extra'] == [
            ['data.networks', 'List should have at most 42 items after validation, not 43', 22]]
    else:
        assert len(answer['result']['networks']) == 43


# api/v26_0_0/nfs.py SharingNFSEntry: dataset, relative_path and tier appear in 26.0 (excluded from create);
# api/v25_10_0/nfs.py and v25_04_0/nfs.py have none of them.
@pytest.mark.parametrize('version', RELEASES)
def test_dataset_fields_only_in_26_0(nas, version):
    session = nas(version)
    share = session.result('sharing.nfs.create', {'path': PATH})
    has_fields = version == '26.0'
    assert all((key in share) is has_fields for key in ('dataset', 'relative_path', 'tier'))
    if has_fields:
        assert (share['dataset'], share['relative_path'], share['tier']) == ('BigTank/photos', 'All', None)
        refused = session.call('sharing.nfs.create', {'path': '/mnt/BigTank/photos', 'dataset': 'BigTank/photos'})
        assert refused['error']['data']['extra'] == [['data.dataset', 'Extra inputs are not permitted', 22]]


# plugins/nfs.py validate_share_networks (TS-25.04.2.6 .. TS-26.0.0-BETA.3): a network whose address is a
# resolved host name of a share is refused.
def test_resolved_hostname_duplicate_address(nas):
    session = nas('25.10')
    answer = session.call('sharing.nfs.create', {'path': PATH, 'hosts': ['immich-node1.lan'],
                                                 'networks': ['192.168.10.21/32']})
    assert ['sharingnfs_create.networks',
            "ERROR - Resolved hostname to duplicate address: host 'immich-node1.lan' resolves to '192.168.10.21/32'",
            22] in answer['error']['data']['extra']


# plugins/nfs.py NFSService.do_update: raise ValidationError('nfs_update.protocols', ...) -- a single
# ValidationError, whose errno defaults to EINVAL (service_exception.py, all three tags).
@pytest.mark.parametrize('version', RELEASES)
def test_empty_protocols_is_einval(nas, version):
    error = nas(version).call('nfs.update', {'protocols': []})['error']
    assert error['code'] == -32602 and error['data']['errname'] == 'EINVAL'
    assert error['data']['extra'] == [['nfs_update.protocols',
                                       'Must specify at least one value ("NFSV3", "NFSV4") in the "protocols" list.', 22]]


# plugins/service.py: control() (a job) from TS-25.10.0; start() public at TS-25.04.2.6 and TS-25.10.6
# (removed_in="v26.04" there), @private at TS-26.0.0-BETA.3 -- still reachable (ws_handler/rpc.py only logs a
# warning), but without an argument model, so its options get no defaults.
@pytest.mark.parametrize('version,control,start_empty_options', [
    ('25.04', False, True), ('25.10', True, True), ('26.0', True, False)])
def test_service_verbs(nas, version, control, start_empty_options):
    session = nas(version)
    answer = session.call('service.control', 'START', 'nfs', {})
    assert ('result' in answer) is control
    if not control:
        assert answer['error'] == {'code': -32601, 'message': 'Method does not exist'}
    answer = session.call('service.start', 'nfs', {})
    assert ('result' in answer) is start_empty_options
    complete = {'ha_propagate': True, 'silent': True, 'timeout': 120}
    answer = session.call('service.stop', 'nfs', complete)
    if version == '25.04':  # its legacy @accepts Dict has no timeout
        assert answer['error']['data']['extra'] == [['service-control.timeout', 'Field was not expected', 22]]
    else:
        assert answer['result'] is True


# plugins/service.py object(): raise MatchNotFound(name) -- not a CallError, so rpc.py sends errno EINVAL with
# reason str(exc), the bare name; in a job, job.py __encode__ gives exc_info type 'MatchNotFound', errno None.
def test_unknown_service_is_matchnotfound(nas):
    session = nas('25.04')
    error = session.call('service.start', 'nfsd', {})['error']
    assert error['code'] == -32001 and error['data']['errname'] == 'EINVAL' and error['data']['reason'] == 'nfsd'
    session = nas('25.10')
    job_id = session.result('service.control', 'START', 'nfsd', {})
    session.emulator.api.finish_all_jobs()
    job = session.result('core.get_jobs', [['id', '=', job_id]])[0]
    assert job['state'] == 'FAILED' and job['error'] == 'nfsd'
    assert job['exc_info'] == {'repr': "MatchNotFound('nfsd')", 'type': 'MatchNotFound', 'errno': None, 'extra': None}


# job.py __encode__: a CallError keeps its class name as type and its errno (EFAULT = 14 by default).
def test_failed_job_exc_info(nas):
    session = nas('25.10')
    session.emulator.api.service_start_fails = True
    job_id = session.result('service.control', 'START', 'nfs', {'silent': False})
    session.emulator.api.finish_all_jobs()
    job = session.result('core.get_jobs', [['id', '=', job_id]])[0]
    assert job['error'] == '[EFAULT] Service not running after start'
    assert (job['exc_info']['type'], job['exc_info']['errno']) == ('CallError', 14)


# service/core_service.py: ping is authorization_required=False at TS-25.04.0 (needs a login) and
# authentication_required=False from TS-25.10.0.
@pytest.mark.parametrize('version,open_ping', [('25.04', False), ('25.10', True), ('26.0', True)])
def test_core_ping_before_login(nas, version, open_ping):
    answer = nas(version, login=False).call('core.ping')
    if open_ping:
        assert answer['result'] == 'pong'
    else:
        assert answer['error']['data']['errname'] == 'ENOTAUTHENTICATED' and answer['error']['code'] == -32001


# plugins/auth.py login_ex API_KEY_PLAIN (TS-25.04.0, TS-25.10.0; auth_/login_ex_impl.py TS-26.0.0-BETA.3) and the
# AuthLoginExResult models: SUCCESS, AUTH_ERR (wrong key or user), EXPIRED (expired or revoked key), REDIRECT
# (HA standby); DENIED only in api/v26_0_0/auth.py. A revoked key is EXPIRED up to 25.10 (api_key.py revoke() sets
# expiry -1) and AUTH_ERR in 26.0 (auth_/login_ex_impl.py login_ex_api_key_plain).
@pytest.mark.parametrize('version', RELEASES)
@pytest.mark.parametrize('status,username,expected', [
    ('VALID', 'admin', 'SUCCESS'), ('VALID', 'root', 'AUTH_ERR'), ('EXPIRED', 'admin', 'EXPIRED'),
    ('REVOKED', 'admin', 'EXPIRED'), ('DENIED', 'admin', 'DENIED'), ('STANDBY', 'admin', 'REDIRECT'),
])
def test_login_ex_responses(nas, version, status, username, expected):
    session = nas(version, login=False)
    session.emulator.api.api_key_status = status
    answer = session.result('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': username, 'api_key': API_KEY})
    if expected == 'DENIED' and version != '26.0':
        expected = 'AUTH_ERR'
    if status == 'REVOKED' and version == '26.0':  # auth_/login_ex_impl.py: PAM_AUTH_ERR "API key is revoked"
        expected = 'AUTH_ERR'
    assert answer['response_type'] == expected
    # login_with_api_key answers only true/false for the same key
    assert session.result('auth.login_with_api_key', API_KEY) is (status == 'VALID')


# plugins/auth.py login_with_api_key: an unknown key id sleeps uniform(1, 2) s and answers false, no error.
def test_login_with_unknown_key_id_stalls_then_answers_false(nas):
    session = nas('25.10', login=False, auth_fail_delay=(0.2, 0.3))
    started = time.monotonic()
    assert session.result('auth.login_with_api_key', '99-no-such-key') is False
    assert time.monotonic() - started >= 0.2


# main.py authorize_method_call + utils/rate_limit/cache.py (TS-25.04.0, TS-25.10.0, TS-26.0.0-BETA.3): 20
# unauthenticated calls per method and client address per 60 s window; the 21st sleeps uniform(1, 10) s
# (shortened here) and fails with CallError('Rate Limit Exceeded', EBUSY). Other methods count separately;
# a logged-in session is never limited.
@pytest.mark.parametrize('version', RELEASES)
def test_rate_limit_of_unauthenticated_calls(nas, version):
    session = nas(version, login=False, rate_limit_stall=(0.2, 0.3))
    for dummy in range(20):
        assert session.result('auth.login_with_api_key', '1-wrong') is False
    started = time.monotonic()
    error = session.call('auth.login_with_api_key', API_KEY)['error']
    assert time.monotonic() - started >= 0.2  # the stall comes before the answer
    assert error['code'] == -32001 and error['data']['error'] == 16 and error['data']['errname'] == 'EBUSY'
    assert error['data']['reason'] == '[EBUSY] Rate Limit Exceeded'
    # per method: login_ex has its own counter, and once logged in nothing is limited
    answer = session.result('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': 'admin', 'api_key': API_KEY})
    assert answer['response_type'] == 'SUCCESS'
    for dummy in range(25):
        assert session.result('auth.login_with_api_key', API_KEY) is True


def test_rate_limit_counts_per_address_across_connections_and_window_restarts(nas):
    session = nas('25.10', login=False, rate_limit_stall=(0, 0), rate_limit_period=3.0)
    started = time.monotonic()
    for dummy in range(20):
        other = Session(session.emulator)  # a new connection from the same address shares the counter
        other.login()
        other.close()
    assert session.call('auth.login_with_api_key', API_KEY)['error']['data']['errname'] == 'EBUSY'
    time.sleep(max(0.0, started + 3.1 - time.monotonic()))  # the window restarts `period` after it began
    assert session.result('auth.login_with_api_key', API_KEY) is True


# service/crud_service.py get_instance + service/base.py verbose_name (TS-25.04.2.6, TS-25.10.6, TS-26.0.0-BETA.3):
# InstanceNotFound(f'{verbose_name} {id} does not exist') is a ValidationError with attribute None and ENOENT.
@pytest.mark.parametrize('version', RELEASES)
def test_update_of_a_missing_share(nas, version):
    error = nas(version).call('sharing.nfs.update', 99, {'comment': 'x'})['error']
    assert error['code'] == -32602 and error['data']['extra'] == [[None, 'SharingNFS 99 does not exist', 2]]
    assert error['data']['reason'] == '[ENOENT] None: SharingNFS 99 does not exist\n'


# validators.py check_path_resides_within_volume_sync (TS-25.04.2.6, TS-25.10.6; utils/path.py at TS-26.0.0-BETA.3):
# the same three rules in every release: inside /mnt/<pool> after resolving symlinks, not .zfs or .zfs/snapshot.
@pytest.mark.parametrize('version', RELEASES)
@pytest.mark.parametrize('path,message', [
    ('/mnt/scratch/photos', 'The path must reside within a pool mount point'),
    ('/mnt/BigTank/.zfs/snapshot', 'The ZFS control directory (.zfs) and snapshot directory (.zfs/snapshot) are not'),
])
def test_path_must_be_in_a_pool_and_not_zfs_ctl(nas, version, path, message):
    session = nas(version)
    session.emulator.state.data['paths'][path] = {'type': 'DIRECTORY'}
    extra = session.call('sharing.nfs.create', {'path': path})['error']['data']['extra']
    assert extra[0][0] == 'sharingnfs_create.path' and extra[0][1].startswith(message)
