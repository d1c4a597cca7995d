"""immich_library: create/update/delete an external library, validation and guards."""

import pytest

from ansible_collections.homelab.immich.plugins.module_utils.immich import ImmichClient
from immich_helpers import EXPECTED, USER_EMAIL, USER_PASSWORD, conn, run_module, writes

DEFAULTS = ['**/@eaDir/**', '**/._*', '**/#recycle/**', '**/#snapshot/**']


def lib_args(emulator, **extra):
    return conn(emulator, **dict({'name': 'NAS photos'}, **extra))


def only_library(emulator):
    libs = emulator.state.live_libraries()
    assert len(libs) == 1
    return libs[0]


@pytest.mark.parametrize('version', ['2.5.5', '3.2.2'])
def test_create_validates_then_rerun_writes_nothing(make_emulator, version):
    emu = make_emulator(version)
    run = run_module('immich_library', lib_args(emu, import_paths=['/mnt/photos'], exclusion_patterns=['**/tmp/**']))
    assert run.rc == 0 and run.result['changed'], run.result
    assert run.result['created'] is True
    lib = only_library(emu)
    assert lib['importPaths'] == ['/mnt/photos']
    assert lib['exclusionPatterns'] == DEFAULTS + ['**/tmp/**']
    assert lib['ownerId'] == emu.state.admin()['id']
    assert run.result['library']['id'] == lib['id']
    assert run.result['validation'] == [{'importPath': '/mnt/photos', 'isValid': True}]
    assert run.result['diff']['before'] == {}
    assert run.result['diff']['after']['importPaths'] == ['/mnt/photos']
    # created empty, validated, then given its paths
    assert [(m, p.replace(lib['id'], 'ID')) for m, p in writes(emu)] == [('POST', '/api/libraries'), ('PUT', '/api/libraries/ID')]

    emu.reset_log()
    again = run_module('immich_library', lib_args(emu, import_paths=['/mnt/photos'], exclusion_patterns=['**/tmp/**']))
    assert not again.result['changed']
    assert again.result['created'] is False
    assert writes(emu) == []
    assert 'diff' not in again.result


def test_update_paths_and_patterns_with_diff(emulator):
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos', '/mnt/more'],
                                                exclusion_patterns=['**/*.tmp'], default_exclusions=False))
    assert run.result['changed']
    assert run.result['created'] is False
    lib = only_library(emulator)
    assert lib['importPaths'] == ['/mnt/photos', '/mnt/more']
    assert lib['exclusionPatterns'] == ['**/*.tmp']
    assert run.result['diff']['before']['importPaths'] == ['/mnt/photos']
    assert run.result['diff']['after']['importPaths'] == ['/mnt/photos', '/mnt/more']
    assert run.result['diff']['after']['exclusionPatterns'] == ['**/*.tmp']
    assert [method for method, path in writes(emulator)] == ['PUT']
    assert any("removes from Immich its assets matching **/*.tmp" in w for w in run.warnings), run.warnings


def test_order_of_paths_does_not_matter(emulator):
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos', '/mnt/more']))
    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/more', '/mnt/photos']))
    assert not run.result['changed'] and writes(emulator) == []


def test_check_mode_changes_nothing(emulator):
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']), check_mode=True)
    assert run.result['changed'] and run.result['library'] == {}
    assert writes(emulator) == [] and emulator.state.live_libraries() == []

    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/more']), check_mode=True)
    assert run.result['changed']
    assert run.result['diff']['after']['importPaths'] == ['/mnt/more']
    assert writes(emulator) == []
    assert only_library(emulator)['importPaths'] == ['/mnt/photos']


@pytest.mark.parametrize('paths, message', [
    (['photos'], "import_paths[0] must be an absolute path, got 'photos'"),
    (['/mnt/photos', ''], 'import_paths[1] must not be empty'),
    (['/data/library'], "import_paths[0] '/data/library' is inside Immich's media folder /data"),
    (['/mnt/photos', '/mnt/photos'], "import_paths[1] '/mnt/photos' is listed twice"),
])
def test_bad_paths_fail_before_any_request(emulator, paths, message):
    run = run_module('immich_library', lib_args(emulator, import_paths=paths))
    assert run.failed
    assert message in run.result['msg']
    assert emulator.requests == []


def test_missing_path_on_new_library_leaves_nothing(emulator):
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos', '/mnt/nope']))
    assert run.failed
    assert "import_paths[1] '/mnt/nope': Path does not exist (ENOENT)" in run.result['msg']
    assert 'the library was not created' in run.result['msg']
    assert emulator.state.live_libraries() == []
    assert run.result['validation'][1] == {'importPath': '/mnt/nope', 'isValid': False, 'message': 'Path does not exist (ENOENT)'}


def test_missing_path_on_existing_library_writes_nothing(emulator):
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos/a.jpg']))
    assert run.failed and 'Not a directory' in run.result['msg']
    assert writes(emulator) == []
    assert only_library(emulator)['importPaths'] == ['/mnt/photos']


def test_validate_false_still_meets_the_servers_own_check(emulator):
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/gone'], validate=False))
    assert run.failed
    assert 'Invalid import path: Path does not exist (ENOENT)' in run.result['msg']


def test_validate_false_creates_in_one_request(emulator):
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos'], validate=False))
    assert run.result['changed']
    assert writes(emulator) == [('POST', '/api/libraries')]
    assert only_library(emulator)['importPaths'] == ['/mnt/photos']


def test_owner_by_email_and_unknown_owner(emulator):
    user = emulator.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run = run_module('immich_library', lib_args(emulator, owner=USER_EMAIL.upper(), import_paths=['/mnt/photos']))
    assert run.result['changed'] and only_library(emulator)['ownerId'] == user['id']

    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, name='Other', owner='nobody@example.com', import_paths=['/mnt/more']))
    assert run.failed and "owner 'nobody@example.com' is not an Immich user" in run.result['msg']
    assert writes(emulator) == []


def test_owner_cannot_change(emulator):
    emulator.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, owner=USER_EMAIL, import_paths=['/mnt/photos']))
    assert run.failed and 'Immich cannot change the owner' in run.result['msg']
    assert writes(emulator) == []


def test_two_libraries_with_the_name_are_refused(emulator):
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    # Immich does not keep names unique: a second one made in the web UI, say.
    ImmichClient(emulator.base_url, api_key=emulator.admin_key).post(
        '/libraries', {'ownerId': emulator.state.admin()['id'], 'name': 'NAS photos'})
    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, import_paths=['/mnt/more']))
    assert run.failed and "2 Immich libraries are named 'NAS photos'" in run.result['msg']
    assert writes(emulator) == []


def test_delete_guard_and_delete(emulator):
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    lib = only_library(emulator)
    emulator.jobs.scan_library(lib['id'])
    assert emulator.wait_idle()
    assert emulator.state.statistics(lib['id']) == EXPECTED

    emulator.reset_log()
    run = run_module('immich_library', lib_args(emulator, state='absent'))
    assert run.failed
    assert "holds 4 assets" in run.result['msg'] and 'allow_data_loss' in run.result['msg']
    assert writes(emulator) == []

    run = run_module('immich_library', lib_args(emulator, state='absent', allow_data_loss=True), check_mode=True)
    assert run.result['changed'] and writes(emulator) == []

    run = run_module('immich_library', lib_args(emulator, state='absent', allow_data_loss=True))
    assert run.result['changed'] and run.result['diff']['after'] == {}
    assert writes(emulator) == [('DELETE', '/api/libraries/%s' % lib['id'])]
    assert emulator.state.live_libraries() == []
    assert emulator.wait_idle() and emulator.state.assets == {}


def test_delete_empty_library_needs_no_flag(emulator):
    run_module('immich_library', lib_args(emulator, import_paths=['/mnt/photos']))
    run = run_module('immich_library', lib_args(emulator, state='absent'))
    assert run.result['changed'] and emulator.state.live_libraries() == []
    again = run_module('immich_library', lib_args(emulator, state='absent'))
    assert not again.result['changed']


def test_non_admin_is_forbidden(emulator):
    emulator.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run = run_module('immich_library', {'api_url': emulator.base_url, 'email': USER_EMAIL, 'password': USER_PASSWORD,
                                        'name': 'x', 'import_paths': ['/mnt/photos']})
    assert run.failed and 'HTTP 403: Forbidden' in run.result['msg']
    assert USER_PASSWORD not in run.text and USER_PASSWORD not in repr(run.raw)
