"""Verify what immich_library set up through Immich's API, on the emulator the testbed runs.

After converge and idempotence: the admin exists, exactly one library imports /mnt/photos, the
periodic scan runs on the inventory's cron with file watching off, and the library was scanned
exactly once over both runs (so none on the second). Reads go through the API key the role kept
in its Kubernetes Secret, which also proves that Secret works.
"""
import base64
import json
import os
import urllib.request

import pytest
import yaml
from kubernetes import client, config

ROOT = os.environ.get('MOLECULE_PROJECT_DIRECTORY') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..', '..'))
GROUP_VARS = os.path.join(ROOT, 'inventories', 'local', 'group_vars', 'all')
URL = os.environ.get('IMMICH_EMULATOR_URL', 'http://127.0.0.1:22283')


def group_vars(name):
    with open(os.path.join(GROUP_VARS, name), encoding='utf-8') as handle:
        return yaml.safe_load(handle)


LIBRARY = group_vars('immich_library.yml')
NAMESPACE = group_vars('cluster.yml')['homelab_immich_namespace']


def call(path, api_key=None):
    request = urllib.request.Request(URL + path, headers={'x-api-key': api_key} if api_key else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope='module')
def api_key():
    api = config.new_client_from_config(config_file=os.environ['KUBECONFIG'])
    secret = client.CoreV1Api(api).read_namespaced_secret('immich-api-key', NAMESPACE)
    return base64.b64decode(secret.data['api-key']).decode()


def test_admin_exists():
    assert call('/api/server/config')['isInitialized'] is True


def test_kept_api_key_belongs_to_the_admin(api_key):
    me = call('/api/users/me', api_key)
    assert me['email'] == LIBRARY['immich_library_admin_email']
    assert me['isAdmin'] is True


def test_exactly_one_library_over_the_photos(api_key):
    libraries = call('/api/libraries', api_key)
    assert [lib['name'] for lib in libraries] == [LIBRARY['immich_library_name']]
    assert libraries[0]['importPaths'] == ['/mnt/photos']
    # Immich's default exclusions are kept.
    assert '**/@eaDir/**' in libraries[0]['exclusionPatterns']


def test_periodic_scan_on_and_watch_off(api_key):
    settings = call('/api/system-config', api_key)['library']
    assert settings['scan'] == {'enabled': True, 'cronExpression': LIBRARY['immich_library_scan_cron']}
    assert settings['watch']['enabled'] is False


def test_job_concurrency_applied(api_key):
    jobs = call('/api/system-config', api_key)['job']
    for queue, concurrency in LIBRARY['immich_library_job_concurrency'].items():
        assert jobs[queue]['concurrency'] == concurrency


def test_scanned_exactly_once_over_converge_and_idempotence(api_key):
    library_id = call('/api/libraries', api_key)[0]['id']
    scans = [r for r in call('/__emulator/requests')
             if r['method'] == 'POST' and r['path'] == '/api/libraries/%s/scan' % library_id]
    assert len(scans) == 1, scans


def test_scan_found_the_photos(api_key):
    """The seeded tree has 5 photos and 1 video outside the excluded @eaDir and ._ files."""
    library_id = call('/api/libraries', api_key)[0]['id']
    statistics = call('/api/libraries/%s/statistics' % library_id, api_key)
    assert (statistics['photos'], statistics['videos']) == (5, 1)
