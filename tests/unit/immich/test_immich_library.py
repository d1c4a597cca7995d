"""immich_library: create/update/delete an external library, validation and guards.

Tests taking ``immich`` run on every backend in IMMICH_TEST_BACKENDS (emulator, real-2.5.5, real-3.1.0)
with the same assertions; tests taking ``emulator``/``make_emulator`` are emulator-only (fault injection,
or an Immich version no real server here runs) and say so."""

import pytest

from ansible_collections.homelab.immich.plugins.module_utils.immich import DEFAULT_EXCLUSION_PATTERNS, ImmichClient
from immich_helpers import USER_EMAIL, USER_PASSWORD, conn, run_module, writes

SIX_DEFAULTS = ['**/@eaDir/**', '**/._*', '**/#recycle/**', '**/#snapshot/**', '**/.stversions/**', '**/.stfolder/**']


def lib_args(backend, **extra):
    return conn(backend, **dict({'name': 'NAS photos', 'media_location': backend.media}, **extra))


def only_library(backend):
    libs = backend.libraries()
    assert len(libs) == 1, libs
    return libs[0]


def update_method(backend):
    return 'PATCH' if backend.version >= '3' else 'PUT'


def test_module_defaults_are_the_servers_defaults(immich):
    """A library made with no exclusionPatterns gets the server's own defaults: the module's list must equal them."""
    made = ImmichClient(immich.base_url, api_key=immich.admin_key).post(
        '/libraries', {'ownerId': immich.admin()['id'], 'name': 'bare'})
    assert made['exclusionPatterns'] == SIX_DEFAULTS == DEFAULT_EXCLUSION_PATTERNS


def test_create_validates_then_rerun_writes_nothing(immich):
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos], exclusion_patterns=['**/tmp/**']))
    assert run.rc == 0 and run.result['changed'], run.result
    assert run.result['created'] is True
    lib = only_library(immich)
    assert lib['importPaths'] == [immich.photos]
    assert lib['exclusionPatterns'] == SIX_DEFAULTS + ['**/tmp/**']
    assert lib['ownerId'] == immich.admin()['id']
    assert run.result['library']['id'] == lib['id']
    assert run.result['validation'] == [{'importPath': immich.photos, 'isValid': True}]
    assert run.result['diff']['before'] == {}
    assert run.result['diff']['after']['importPaths'] == [immich.photos]
    # validated first (no library needed), then created in one request
    assert writes(immich) == [('POST', '/api/libraries')]
    assert [e['path'] for e in immich.requests if e['method'] == 'POST'] == [
        '/api/libraries/00000000-0000-4000-8000-000000000000/validate', '/api/libraries']

    immich.reset_log()
    again = run_module('immich_library', lib_args(immich, import_paths=[immich.photos], exclusion_patterns=['**/tmp/**']))
    assert not again.result['changed']
    assert again.result['created'] is False
    assert writes(immich) == []
    assert 'diff' not in again.result


def test_update_paths_and_patterns_with_diff(immich):
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos, immich.more],
                                                exclusion_patterns=['**/*.tmp'], default_exclusions=False))
    assert run.result['changed']
    assert run.result['created'] is False
    lib = only_library(immich)
    assert lib['importPaths'] == [immich.photos, immich.more]
    assert lib['exclusionPatterns'] == ['**/*.tmp']
    assert run.result['diff']['before']['importPaths'] == [immich.photos]
    assert run.result['diff']['after']['importPaths'] == [immich.photos, immich.more]
    assert run.result['diff']['after']['exclusionPatterns'] == ['**/*.tmp']
    assert [method for method, path in writes(immich)] == [update_method(immich)]
    assert any("removes from Immich its assets matching **/*.tmp" in w for w in run.warnings), run.warnings
    assert any('exclusion patterns **/#recycle/**' in w and 'are removed' in w for w in run.warnings), run.warnings


def test_patterns_a_user_added_are_not_removed_silently(immich):
    client = ImmichClient(immich.base_url, api_key=immich.admin_key)
    made = client.post('/libraries', {'ownerId': immich.admin()['id'], 'name': 'NAS photos', 'importPaths': [immich.photos],
                                      'exclusionPatterns': SIX_DEFAULTS + ['**/Private/**']})
    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, exclusion_patterns=['**/tmp/**']))
    assert run.result['changed']
    assert any("exclusion patterns **/Private/** of library 'NAS photos' are removed" in w for w in run.warnings), run.warnings
    assert sorted(immich.library(made['id'])['exclusionPatterns']) == sorted(SIX_DEFAULTS + ['**/tmp/**'])


def test_order_of_paths_does_not_matter(immich):
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos, immich.more]))
    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.more, immich.photos]))
    assert not run.result['changed'] and writes(immich) == []


def test_check_mode_changes_nothing_and_validates_a_new_library(immich):
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos]), check_mode=True)
    assert run.result['changed'] and run.result['library'] == {}
    assert run.result['validation'] == [{'importPath': immich.photos, 'isValid': True}]
    assert writes(immich) == [] and immich.libraries() == []

    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos + '/nope']), check_mode=True)
    assert run.failed and 'Path does not exist (ENOENT)' in run.result['msg']

    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.more]), check_mode=True)
    assert run.result['changed']
    assert run.result['diff']['after']['importPaths'] == [immich.more]
    assert writes(immich) == []
    assert only_library(immich)['importPaths'] == [immich.photos]


@pytest.mark.parametrize('paths, message', [
    (['photos'], "import_paths[0] must be an absolute path, got 'photos'"),
    (['{photos}', ''], 'import_paths[1] must not be empty'),
    (['{media}/library'], "import_paths[0] '{media}/library' is inside Immich's media folder {media} (media_location)"),
    (['{photos}', '{photos}'], "import_paths[1] '{photos}' is listed twice"),
])
def test_bad_paths_fail_before_any_request(immich, paths, message):
    fill = {'photos': immich.photos, 'media': immich.media}
    run = run_module('immich_library', lib_args(immich, import_paths=[p.format(**fill) for p in paths]))
    assert run.failed
    assert message.format(**fill) in run.result['msg']
    assert immich.requests == []
    assert immich.libraries() == []


def test_media_location_must_be_absolute(immich):
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos], media_location='data'))
    assert run.failed and "media_location must be an absolute path, got 'data'" in run.result['msg']
    assert immich.requests == []


def test_server_refuses_its_media_folder_too(immich):
    """With validate the server's own check (StorageCore.isImmichPath) is met even when media_location is wrong."""
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.media], media_location='/elsewhere'))
    assert run.failed
    assert 'Cannot use media upload folder for external libraries' in run.result['msg']
    assert writes(immich) == [] and immich.libraries() == []


def test_missing_path_on_new_library_leaves_nothing(immich):
    nope = immich.photos + '/nope'
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos, nope]))
    assert run.failed
    assert "import_paths[1] '%s': Path does not exist (ENOENT)" % nope in run.result['msg']
    assert 'the library was not created' in run.result['msg']
    assert immich.libraries() == [] and writes(immich) == []
    assert run.result['validation'][1] == {'importPath': nope, 'isValid': False, 'message': 'Path does not exist (ENOENT)'}


def test_missing_path_on_existing_library_writes_nothing(immich):
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    immich.reset_log()
    a_file = immich.photos + '/2025/screenshot.png'
    run = run_module('immich_library', lib_args(immich, import_paths=[a_file]))
    assert run.failed and 'Not a directory' in run.result['msg']
    assert writes(immich) == []
    assert only_library(immich)['importPaths'] == [immich.photos]


def test_validate_false_still_meets_the_servers_own_check(immich):
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos + '/gone'], validate=False))
    assert run.failed
    assert 'Invalid import path: Path does not exist (ENOENT)' in run.result['msg']
    assert only_library(immich)['importPaths'] == [immich.photos]


def test_validate_false_creates_in_one_request(immich):
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.photos], validate=False))
    assert run.result['changed']
    assert [(e['method'], e['path']) for e in immich.requests if e['method'] != 'GET'] == [('POST', '/api/libraries')]
    assert only_library(immich)['importPaths'] == [immich.photos]


def test_validation_needs_the_all_permission(immich):
    """Immich's validate route names no permission, so an API key without `all` gets 403."""
    narrow = immich.create_api_key('admin@example.com', permissions=['library.read', 'library.create', 'user.read'],
                                   name='narrow')
    run = run_module('immich_library', dict(lib_args(immich, import_paths=[immich.photos]), api_key=narrow))
    assert run.failed and 'Missing required permission: all' in run.result['msg']
    assert immich.libraries() == []
    run = run_module('immich_library', dict(lib_args(immich, import_paths=[immich.photos], validate=False), api_key=narrow))
    assert run.result['changed'] and only_library(immich)['importPaths'] == [immich.photos]


def test_owner_by_email_and_unknown_owner(immich):
    user = immich.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run = run_module('immich_library', lib_args(immich, owner=USER_EMAIL.upper(), import_paths=[immich.photos]))
    assert run.result['changed'] and only_library(immich)['ownerId'] == user['id']

    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, name='Other', owner='nobody@example.com', import_paths=[immich.more]))
    assert run.failed and "owner 'nobody@example.com' is not an Immich user" in run.result['msg']
    assert writes(immich) == []
    assert len(immich.libraries()) == 1


def test_owner_cannot_change(immich):
    immich.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, owner=USER_EMAIL, import_paths=[immich.photos]))
    assert run.failed and 'Immich cannot change the owner' in run.result['msg']
    assert writes(immich) == []


def test_two_libraries_with_the_name_are_refused(immich):
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    # Immich does not keep names unique: a second one made in the web UI, say.
    ImmichClient(immich.base_url, api_key=immich.admin_key).post(
        '/libraries', {'ownerId': immich.admin()['id'], 'name': 'NAS photos'})
    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, import_paths=[immich.more]))
    assert run.failed and "2 Immich libraries are named 'NAS photos'" in run.result['msg']
    assert writes(immich) == []
    assert sorted(lib['importPaths'] for lib in immich.libraries()) == [[], [immich.photos]]


def test_delete_guard_and_delete(immich, media):
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    lib = only_library(immich)
    immich.scan(lib['id'])
    assert immich.wait_idle()
    assert immich.statistics(lib['id']) == media.expected()
    total = media.expected()['total']

    immich.reset_log()
    run = run_module('immich_library', lib_args(immich, state='absent'))
    assert run.failed
    assert "holds %d assets" % total in run.result['msg'] and 'allow_data_loss' in run.result['msg']
    assert writes(immich) == []

    run = run_module('immich_library', lib_args(immich, state='absent', allow_data_loss=True), check_mode=True)
    assert run.result['changed'] and writes(immich) == []

    run = run_module('immich_library', lib_args(immich, state='absent', allow_data_loss=True))
    assert run.result['changed'] and run.result['diff']['after'] == {}
    assert writes(immich) == [('DELETE', '/api/libraries/%s' % lib['id'])]
    assert immich.libraries() == []
    assert immich.wait_idle()


def test_delete_empty_library_needs_no_flag(immich):
    run_module('immich_library', lib_args(immich, import_paths=[immich.photos]))
    run = run_module('immich_library', lib_args(immich, state='absent'))
    assert run.result['changed'] and immich.libraries() == []
    again = run_module('immich_library', lib_args(immich, state='absent'))
    assert not again.result['changed']


def test_non_admin_is_forbidden(immich):
    immich.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    run = run_module('immich_library', {'api_url': immich.base_url, 'email': USER_EMAIL, 'password': USER_PASSWORD,
                                        'name': 'x', 'import_paths': [immich.photos]})
    assert run.failed and 'HTTP 403' in run.result['msg']
    assert USER_PASSWORD not in run.text and USER_PASSWORD not in repr(run.raw)
    assert immich.libraries() == []


# -- emulator-only: fault injection (the real server cannot be told to lose an answer) --------------

@pytest.mark.parametrize('status', [502, 504])
def test_lost_answer_to_create_is_not_retried(emulator, status):
    """Emulator-only (fault injection): the POST reaches the server, which makes the library, but the
    answer is replaced by a gateway error. The module must not send a second POST; it re-reads and adopts."""
    emulator.set_faults(fail_next=1, fail_status=status, path_prefix='/api/libraries', method='POST',
                        after_handling=True)
    # validate=False: the fault's path prefix would also hit POST /libraries/{id}/validate.
    run = run_module('immich_library', lib_args_emu(emulator, import_paths=['/mnt/photos'], validate=False))
    assert run.rc == 0 and run.result['changed'] and run.result['created'], run.result
    assert [(e['method'], e['path'], e['status']) for e in emulator.requests if e['method'] == 'POST'
            and e['path'] == '/api/libraries'] == [('POST', '/api/libraries', status)]
    assert len(emulator.state.live_libraries()) == 1
    assert run.result['library']['id'] == emulator.state.live_libraries()[0]['id']
    assert any('answer to POST /libraries was lost' in w for w in run.warnings)


def test_failed_create_that_made_nothing_says_so(emulator):
    """Emulator-only (fault injection): a 503 before the server did anything: one POST, nothing made, clear error."""
    emulator.set_faults(fail_next=1, fail_status=503, path_prefix='/api/libraries', method='POST')
    run = run_module('immich_library', lib_args_emu(emulator, import_paths=['/mnt/photos'], validate=False))
    assert run.failed and 'nothing was created' in run.result['msg']
    assert [e['status'] for e in emulator.requests if e['method'] == 'POST'] == [503]
    assert emulator.state.live_libraries() == []


def lib_args_emu(emulator, **extra):
    return conn(emulator, **dict({'name': 'NAS photos'}, **extra))


@pytest.mark.parametrize('version, method', [('2.5.5', 'PUT'), ('3.1.0', 'PATCH'), ('3.2.2', 'PATCH')])
def test_update_method_per_version(make_emulator, version, method):
    """Emulator-only for 3.2.2 (no real 3.2 here): PUT before 3.0, PATCH from 3.0 on (PUT deprecated)."""
    emu = make_emulator(version)
    run_module('immich_library', lib_args_emu(emu, import_paths=['/mnt/photos']))
    emu.reset_log()
    run_module('immich_library', lib_args_emu(emu, import_paths=['/mnt/more']))
    assert [write[0] for write in writes(emu)] == [method]
