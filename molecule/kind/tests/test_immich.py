"""Immich for real on kind, after the scenario's converge of site.yml at v2.5.5.

The server is the image built from Immich's release source (tests/kind/images/immich-server), run by the
immich role's Deployment with its real probes; the immich_library role set it up through the API server's
service proxy, which is also how these tests reach it (Immich's own API key in x-api-key, the kubeconfig's
client certificate for the API server). The photos are the seeded tree on a local PersistentVolume (no NFS
client in this kernel), mounted read-only where the immich role mounts the NAS export.

Not exercised here (and not claimed): machine learning (not run: immich_ml_enabled false, its models cannot
be downloaded here), video (no ffmpeg in the seeded photos), reverse geocoding (the image's geodata is a stub).
"""
import os

from kind_cluster import (  # pylint: disable=import-error
    NAMESPACE,
    ImmichThroughApiServer,
    condition,
    converge_audited,
    describe,
    get,
    kubectl,
    recap,
    server_pods,
    writes,
)

# The seeded photos (tests/upstream/immich/media.py): four JPEGs and a PNG; the copies under .stversions/ and
# @eaDir/ are what Immich's default exclusions keep out.
SEEDED = ['2024/IMG_0001.jpg', '2024/IMG_0002.jpg', '2025/holiday/IMG_0003.jpg', '2025/holiday/IMG_0004.jpg',
          '2025/screenshot.png']
DEFAULT_EXCLUSIONS = ['**/@eaDir/**', '**/._*', '**/#recycle/**', '**/#snapshot/**', '**/.stversions/**',
                      '**/.stfolder/**']
SCAN_CRON = '0 3 * * *'


def immich():
    return ImmichThroughApiServer().use_kept_api_key()


def library_assets(client, library_id):
    found = client.request('POST', '/search/metadata', {'libraryId': library_id, 'size': 1000})
    assert found[0] == 200, found
    return found[1]['assets']['items']


def test_server_pod_is_ready_through_its_probes_and_answers_its_version():
    pods = server_pods()
    assert len(pods) == 1, [p['metadata']['name'] for p in pods]
    assert condition(pods[0], 'Ready').get('status') == 'True'
    container = pods[0]['spec']['containers'][0]
    assert container['image'] == 'localhost/immich-server:v2.5.5'
    for probe in ('startupProbe', 'readinessProbe', 'livenessProbe'):
        assert container[probe]['httpGet']['path'] == '/api/server/ping', probe
    # A kubelet's report: the container started from that image and its probes passed.
    status = pods[0]['status']['containerStatuses'][0]
    assert status['ready'] and status['started'] and status['imageID']
    version = ImmichThroughApiServer().get('/server/version')
    assert (version['major'], version['minor'], version['patch']) == (2, 5, 5)


def test_no_machine_learning_runs_and_immich_says_it_is_off():
    deployments = [d['metadata']['name'] for d in get('deployments', namespace=NAMESPACE)['items']]
    assert 'immich-machine-learning' not in deployments, deployments
    assert 'immich-server' in deployments
    config = immich().get('/system-config')
    assert config['machineLearning']['enabled'] is False


def test_one_admin_and_exactly_one_library_over_the_photos():
    client = immich()
    users = client.get('/admin/users')
    assert [u['isAdmin'] for u in users] == [True], users
    libraries = client.get('/libraries')
    assert len(libraries) == 1, libraries
    assert libraries[0]['importPaths'] == ['/mnt/photos']
    assert sorted(libraries[0]['exclusionPatterns']) == sorted(DEFAULT_EXCLUSIONS)
    scan = client.get('/system-config')['library']
    assert scan['scan'] == {'enabled': True, 'cronExpression': SCAN_CRON}
    assert scan['watch'] == {'enabled': False}


def test_the_first_scan_imported_every_seeded_photo_and_made_thumbnails():
    client = immich()
    library = client.get('/libraries')[0]
    assets = library_assets(client, library['id'])
    paths = sorted(os.path.relpath(a['originalPath'], '/mnt/photos') for a in assets)
    # Nothing from .stversions/ or @eaDir/: the default exclusions held on a real scan.
    assert paths == sorted(SEEDED), paths
    assert client.get('/libraries/%s/statistics' % library['id'])['total'] == len(SEEDED)
    for asset in assets:
        status, body = client.request('GET', '/assets/%s/thumbnail' % asset['id'], raw=True)
        assert status == 200 and len(body) > 100, (asset['originalPath'], status)
    # Metadata extraction read the EXIF the seeded JPEGs carry (exiftool in the image).
    jpeg = next(a for a in assets if a['originalPath'].endswith('IMG_0001.jpg'))
    assert client.get('/assets/%s' % jpeg['id'])['exifInfo']['make'] == 'HomelabCam'


def test_the_photos_are_read_only_in_the_server_container():
    pod = server_pods()[0]['metadata']['name']
    proc = kubectl('exec', '-n', NAMESPACE, pod, '-c', 'immich-server', '--', 'touch', '/mnt/photos/x', check=False)
    assert proc.returncode != 0
    assert 'Read-only file system' in proc.stderr, proc.stderr
    # The library PVC, by contrast, is writable (Immich writes thumbnails there).
    assert kubectl('exec', '-n', NAMESPACE, pod, '-c', 'immich-server', '--', 'test', '-w', '/data').returncode == 0


def test_a_second_run_changes_nothing_and_writes_neither_to_kubernetes_nor_to_immich():
    code, output, events = converge_audited()
    assert code == 0, output[-3000:]
    assert recap(output) and not any(recap(output)), output[-3000:]
    k8s_writes, immich_writes = writes(events)
    assert not k8s_writes, k8s_writes
    assert not immich_writes, (immich_writes, output[-200:])
    # The run did talk to Immich through the API server (the audit log sees the collection's requests on the
    # proxy: its client's user agent), so "no write" is real.
    assert any((e.get('objectRef') or {}).get('subresource') == 'proxy' and e.get('userAgent') == 'homelab.immich'
               for e in events), [describe(e) for e in events][:20]
