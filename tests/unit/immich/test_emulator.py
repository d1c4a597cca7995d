"""The emulator itself, over raw HTTP: auth rules, validation, messages, scans, persistence, CLI."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, EXPECTED, USER_EMAIL, USER_PASSWORD
from tests.emulators.immich import start_emulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def call(emulator, method, path, body=None, key=None, token=None):
    headers = {'Content-Type': 'application/json'}
    if key:
        headers['x-api-key'] = key
    if token:
        headers['Authorization'] = 'Bearer %s' % token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emulator.base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


def test_auth_rules(emulator):
    status, body = call(emulator, 'GET', '/api/libraries')
    assert status == 401
    assert set(body) == {'message', 'error', 'statusCode', 'correlationId'}
    assert (body['message'], body['error'], body['statusCode']) == ('Authentication required', 'Unauthorized', 401)
    assert call(emulator, 'GET', '/api/libraries', key='nope')[1]['message'] == 'Invalid API key'
    assert call(emulator, 'GET', '/api/libraries', token='nope')[1]['message'] == 'Invalid user token'

    emulator.create_user(USER_EMAIL, USER_PASSWORD, 'User')
    user_key = emulator.create_api_key(USER_EMAIL)
    status, body = call(emulator, 'GET', '/api/libraries', key=user_key)
    assert (status, body['message']) == (403, 'Forbidden')
    assert call(emulator, 'GET', '/api/users/me', key=user_key)[0] == 200

    narrow = emulator.create_api_key(ADMIN_EMAIL, permissions=['user.read'])
    status, body = call(emulator, 'GET', '/api/libraries', key=narrow)
    assert (status, body['message']) == (403, 'Missing required permission: library.read')
    assert call(emulator, 'GET', '/api/users/me', key=narrow)[0] == 200
    for public in ('/api/server/ping', '/api/server/version', '/api/server/features', '/api/server/config'):
        assert call(emulator, 'GET', public)[0] == 200


def test_login_and_logout(emulator):
    status, body = call(emulator, 'POST', '/api/auth/login', {'email': ADMIN_EMAIL.upper(), 'password': ADMIN_PASSWORD})
    assert status == 201 and body['isAdmin'] is True and body['userEmail'] == ADMIN_EMAIL
    token = body['accessToken']
    assert call(emulator, 'GET', '/api/users/me', token=token)[1]['email'] == ADMIN_EMAIL
    logout = {'redirectUri': '/auth/login?autoLaunch=0', 'successful': True}
    assert call(emulator, 'POST', '/api/auth/logout', token=token) == (200, logout)
    assert call(emulator, 'GET', '/api/users/me', token=token)[0] == 401
    status, body = call(emulator, 'POST', '/api/auth/login', {'email': ADMIN_EMAIL, 'password': 'x'})
    assert (status, body['message']) == (401, 'Incorrect email or password')


def test_required_fields_2x_messages(emulator):
    status, body = call(emulator, 'POST', '/api/libraries', {'name': ''}, key=emulator.admin_key)
    assert status == 400 and body['error'] == 'Bad Request'
    assert 'ownerId must be a UUID' in body['message']
    assert 'name should not be empty' in body['message']
    status, body = call(emulator, 'POST', '/api/api-keys', {'permissions': ['all', 'bogus']}, key=emulator.admin_key)
    assert status == 400
    assert any(m.startswith('each value in permissions must be one of the following values: all, ') for m in body['message'])


def test_required_fields_3x_issues(make_emulator):
    emu = make_emulator('3.2.2')
    status, body = call(emu, 'POST', '/api/auth/admin-sign-up', {'email': 'x@y.z'})
    assert status == 400 and body['message'] == 'Validation failed'
    # zod 4 issues carry 'expected' too (as the real 3.1.0 sends them, see tests/contract).
    assert {'expected': 'string', 'code': 'invalid_type', 'path': ['password'],
            'message': 'Invalid input: expected string, received undefined'} in body['errors']
    assert ['name'] in [e['path'] for e in body['errors']]


def test_unknown_properties_are_stripped(emulator):
    admin_id = emulator.state.admin()['id']
    status, body = call(emulator, 'POST', '/api/libraries', {'ownerId': admin_id, 'name': 'L', 'isWatched': True, 'foo': 1},
                        key=emulator.admin_key)
    assert status == 201 and 'foo' not in body and 'isWatched' not in body
    assert body['exclusionPatterns'] == ['**/@eaDir/**', '**/._*', '**/#recycle/**', '**/#snapshot/**',
                                         '**/.stversions/**', '**/.stfolder/**']
    config = call(emulator, 'GET', '/api/system-config', key=emulator.admin_key)[1]
    config['library']['bogus'] = True
    assert call(emulator, 'PUT', '/api/system-config', config, key=emulator.admin_key)[0] == 200
    assert 'bogus' not in emulator.state.config['library']


def test_config_put_requires_the_whole_object(emulator):
    status, body = call(emulator, 'PUT', '/api/system-config', {'library': {'scan': {'enabled': False}}}, key=emulator.admin_key)
    assert status == 400
    assert 'library.scan.cronExpression must be a string' in body['message']
    assert 'ffmpeg must be an object' in body['message']


def test_sign_up_once(make_emulator):
    emu = make_emulator(admin=False)
    body = {'email': ADMIN_EMAIL, 'name': 'A', 'password': ADMIN_PASSWORD}
    assert call(emu, 'POST', '/api/auth/admin-sign-up', body)[0] == 201
    assert call(emu, 'GET', '/api/server/config')[1]['isInitialized'] is True
    status, reply = call(emu, 'POST', '/api/auth/admin-sign-up', body)
    assert (status, reply['message']) == (400, 'The server already has an admin')


def test_admin_config_only_from_3_2(make_emulator):
    old, new = make_emulator('2.5.5'), make_emulator('3.2.2')
    status, body = call(old, 'GET', '/api/admin/config', key=old.admin_key)
    assert (status, body['message']) == (404, 'Cannot GET /api/admin/config')
    assert call(new, 'GET', '/api/admin/config', key=new.admin_key)[1]['newVersionCheck'] == {'enabled': True, 'channel': 'stable'}
    assert call(new, 'GET', '/api/system-config/defaults', key=new.admin_key)[0] == 200
    assert call(new, 'GET', '/api/server/version')[1] == {'major': 3, 'minor': 2, 'patch': 2, 'prerelease': None}
    created = call(new, 'POST', '/api/api-keys', {'permissions': ['all']}, key=new.admin_key)[1]
    assert created['id'] == created['apiKey']['id'] and created['name'] == 'API Key'
    assert set(call(old, 'POST', '/api/api-keys', {'permissions': ['all']}, key=old.admin_key)[1]) == {'apiKey', 'secret'}


def test_uuid_params_and_missing_library(emulator):
    status, body = call(emulator, 'GET', '/api/libraries/abc', key=emulator.admin_key)
    assert (status, body['message']) == (400, ['id must be a UUID'])
    status, body = call(emulator, 'GET', '/api/libraries/00000000-0000-4000-8000-000000000000', key=emulator.admin_key)
    assert (status, body['message']) == (400, 'Library not found')


def test_import_path_validation_messages(emulator, photos):
    lib = call(emulator, 'POST', '/api/libraries', {'ownerId': emulator.state.admin()['id']}, key=emulator.admin_key)[1]
    paths = ['/mnt/photos', '/mnt/photos/trip/', 'photos', '/data/upload', '/mnt/none', '/mnt/photos/a.jpg']
    status, body = call(emulator, 'POST', '/api/libraries/%s/validate' % lib['id'], {'importPaths': paths}, key=emulator.admin_key)
    assert status == 200
    assert [(v['isValid'], v.get('message')) for v in body['importPaths']] == [
        (True, None), (True, None),
        (False, 'Import path must be absolute, try /usr/src/app/photos'),
        (False, 'Cannot use media upload folder for external libraries'),
        (False, 'Path does not exist (ENOENT)'),
        (False, 'Not a directory'),
    ]
    status, body = call(emulator, 'PUT', '/api/libraries/%s' % lib['id'], {'importPaths': ['/mnt/none']}, key=emulator.admin_key)
    assert (status, body['message']) == (400, 'Invalid import path: Path does not exist (ENOENT)')


@pytest.mark.skipif(os.geteuid() == 0, reason='root reads every folder')
def test_unreadable_folder(emulator, photos):
    locked = photos / 'photos' / 'locked'
    locked.mkdir()
    locked.chmod(0)
    try:
        verdict = emulator.storage.validate_import_path('/mnt/photos/locked')
    finally:
        locked.chmod(0o755)
    assert verdict['message'] == 'Lacking read permission for folder'


def test_scan_progresses_through_queues(make_emulator, photos):
    emu = make_emulator(job_interval=0.05)
    lib = call(emu, 'POST', '/api/libraries', {'ownerId': emu.state.admin()['id'], 'importPaths': ['/mnt/photos']},
               key=emu.admin_key)[1]
    assert call(emu, 'POST', '/api/libraries/%s/scan' % lib['id'], key=emu.admin_key) == (204, None)
    seen = set()
    deadline = time.time() + 10
    while time.time() < deadline:
        queues = dict((q['name'], q['statistics']) for q in call(emu, 'GET', '/api/queues', key=emu.admin_key)[1])
        seen.update(name for name, c in queues.items() if c['waiting'] or c['active'])
        if emu.jobs.idle():
            break
        time.sleep(0.02)
    assert {'library', 'sidecar', 'metadataExtraction', 'thumbnailGeneration'} <= seen
    assert call(emu, 'GET', '/api/libraries/%s/statistics' % lib['id'], key=emu.admin_key)[1] == EXPECTED
    jobs = call(emu, 'GET', '/api/jobs', key=emu.admin_key)[1]
    # Like Immich (removeOnComplete), finished jobs are not counted; the emulator's own tally is internal.
    assert jobs['thumbnailGeneration']['jobCounts']['completed'] == 0
    assert emu.jobs.queues['thumbnailGeneration'].completed == 4
    assert jobs['library']['queueStatus'] == {'isActive': False, 'isPaused': False}
    refreshed = call(emu, 'GET', '/api/libraries/%s' % lib['id'], key=emu.admin_key)[1]
    assert refreshed['refreshedAt'] and refreshed['assetCount'] == 4

    # a removed file goes offline and to the trash at the next scan; like Immich's statistics query
    # (no deletedAt filter), the statistics keep counting it
    (photos / 'photos' / 'a.jpg').unlink()
    call(emu, 'POST', '/api/libraries/%s/scan' % lib['id'], key=emu.admin_key)
    assert emu.wait_idle()
    assert call(emu, 'GET', '/api/libraries/%s/statistics' % lib['id'], key=emu.admin_key)[1]['photos'] == 2
    gone = [a for a in emu.state.assets.values() if a['originalPath'] == '/mnt/photos/a.jpg']
    assert len(gone) == 1 and gone[0]['isOffline'] and gone[0]['deletedAt']


def test_state_file_survives_restart(tmp_path, photos):
    state = str(tmp_path / 'state.json')
    first = start_emulator(state_file=state, mounts={'/mnt/photos': str(photos / 'photos')})[0]
    try:
        call(first, 'POST', '/api/auth/admin-sign-up', {'email': ADMIN_EMAIL, 'name': 'A', 'password': ADMIN_PASSWORD})
        key = first.create_api_key(ADMIN_EMAIL)
        call(first, 'POST', '/api/libraries', {'ownerId': first.state.admin()['id'], 'name': 'kept'}, key=key)
    finally:
        first.stop()
    assert ADMIN_PASSWORD not in open(state).read() and key not in open(state).read()
    second = start_emulator(state_file=state)[0]
    try:
        assert call(second, 'GET', '/api/server/config')[1]['isInitialized'] is True
        assert [lib['name'] for lib in call(second, 'GET', '/api/libraries', key=key)[1]] == ['kept']
    finally:
        second.stop()


def test_control_endpoints_over_http(emulator):
    assert call(emulator, 'POST', '/__emulator/faults', {'fail_next': 1, 'fail_status': 504})[1]['fail_next'] == 1
    assert call(emulator, 'GET', '/api/server/ping')[0] == 504
    assert call(emulator, 'GET', '/api/server/ping')[0] == 200
    log = call(emulator, 'GET', '/__emulator/requests')[1]
    assert [(e['path'], e['status'], e['write']) for e in log] == [('/api/server/ping', 504, False), ('/api/server/ping', 200, False)]
    assert call(emulator, 'POST', '/__emulator/faults', {'bogus': 1})[0] == 400
    assert call(emulator, 'POST', '/__emulator/reset-log')[0] == 200
    assert call(emulator, 'GET', '/__emulator/requests')[1] == []
    # 'sdk' names the contract entry: for 2.5.5 the one recorded from the real 2.5.5 (tests/contract/record.py).
    assert call(emulator, 'GET', '/__emulator/health')[1] == {'version': '2.5.5', 'sdk': '2.5.5', 'idle': True}
    call(emulator, 'POST', '/__emulator/reset')
    assert call(emulator, 'GET', '/api/server/config')[1]['isInitialized'] is False


def test_cli_runs_until_sigterm(tmp_path, photos):
    proc = subprocess.Popen([sys.executable, '-m', 'tests.emulators.immich', '--port', '0', '--version', '3.2.2',
                             '--mount', '/mnt/photos=%s' % (photos / 'photos'), '--state', str(tmp_path / 's.json')],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith('immich-emulator ready url=http://127.0.0.1:') and 'version=3.2.2' in line
        url = line.split('url=')[1].split()[0]
        with urllib.request.urlopen(url + '/api/server/ping') as response:
            assert json.loads(response.read()) == {'res': 'pong'}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
    bad = subprocess.run([sys.executable, '-m', 'tests.emulators.immich', '--mount', 'nope'], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and 'CONTAINER_PATH=LOCAL_DIR' in bad.stderr
