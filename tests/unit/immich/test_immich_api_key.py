"""immich_api_key: create (secret once), update permissions, delete, bad input.

Tests taking ``immich`` run on every backend in IMMICH_TEST_BACKENDS with the same assertions; tests
taking ``emulator`` are emulator-only (fault injection)."""

from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, conn, run_module, writes


def key_args(backend, **extra):
    args = {'api_url': backend.base_url, 'email': ADMIN_EMAIL, 'password': ADMIN_PASSWORD, 'name': 'ansible'}
    args.update(extra)
    return args


def update_method(backend):
    return 'PATCH' if backend.version >= '3' else 'PUT'


def test_create_returns_secret_once_then_no_writes(immich):
    run = run_module('immich_api_key', key_args(immich, permissions=['library.read', 'all']))
    assert run.result['changed'], run.result
    secret = run.result['secret']
    assert immich.api_key_by_secret(secret)['name'] == 'ansible'
    assert sorted(run.result['api_key']['permissions']) == ['all', 'library.read']
    assert run.result['diff'] == {'before': {}, 'after': {'name': 'ansible', 'permissions': ['all', 'library.read']}}
    assert secret not in repr(run.result['diff'])

    immich.reset_log()
    again = run_module('immich_api_key', key_args(immich, permissions=['all', 'library.read']))
    assert not again.result['changed']
    assert 'secret' not in again.result
    assert writes(immich) == []


def test_permissions_update_in_place(immich):
    first = run_module('immich_api_key', key_args(immich, permissions=['all']))
    immich.reset_log()
    run = run_module('immich_api_key', key_args(immich, permissions=['library.read', 'job.read']))
    assert run.result['changed'], run.result
    assert run.result['api_key']['id'] == first.result['api_key']['id']
    assert run.result['diff']['before']['permissions'] == ['all']
    assert run.result['diff']['after']['permissions'] == ['job.read', 'library.read']
    assert writes(immich) == [(update_method(immich), '/api/api-keys/%s' % first.result['api_key']['id'])]
    assert sorted(immich.api_key_by_secret(first.result['secret'])['permissions']) == ['job.read', 'library.read']


def test_check_mode_changes_nothing(immich):
    run = run_module('immich_api_key', key_args(immich), check_mode=True)
    assert run.result['changed'] and 'secret' not in run.result
    assert writes(immich) == []
    assert immich.api_key_names() == ['test key']


def test_unknown_permission_fails_before_any_write(immich):
    run = run_module('immich_api_key', key_args(immich, permissions=['all', 'library.raed']))
    assert run.failed
    assert "permissions[1] 'library.raed' is not an Immich permission" in run.result['msg']
    assert immich.requests == []
    assert immich.api_key_names() == ['test key']


def test_permission_unknown_to_this_server_is_reported(immich):
    """apiKey.rotate came with 3.2: 2.5.5 and 3.1.0 refuse it with HTTP 400 naming the field."""
    run = run_module('immich_api_key', conn(immich, name='k', permissions=['apiKey.rotate']))
    assert run.failed
    assert 'POST /api-keys returned HTTP 400' in run.result['msg']
    assert 'permissions' in run.result['msg']
    assert immich.api_key_names() == ['test key']


def test_absent_deletes_then_noop(immich):
    run_module('immich_api_key', key_args(immich))
    immich.reset_log()
    run = run_module('immich_api_key', key_args(immich, state='absent'))
    assert run.result['changed'] and run.result['api_key'] == {}
    assert [method for method, path in writes(immich)] == ['DELETE']
    immich.reset_log()
    again = run_module('immich_api_key', key_args(immich, state='absent'))
    assert not again.result['changed'] and writes(immich) == []
    assert immich.api_key_names() == ['test key']


def test_duplicate_names_are_refused(immich):
    immich.create_api_key(ADMIN_EMAIL, name='twin')
    immich.create_api_key(ADMIN_EMAIL, name='twin')
    immich.reset_log()
    run = run_module('immich_api_key', key_args(immich, name='twin', state='absent'))
    assert run.failed and "2 API keys are named 'twin'" in run.result['msg']
    assert writes(immich) == []
    assert immich.api_key_names() == ['test key', 'twin', 'twin']


def test_wrong_api_key_fails_without_echoing_it(immich):
    bad = 'Bogus-Api-Key-Value-987'
    run = run_module('immich_api_key', conn(immich, api_key=bad, name='x'))
    assert run.failed
    assert 'HTTP 401' in run.result['msg'] and 'Invalid API key' in run.result['msg']
    assert bad not in run.text and bad not in repr(run.raw)
    assert writes(immich) == []


def test_key_cannot_grant_more_than_it_has(immich):
    limited = immich.create_api_key(ADMIN_EMAIL, permissions=['apiKey.read', 'apiKey.create'])
    run = run_module('immich_api_key', conn(immich, api_key=limited, name='wide', permissions=['all']))
    assert run.failed and 'Cannot grant permissions you do not have' in run.result['msg']
    assert immich.api_key_names() == ['test key', 'test key']


def test_lost_answer_to_create_is_not_retried(emulator):
    """Emulator-only (fault injection): the key is made but the answer is lost. Its secret is gone, so the
    module makes no second key and names the one to delete."""
    emulator.set_faults(fail_next=1, fail_status=502, path_prefix='/api/api-keys', method='POST', after_handling=True)
    run = run_module('immich_api_key', conn(emulator, name='ansible'))
    assert run.failed and "API key 'ansible'" in run.result['msg'] and 'delete that key' in run.result['msg']
    assert [e['status'] for e in emulator.requests if e['method'] == 'POST'] == [502]
    assert sorted(k['name'] for k in emulator.state.api_keys.values()) == ['ansible', 'test key']
