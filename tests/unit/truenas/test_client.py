"""module_utils/truenas.py against the emulator: versions, auth, transport failures, TLS, jobs."""
import socket
import ssl
import threading
import time

import pytest

from ansible_collections.homelab.immich.plugins.module_utils.truenas import (
    TrueNASAuthError, TrueNASClient, TrueNASConnectionError, TrueNASError, TrueNASRateLimited, TrueNASTimeout,
    TrueNASUnsupportedVersion, format_version, parse_version,
)

from .conftest import API_KEY


def client_for(emulator, **kwargs):
    kwargs.setdefault('timeout', 15)  # generous: the machine is shared, and only the timeout tests need short ones
    return TrueNASClient('127.0.0.1', kwargs.pop('api_key', API_KEY), scheme=emulator.scheme, port=emulator.port, **kwargs)


@pytest.mark.parametrize('version,expected,control', [
    ('25.04', (25, 4, 2), False),
    ('25.10', (25, 10, 1), True),
    ('26.0', (26, 0, 0), True),  # the release after 25.10 is 26.0.0 (api/v26_0_0), not "26.04"
])
def test_connects_and_detects_release(make_emulator, version, expected, control):
    emulator = make_emulator(version)
    with client_for(emulator) as client:
        assert client.version == expected
        assert client.has_service_control is control
        assert client.call('sharing.nfs.query') == []


@pytest.mark.parametrize('text,expected', [
    ('TrueNAS-SCALE-25.04.2', (25, 4, 2)), ('TrueNAS-25.10.1', (25, 10, 1)), ('TrueNAS-26.0.0-BETA.3', (26, 0, 0)),
    ('TrueNAS-25.04.2.6', (25, 4, 2)),
    ('TrueNAS-SCALE-24.10.2.1', (24, 10, 2)), ('TrueNAS-25.10-MASTER-20250601', (25, 10, 0)), ('nonsense', None),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def test_release_without_jsonrpc_api_fails_clearly(make_emulator):
    emulator = make_emulator('24.10')  # answers 404 at /api/current, like a real 24.10
    with pytest.raises(TrueNASUnsupportedVersion, match=r'HTTP 404 .*from TrueNAS 25\.04 on'):
        client_for(emulator).connect()


def test_release_older_than_25_04_reported_by_system_version_fails(make_emulator):
    emulator = make_emulator('25.04')
    emulator.release.system_version = 'TrueNAS-SCALE-24.10.2'
    with pytest.raises(TrueNASUnsupportedVersion, match=r'runs 24\.10\.2 .*needs TrueNAS 25\.04 or later'):
        client_for(emulator).connect()


def test_wrong_api_key_fails_without_leaking_it(emulator):
    wrong = '1-wrong-key-never-printed'
    with pytest.raises(TrueNASAuthError) as caught:
        client_for(emulator, api_key=wrong).connect()
    assert 'rejected the API key' in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(caught.value.as_dict())
    assert emulator.log()[0]['params'] == ['********']


def test_plain_ws_to_a_remote_nas_is_refused_before_connecting():
    with pytest.raises(TrueNASConnectionError, match='revokes API keys'):
        TrueNASClient('192.168.10.133', API_KEY, scheme='ws', timeout=1).connect()


def test_connection_refused_names_the_host():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    with pytest.raises(TrueNASConnectionError, match=r'cannot connect to ws://127\.0\.0\.1:%d' % port):
        TrueNASClient('127.0.0.1', API_KEY, scheme='ws', port=port, timeout=2).connect()


def test_silent_host_times_out_with_a_clear_message():
    with socket.socket() as silent:  # accepts TCP, never answers the WebSocket handshake
        silent.bind(('127.0.0.1', 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(TrueNASTimeout, match=r'timed out after 1s connecting to ws://127\.0\.0\.1'):
            TrueNASClient('127.0.0.1', API_KEY, scheme='ws', port=port, timeout=1).connect()
        assert time.monotonic() - started < 5


def test_slow_answer_times_out(emulator):
    emulator.faults.set({'delay': [{'method': 'sharing.nfs.query', 'seconds': 2}]})
    with client_for(emulator, timeout=0.5) as client:
        with pytest.raises(TrueNASTimeout, match=r'sharing\.nfs\.query: no answer from 127\.0\.0\.1 within 0\.5s'):
            client.call('sharing.nfs.query')


def test_dropped_connection_mid_call_is_a_clear_error(emulator):
    emulator.faults.set({'drop': [{'method': 'sharing.nfs.create', 'apply': True}]})
    with client_for(emulator) as client:
        with pytest.raises(TrueNASConnectionError, match='closed before the answer arrived.*may or may not have been applied'):
            client.call('sharing.nfs.create', {'path': '/mnt/BigTank/photos/All'})
    assert [entry['error'] for entry in emulator.writes()] == ['dropped']


def test_validation_error_carries_truenas_message_and_extra(emulator):
    with client_for(emulator) as client:
        with pytest.raises(TrueNASError) as caught:
            client.call('sharing.nfs.create', {'path': '/mnt/BigTank/photos/All', 'maproot_group': 'wheel'})
    error = caught.value
    assert error.code == -32602 and error.errname == 'EINVAL'
    assert error.extra == [['sharingnfs_create.maproot_user', 'This field is required when map group is specified', 22]]
    assert str(error) == ('sharing.nfs.create: [EINVAL] sharingnfs_create.maproot_user: '
                          'This field is required when map group is specified')


def test_failed_job_raises_with_the_job_error(make_emulator):
    emulator = make_emulator('25.10')
    emulator.api.service_start_fails = True
    with client_for(emulator) as client:
        with pytest.raises(TrueNASError, match=r'service\.control: \[EFAULT\] Service not running after start'):
            client.control_service('START', 'nfs')


def test_tls_is_verified_by_default(make_emulator, tls_files):
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    emulator = make_emulator('25.10', ssl_context=context)
    with pytest.raises(TrueNASConnectionError, match='TLS certificate of 127.0.0.1 could not be verified'):
        client_for(emulator).connect()
    with client_for(emulator, ca_path=cert) as client:
        assert client.version == (25, 10, 1)
    with client_for(emulator, validate_certs=False) as client:
        assert client.call('core.ping') == 'pong'


def test_unauthenticated_calls_get_truenas_error(emulator):
    # The emulator, like middlewared, refuses calls before login with ENOTAUTHENTICATED.
    client = client_for(emulator)
    client._ws = client._open()
    try:
        with pytest.raises(TrueNASError) as caught:
            client.call('sharing.nfs.query')
        assert caught.value.errname == 'ENOTAUTHENTICATED' and caught.value.code == -32001
    finally:
        client.close()


def test_concurrent_clients_share_one_emulator(emulator):
    errors = []

    def work():
        try:
            with client_for(emulator) as client:
                client.call('nfs.config')
        except TrueNASError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for dummy in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


@pytest.mark.parametrize('version,text', [((25, 4, 2), '25.04.2'), ((25, 10, 6), '25.10.6'), ((26, 0, 0), '26.0.0'),
                                          (None, 'unknown')])
def test_format_version_renders_26_0_as_26_0_0(version, text):
    assert format_version(version) == text


def test_failed_job_errname_comes_from_errno_not_the_exception_class(make_emulator):
    # job.py __encode__: exc_info.type is the class ('CallError'), exc_info.errno the errno (EFAULT here).
    emulator = make_emulator('25.10')
    emulator.api.service_start_fails = True
    with client_for(emulator) as client:
        with pytest.raises(TrueNASError) as caught:
            client.control_service('START', 'nfs')
    assert (caught.value.errname, caught.value.exc_type) == ('EFAULT', 'CallError')
    with client_for(emulator) as client:
        with pytest.raises(TrueNASError) as caught:
            client.control_service('START', 'nfsd')  # MatchNotFound: no errno at all
    assert (caught.value.errname, caught.value.exc_type, caught.value.message) == (None, 'MatchNotFound', 'nfsd')


def test_one_login_per_client_and_login_ex_with_api_user(make_emulator):
    emulator = make_emulator('25.10')
    with client_for(emulator) as client:
        client.call('sharing.nfs.query')
        client.call('nfs.config')
    with client_for(emulator, api_user='admin') as client:
        client.call('core.get_jobs')
    logins = [entry['method'] for entry in emulator.log() if entry['method'].startswith('auth.')]
    assert logins == ['auth.login_with_api_key', 'auth.login_ex']


@pytest.mark.parametrize('version,status,reason', [
    ('25.10', 'EXPIRED', 'the API key has expired or was revoked (EXPIRED)'),
    ('25.04', 'REVOKED', 'the API key has expired or was revoked (EXPIRED)'),
    ('26.0', 'DENIED', 'the account has no API access (DENIED)'),
    ('25.10', 'DENIED', 'the key or the user name is wrong, or the key was deleted'),  # no DENIED before 26.0
    ('26.0', 'REVOKED', 'from TrueNAS 26.0 on, revoked) (AUTH_ERR)'),
    ('25.10', 'STANDBY', 'is the standby controller of an HA pair (REDIRECT); log in on the active controller: '
                         '192.168.10.134'),
])
def test_login_ex_says_why_the_key_was_refused(make_emulator, version, status, reason):
    emulator = make_emulator(version)
    emulator.api.api_key_status = status
    with pytest.raises(TrueNASAuthError) as caught:
        client_for(emulator, api_user='admin').connect()
    assert str(caught.value).startswith('auth.login_ex: 127.0.0.1 refused the API key of user admin: ')
    assert reason in str(caught.value) and API_KEY not in str(caught.value)


def test_login_ex_with_the_wrong_user_is_auth_err(emulator):
    with pytest.raises(TrueNASAuthError, match=r'user root: the key or the user name is wrong'):
        client_for(emulator, api_user='root').connect()


def test_rate_limited_login_names_the_rate_limit_not_the_key(make_emulator):
    # main.py authorize_method_call: the 21st unauthenticated login_with_api_key from one address in 60 s is
    # refused with EBUSY after a stall (shortened here).
    emulator = make_emulator('25.10', rate_limit_stall=(0.05, 0.1))
    for dummy in range(20):
        with client_for(emulator):
            pass
    with pytest.raises(TrueNASRateLimited) as caught:
        client_for(emulator).connect()
    message = str(caught.value)
    assert message.startswith('auth.login_with_api_key: 127.0.0.1 refused the call: [EBUSY] Rate Limit Exceeded '
                              '(TrueNAS rate limit: at most 20 calls before login')
    assert 'check that the key' not in message and caught.value.errname == 'EBUSY'
    assert caught.value.as_dict()['rate_limited'] is True
