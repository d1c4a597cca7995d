"""A real upgrade on kind, after the other verify tests (this file sorts last): site.yml again with
immich_version v3.1.0. The role's migration gate lets 2.5.5 -> 3.1.0 through, the server Deployment rolls
out to the v3.1.0 image, whose own migrations run against the CloudNativePG database at startup, and the
admin, the API key kept in its Secret, the library and its assets all come through.

Not exercised here: the pre-upgrade database backup (inventories/kind has no backup method: the Barman Cloud
plugin needs cert-manager, whose images are not built here), which the testbed scenario covers.
"""
from kind_cluster import (  # pylint: disable=import-error
    NAMESPACE,
    ImmichThroughApiServer,
    condition,
    converge,
    get,
    recap,
    server_pods,
    wait_for,
)

UPGRADE = ['-e', 'immich_version=v3.1.0']


def snapshot():
    """Who and what Immich holds, as the API shows it."""
    client = ImmichThroughApiServer().use_kept_api_key()
    library = client.get('/libraries')[0]
    found = client.request('POST', '/search/metadata', {'libraryId': library['id'], 'size': 1000})
    assert found[0] == 200, found
    return {
        'admins': sorted(u['email'] for u in client.get('/admin/users') if u['isAdmin']),
        'library': (library['id'], library['name'], library['importPaths']),
        'assets': sorted((a['id'], a['originalPath']) for a in found[1]['assets']['items']),
        'key_owner': client.get('/users/me')['email'],
    }


def test_upgrade_to_3_1_0_keeps_the_admin_the_key_the_library_and_its_assets():
    before = snapshot()
    assert before['assets'], 'nothing imported before the upgrade'
    secret_before = get('secret', 'immich-api-key', NAMESPACE)['metadata']['uid']
    pod_before = server_pods()[0]['metadata']['uid']

    code, output = converge(*UPGRADE)
    assert code == 0, output[-4000:]

    deployment = get('deployment', 'immich-server', NAMESPACE)
    assert deployment['spec']['template']['spec']['containers'][0]['image'] == 'localhost/immich-server:v3.1.0'
    pods = wait_for(lambda: [p for p in server_pods() if condition(p, 'Ready').get('status') == 'True'], 300,
                    'no Ready immich-server pod after the upgrade')
    assert pods[0]['metadata']['uid'] != pod_before
    version = ImmichThroughApiServer().get('/server/version')
    assert (version['major'], version['minor'], version['patch']) == (3, 1, 0)

    # The same key (its Secret was not replaced) still works as the admin's on the migrated database.
    assert get('secret', 'immich-api-key', NAMESPACE)['metadata']['uid'] == secret_before
    assert snapshot() == before

    code, output = converge(*UPGRADE)
    assert code == 0, output[-3000:]
    assert recap(output) and not any(recap(output)), output[-3000:]
