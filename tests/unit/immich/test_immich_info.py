"""immich_info: public facts without credentials, admin data only for admins; reliability paths.

Tests taking ``immich`` run on every backend in IMMICH_TEST_BACKENDS with the same assertions; tests
taking ``emulator``/``make_emulator`` are emulator-only (fault injection, Immich 3.2.2)."""

import pytest

from immich_helpers import USER_EMAIL, USER_PASSWORD, conn, run_module, writes


@pytest.mark.no_admin
def test_public_facts_without_credentials(immich):
    run = run_module('immich_info', {'api_url': immich.base_url + '/api'})
    assert run.rc == 0 and not run.result['changed']
    assert run.result['version'] == immich.version
    assert run.result['initialized'] is False and run.result['onboarded'] is False
    assert run.result['features']['configFile'] is False
    assert run.result['config_path'] == '/system-config'
    assert run.result['is_admin'] is False
    assert 'user' not in run.result and 'libraries' not in run.result
    assert writes(immich) == []


def test_admin_sees_libraries_with_statistics_and_queues(immich, media):
    lib = run_module('immich_library', conn(immich, name='NAS photos', import_paths=[immich.photos],
                                            media_location=immich.media)).result['library']
    run_module('immich_library_scan', conn(immich, library=lib['id'], wait=True, poll_interval=0.05))
    immich.reset_log()
    run = run_module('immich_info', conn(immich))
    assert run.result['initialized'] is True
    assert run.result['user']['isAdmin'] is True and run.result['is_admin'] is True
    assert [(lib_['name'], lib_['statistics']) for lib_ in run.result['libraries']] == [('NAS photos', media.expected())]
    thumbs = run.result['queues']['thumbnailGeneration']
    assert thumbs['active'] == 0 and thumbs['waiting'] == 0 and thumbs['failed'] == 0
    assert writes(immich) == []


def test_non_admin_gets_no_admin_data(immich):
    immich.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run = run_module('immich_info', {'api_url': immich.base_url, 'email': USER_EMAIL, 'password': USER_PASSWORD})
    assert run.rc == 0
    assert run.result['user']['email'] == USER_EMAIL and run.result['is_admin'] is False
    assert 'libraries' not in run.result and 'queues' not in run.result
    assert immich.session_count() == 0


def test_url_and_key_from_environment(immich, monkeypatch):
    monkeypatch.setenv('IMMICH_URL', immich.base_url)
    monkeypatch.setenv('IMMICH_API_KEY', immich.admin_key)
    run = run_module('immich_info', {})
    assert run.rc == 0 and run.result['is_admin'] is True
    assert immich.admin_key not in run.text


def test_public_facts_on_3_2(make_emulator):
    """Emulator-only: Immich 3.2.2 (/admin/config), no real 3.2 here."""
    emu = make_emulator('3.2.2', admin=False)
    run = run_module('immich_info', {'api_url': emu.base_url + '/api'})
    assert run.result['version'] == '3.2.2' and run.result['config_path'] == '/admin/config'
    assert all(e['auth'] is None for e in emu.requests)


def test_503_then_ok_succeeds(emulator):
    """Emulator-only (fault injection)."""
    emulator.set_faults(fail_next=2, fail_status=503)
    run = run_module('immich_info', conn(emulator))
    assert run.rc == 0 and run.result['version'] == '2.5.5'
    assert [e['status'] for e in emulator.requests][:3] == [503, 503, 200]


def test_server_down_fails_with_clear_message(closed_port):
    run = run_module('immich_info', {'api_url': 'http://127.0.0.1:%d' % closed_port, 'retries': 2})
    assert run.failed
    assert 'cannot reach Immich at http://127.0.0.1:%d/api' % closed_port in run.result['msg']
    assert 'gave up after 3 attempts' in run.result['msg']


@pytest.mark.parametrize('url', ['photos.example.com', 'ftp://photos', 'http://'])
def test_malformed_url(url):
    run = run_module('immich_info', {'api_url': url})
    assert run.failed and 'api_url must be an http(s) URL' in run.result['msg']
