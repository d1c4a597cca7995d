"""immich_api_key: create (secret once), update permissions, delete, bad input."""

from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, conn, run_module, writes


def key_args(emulator, **extra):
    args = {'api_url': emulator.base_url, 'email': ADMIN_EMAIL, 'password': ADMIN_PASSWORD, 'name': 'ansible'}
    args.update(extra)
    return args


def test_create_returns_secret_once_then_no_writes(emulator):
    run = run_module('immich_api_key', key_args(emulator, permissions=['library.read', 'all']))
    assert run.result['changed']
    secret = run.result['secret']
    assert emulator.state.api_key_by_secret(secret)['name'] == 'ansible'
    assert sorted(run.result['api_key']['permissions']) == ['all', 'library.read']
    assert run.result['diff'] == {'before': {}, 'after': {'name': 'ansible', 'permissions': ['all', 'library.read']}}
    assert secret not in repr(run.result['diff'])

    emulator.reset_log()
    again = run_module('immich_api_key', key_args(emulator, permissions=['all', 'library.read']))
    assert not again.result['changed']
    assert 'secret' not in again.result
    assert writes(emulator) == []


def test_permissions_update_in_place(emulator):
    first = run_module('immich_api_key', key_args(emulator, permissions=['all']))
    emulator.reset_log()
    run = run_module('immich_api_key', key_args(emulator, permissions=['library.read', 'job.read']))
    assert run.result['changed']
    assert run.result['api_key']['id'] == first.result['api_key']['id']
    assert run.result['diff']['before']['permissions'] == ['all']
    assert run.result['diff']['after']['permissions'] == ['job.read', 'library.read']
    assert writes(emulator) == [('PUT', '/api/api-keys/%s' % first.result['api_key']['id'])]
    assert emulator.state.api_key_by_secret(first.result['secret'])['permissions'] == ['job.read', 'library.read']


def test_check_mode_changes_nothing(emulator):
    run = run_module('immich_api_key', key_args(emulator), check_mode=True)
    assert run.result['changed'] and 'secret' not in run.result
    assert writes(emulator) == []
    assert [k['name'] for k in emulator.state.api_keys.values()] == ['test key']


def test_unknown_permission_fails_before_any_write(emulator):
    run = run_module('immich_api_key', key_args(emulator, permissions=['all', 'library.raed']))
    assert run.failed
    assert "permissions[1] 'library.raed' is not an Immich permission" in run.result['msg']
    assert emulator.requests == []


def test_permission_unknown_to_this_server_is_reported(make_emulator):
    emu = make_emulator('2.5.5')   # apiKey.rotate came with 3.2
    run = run_module('immich_api_key', conn(emu, name='k', permissions=['apiKey.rotate']))
    assert run.failed
    assert 'POST /api-keys returned HTTP 400' in run.result['msg']
    assert 'permissions' in run.result['msg']


def test_absent_deletes_then_noop(emulator):
    run_module('immich_api_key', key_args(emulator))
    emulator.reset_log()
    run = run_module('immich_api_key', key_args(emulator, state='absent'))
    assert run.result['changed'] and run.result['api_key'] == {}
    assert [method for method, path in writes(emulator)] == ['DELETE']
    emulator.reset_log()
    again = run_module('immich_api_key', key_args(emulator, state='absent'))
    assert not again.result['changed'] and writes(emulator) == []


def test_duplicate_names_are_refused(emulator):
    emulator.create_api_key(ADMIN_EMAIL, name='twin')
    emulator.create_api_key(ADMIN_EMAIL, name='twin')
    run = run_module('immich_api_key', key_args(emulator, name='twin', state='absent'))
    assert run.failed and "2 API keys are named 'twin'" in run.result['msg']
    assert writes(emulator) == []


def test_wrong_api_key_fails_without_echoing_it(emulator):
    bad = 'Bogus-Api-Key-Value-987'
    run = run_module('immich_api_key', conn(emulator, api_key=bad, name='x'))
    assert run.failed
    assert 'HTTP 401' in run.result['msg'] and 'Invalid API key' in run.result['msg']
    assert bad not in run.text and bad not in repr(run.raw)
    assert writes(emulator) == []


def test_key_cannot_grant_more_than_it_has(emulator):
    limited = emulator.create_api_key(ADMIN_EMAIL, permissions=['apiKey.read', 'apiKey.create'])
    run = run_module('immich_api_key', conn(emulator, api_key=limited, name='wide', permissions=['all']))
    assert run.failed and 'Cannot grant permissions you do not have' in run.result['msg']
