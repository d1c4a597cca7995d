"""immich_admin: first admin sign-up, credential check on an initialized server."""

import pytest

from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD, run_module, writes


def admin_args(emulator, **extra):
    args = {'api_url': emulator.base_url, 'email': ADMIN_EMAIL, 'password': ADMIN_PASSWORD, 'name': 'Photo Admin'}
    args.update(extra)
    return args


@pytest.mark.parametrize('version', ['2.5.5', '3.2.2'])
def test_creates_first_admin_then_changes_nothing(make_emulator, version):
    emu = make_emulator(version, admin=False)
    run = run_module('immich_admin', admin_args(emu))
    assert run.rc == 0 and run.result['changed'] and run.result['created']
    assert run.result['admin']['email'] == ADMIN_EMAIL and run.result['admin']['isAdmin'] is True
    assert run.result['diff'] == {'before': {'initialized': False},
                                  'after': {'initialized': True, 'email': ADMIN_EMAIL, 'name': 'Photo Admin'}}
    assert writes(emu) == [('POST', '/api/auth/admin-sign-up')]
    assert emu.state.admin()['name'] == 'Photo Admin'

    emu.reset_log()
    again = run_module('immich_admin', admin_args(emu))
    assert again.rc == 0 and not again.result['changed'] and not again.result['created']
    assert again.result['admin']['id'] == run.result['admin']['id']
    assert writes(emu) == []
    assert emu.state.sessions == {}, 'the login used for the check is logged out again'


def test_check_mode_creates_nothing(make_emulator):
    emu = make_emulator(admin=False)
    run = run_module('immich_admin', admin_args(emu), check_mode=True)
    assert run.result['changed'] and run.result['created']
    assert writes(emu) == []
    assert emu.state.admin() is None


def test_wrong_password_fails_without_leaking_it(emulator):
    secret = 'Wrong-Password-123'
    run = run_module('immich_admin', admin_args(emulator, password=secret))
    assert run.failed and run.rc == 1
    assert 'cannot log in' in run.result['msg'] and 'Incorrect email or password' in run.result['msg']
    assert secret not in run.text
    assert secret not in repr(run.raw)
    assert writes(emulator) == []


def test_existing_non_admin_credentials_fail(emulator):
    emulator.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run = run_module('immich_admin', admin_args(emulator, email=USER_EMAIL, password=USER_PASSWORD))
    assert run.failed
    assert 'not an admin' in run.result['msg']
    assert writes(emulator) == []


def test_setup_disabled_on_3x(make_emulator):
    emu = make_emulator('3.2.2', admin=False, allow_setup=False)
    run = run_module('immich_admin', admin_args(emu))
    assert run.failed
    assert 'Admin setup is disabled' in run.result['msg']
    assert emu.state.admin() is None


def test_malformed_url_fails_before_any_request(emulator):
    run = run_module('immich_admin', admin_args(emulator, api_url='photos.example.com'))
    assert run.failed
    assert "api_url must be an http(s) URL" in run.result['msg']
    assert emulator.requests == []
