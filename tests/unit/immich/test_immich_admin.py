"""immich_admin: first admin sign-up, credential check on an initialized server.

Tests taking ``immich`` run on every backend in IMMICH_TEST_BACKENDS with the same assertions; tests
taking ``make_emulator`` are emulator-only (IMMICH_ALLOW_SETUP=false needs a server started with it,
Immich 3.2.2)."""

import pytest

from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD, run_module, writes


def admin_args(backend, **extra):
    args = {'api_url': backend.base_url, 'email': ADMIN_EMAIL, 'password': ADMIN_PASSWORD, 'name': 'Photo Admin'}
    args.update(extra)
    return args


@pytest.mark.no_admin
def test_creates_first_admin_then_changes_nothing(immich):
    run = run_module('immich_admin', admin_args(immich))
    assert run.rc == 0 and run.result['changed'] and run.result['created'], run.result
    assert run.result['admin']['email'] == ADMIN_EMAIL and run.result['admin']['isAdmin'] is True
    assert run.result['diff'] == {'before': {'initialized': False},
                                  'after': {'initialized': True, 'email': ADMIN_EMAIL, 'name': 'Photo Admin'}}
    assert writes(immich) == [('POST', '/api/auth/admin-sign-up')]
    assert immich.admin()['name'] == 'Photo Admin'

    immich.reset_log()
    again = run_module('immich_admin', admin_args(immich))
    assert again.rc == 0 and not again.result['changed'] and not again.result['created']
    assert again.result['admin']['id'] == run.result['admin']['id']
    assert writes(immich) == []
    assert immich.session_count() == 0, 'the login used for the check is logged out again'


@pytest.mark.no_admin
def test_check_mode_creates_nothing(immich):
    run = run_module('immich_admin', admin_args(immich), check_mode=True)
    assert run.result['changed'] and run.result['created']
    assert writes(immich) == []
    assert immich.admin() is None


def test_wrong_password_fails_without_leaking_it(immich):
    secret = 'Wrong-Password-123'
    run = run_module('immich_admin', admin_args(immich, password=secret))
    assert run.failed and run.rc == 1
    assert 'cannot log in' in run.result['msg'] and 'Incorrect email or password' in run.result['msg']
    assert secret not in run.text
    assert secret not in repr(run.raw)
    assert writes(immich) == []
    assert immich.session_count() == 0


def test_existing_non_admin_credentials_fail(immich):
    immich.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run = run_module('immich_admin', admin_args(immich, email=USER_EMAIL, password=USER_PASSWORD))
    assert run.failed
    assert 'not an admin' in run.result['msg']
    assert writes(immich) == []


def test_malformed_url_fails_before_any_request(immich):
    run = run_module('immich_admin', admin_args(immich, api_url='photos.example.com'))
    assert run.failed
    assert "api_url must be an http(s) URL" in run.result['msg']
    assert immich.requests == []


@pytest.mark.parametrize('version', ['2.5.5', '3.2.2'])
def test_setup_disabled(make_emulator, version):
    """Emulator-only (a server started with IMMICH_ALLOW_SETUP=false): since 2.5.0 such a server reports
    itself initialized with no admin, so the module cannot sign one up and says why."""
    emu = make_emulator(version, admin=False, allow_setup=False)
    run = run_module('immich_admin', admin_args(emu))
    assert run.failed
    assert 'IMMICH_ALLOW_SETUP=false' in run.result['msg'] and 'Incorrect email or password' in run.result['msg']
    assert emu.state.admin() is None and writes(emu) == []


def test_sign_up_on_3_2(make_emulator):
    """Emulator-only: Immich 3.2.2."""
    emu = make_emulator('3.2.2', admin=False)
    run = run_module('immich_admin', admin_args(emu))
    assert run.result['created'] and writes(emu) == [('POST', '/api/auth/admin-sign-up')]
