"""ImmichClient against the emulator: URLs, auth, retries, typed errors, version-dependent paths."""

import time

import pytest

from ansible_collections.homelab.immich.plugins.module_utils.immich import (
    ImmichAPIError,
    ImmichClient,
    ImmichConnectionError,
    ImmichError,
    normalize_api_url,
)
from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, paths


@pytest.mark.parametrize('given, expected', [
    ('http://host:2283', 'http://host:2283/api'),
    ('http://host:2283/', 'http://host:2283/api'),
    ('http://host:2283/api', 'http://host:2283/api'),
    ('http://host:2283/api/', 'http://host:2283/api'),
    ('https://example.com/immich/api', 'https://example.com/immich/api'),
    ('https://example.com/immich', 'https://example.com/immich/api'),
])
def test_api_url_with_or_without_api_suffix(given, expected):
    assert normalize_api_url(given) == expected


@pytest.mark.parametrize('bad', ['photos.example.com', 'ftp://host', 'http://', '', 'http://host:99999', 'http://h/?x=1'])
def test_malformed_api_url_is_refused(bad):
    with pytest.raises(ImmichError) as err:
        ImmichClient(bad)
    assert 'api_url' in str(err.value)


def test_credentials_in_url_are_refused_without_echo():
    with pytest.raises(ImmichError) as err:
        ImmichClient('https://admin:Url-Secret-7@photos.example.com')
    assert 'must not contain credentials' in str(err.value)
    assert 'Url-Secret-7' not in str(err.value)


def test_api_key_auth(emulator):
    client = ImmichClient(emulator.base_url + '/api/', api_key=emulator.admin_key)
    assert client.me()['email'] == ADMIN_EMAIL
    assert emulator.requests[-1]['auth'] == 'api_key'


def test_login_auth_and_logout(emulator):
    client = ImmichClient(emulator.base_url, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    assert client.me()['isAdmin'] is True
    assert len(emulator.state.sessions) == 1
    client.close()
    assert emulator.state.sessions == {}
    assert paths(emulator) == ['/api/auth/login', '/api/users/me', '/api/auth/logout']


def test_wrong_password_is_a_typed_401(emulator):
    client = ImmichClient(emulator.base_url, email=ADMIN_EMAIL, password='nope')
    with pytest.raises(ImmichAPIError) as err:
        client.me()
    assert err.value.status == 401
    assert err.value.message == 'Incorrect email or password'
    assert err.value.method == 'POST' and err.value.path == '/auth/login'
    assert 'nope' not in str(err.value)


def test_invalid_api_key_message(emulator):
    with pytest.raises(ImmichAPIError) as err:
        ImmichClient(emulator.base_url, api_key='not-a-key').me()
    assert (err.value.status, err.value.message) == (401, 'Invalid API key')


def test_no_credentials_for_an_authenticated_call(emulator):
    with pytest.raises(ImmichError) as err:
        ImmichClient(emulator.base_url).me()
    assert 'credentials' in str(err.value)
    assert emulator.requests == []


def test_503_then_ok_is_retried(emulator):
    emulator.set_faults(fail_next=2, fail_status=503)
    client = ImmichClient(emulator.base_url, api_key=emulator.admin_key, retries=3)
    assert client.get('/server/ping', auth=False) == {'res': 'pong'}
    assert [e['status'] for e in emulator.requests] == [503, 503, 200]


def test_dropped_connection_is_retried(emulator):
    emulator.set_faults(drop_next=1)
    client = ImmichClient(emulator.base_url, retries=1)
    assert client.version == (2, 5, 5)
    assert [e['status'] for e in emulator.requests] == [0, 200]


@pytest.mark.parametrize('fault', [{'fail_next': 1, 'fail_status': 502}, {'fail_next': 1, 'fail_status': 504},
                                   {'fail_next': 1, 'fail_status': 503}, {'drop_next': 1}])
def test_a_post_that_may_have_reached_the_server_is_not_retried(emulator, fault):
    """Emulator-only (fault injection): after a gateway error or a dropped connection the POST may have been
    carried out; a retry could make a second library, so the client gives up at once."""
    emulator.set_faults(path_prefix='/api/libraries', method='POST', **fault)
    client = ImmichClient(emulator.base_url, api_key=emulator.admin_key, retries=3)
    with pytest.raises(ImmichError):
        client.post('/libraries', {'ownerId': emulator.state.admin()['id'], 'name': 'x'})
    assert len([e for e in emulator.requests if e['method'] == 'POST']) == 1


def test_a_post_that_never_reached_the_server_is_retried(emulator, closed_port, monkeypatch):
    """A refused connection means the request was never sent: safe to send again."""
    client = ImmichClient('http://127.0.0.1:%d' % closed_port, api_key='k', retries=2)
    calls = []
    original = client._open  # pylint: disable=protected-access

    def counting(*args):
        calls.append(args[0])
        return original(*args)
    monkeypatch.setattr(client, '_open', counting)
    with pytest.raises(ImmichConnectionError) as err:
        client.post('/libraries', {'name': 'x'})
    assert calls == ['POST'] * 3 and 'gave up after 3 attempts' in str(err.value)


def test_idempotent_posts_are_retried(emulator):
    """Login and import-path validation change nothing: their POSTs are retried like reads."""
    emulator.set_faults(fail_next=1, fail_status=502, path_prefix='/api/auth/login')
    client = ImmichClient(emulator.base_url, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, retries=2)
    assert client.me()['email'] == ADMIN_EMAIL
    assert [e['status'] for e in emulator.requests if e['path'] == '/api/auth/login'] == [502, 201]


def test_retries_are_bounded(emulator):
    emulator.set_faults(fail_next=10, fail_status=502)
    client = ImmichClient(emulator.base_url, retries=2)
    with pytest.raises(ImmichAPIError) as err:
        client.get('/server/ping', auth=False)
    assert err.value.status == 502
    assert '3 attempts' in str(err.value)
    assert len(emulator.requests) == 3


def test_4xx_is_never_retried(emulator):
    client = ImmichClient(emulator.base_url, api_key=emulator.admin_key, retries=3)
    with pytest.raises(ImmichAPIError) as err:
        client.get('/libraries/00000000-0000-4000-8000-000000000000')
    assert (err.value.status, err.value.message) == (400, 'Library not found')
    assert len(emulator.requests) == 1


def test_backoff_grows_exponentially(emulator, monkeypatch):
    sleeps = []
    monkeypatch.setattr(time, 'sleep', sleeps.append)
    emulator.set_faults(fail_next=3, fail_status=504)
    ImmichClient(emulator.base_url, retries=3, backoff=0.5).get('/server/ping', auth=False)
    assert sleeps == [0.5, 1.0, 2.0]


def test_server_down_fails_clearly_after_retries(closed_port):
    client = ImmichClient('http://127.0.0.1:%d' % closed_port, retries=2)
    with pytest.raises(ImmichConnectionError) as err:
        client.version  # pylint: disable=pointless-statement
    text = str(err.value)
    assert 'cannot reach Immich at http://127.0.0.1:%d/api' % closed_port in text
    assert 'gave up after 3 attempts' in text


def test_version_is_read_once_and_selects_config_path(make_emulator):
    old = make_emulator('2.5.5')
    client = ImmichClient(old.base_url, api_key=old.admin_key)
    assert client.config_path == '/system-config'
    assert client.config_path == '/system-config'
    assert paths(old).count('/api/server/version') == 1

    new = make_emulator('3.2.2')
    client = ImmichClient(new.base_url, api_key=new.admin_key)
    assert client.version_string == '3.2.2'
    assert client.config_path == '/admin/config'
    assert client.get(client.config_path)['library']['scan']['enabled'] is True


def test_config_path_before_3_2(make_emulator):
    emu = make_emulator('3.1.0')
    assert ImmichClient(emu.base_url).config_path == '/system-config'


def test_queue_counts_from_queues_and_from_jobs(make_emulator):
    modern = make_emulator('2.5.5')
    counts = ImmichClient(modern.base_url, api_key=modern.admin_key).queue_counts()
    assert counts['library'] == {'active': 0, 'completed': 0, 'delayed': 0, 'failed': 0, 'paused': 0,
                                 'waiting': 0, 'isPaused': False}
    assert paths(modern)[-1] == '/api/queues'

    legacy = make_emulator('2.3.1')   # before /queues existed
    counts = ImmichClient(legacy.base_url, api_key=legacy.admin_key).queue_counts()
    assert set(['library', 'thumbnailGeneration']) <= set(counts)
    assert paths(legacy)[-1] == '/api/jobs'


def test_validation_messages_2x_and_3x(make_emulator):
    for version, expected in (('2.5.5', 'ownerId must be a UUID'), ('3.2.2', 'Validation failed (ownerId: Invalid UUID)')):
        emu = make_emulator(version)
        with pytest.raises(ImmichAPIError) as err:
            ImmichClient(emu.base_url, api_key=emu.admin_key).post('/libraries', {'ownerId': 'x'})
        assert err.value.status == 400
        assert expected in err.value.message
