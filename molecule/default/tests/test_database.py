"""Verify step (testinfra, ansible backend): the CloudNativePG operator, the Immich database and its backups
that converge made, and the recovery drill (playbooks/restore.yml).

Objects are read with kubernetes.core.k8s_info through the controller host of the inventory. Secret values
are never asserted on or printed, only their type and keys. The drill test creates the recovery Cluster,
checks it, and removes it with the playbook's own absent path; it touches nothing else.
"""
import os
import subprocess
import sys

import pytest

testinfra_hosts = ['ansible://controller']

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
INVENTORY = os.environ.get('HOMELAB_IMMICH_TEST_INVENTORY', os.path.join(ROOT, 'inventories', 'local'))
NAMESPACE = 'immich'
CLUSTER = 'immich-database'
RESTORE = 'immich-database-restore'
PLUGIN = 'barman-cloud.cloudnative-pg.io'
K8S = 'kubeconfig={{ homelab_immich_kubeconfig }}'


def k8s_get(host, api_version, kind, name=None, namespace=None, labels=None):
    args = 'api_version=%s kind=%s %s' % (api_version, kind, K8S)
    if name:
        args += ' name=%s' % name
    if namespace:
        args += ' namespace=%s' % namespace
    if labels:
        args += ' label_selectors=%s' % labels
    return host.ansible('kubernetes.core.k8s_info', args, check=False)['resources']


def k8s_one(host, api_version, kind, name, namespace=None):
    resources = k8s_get(host, api_version, kind, name, namespace)
    assert resources, '%s %s not found' % (kind, name)
    return resources[0]


def playbook(*extra):
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY,
           os.path.join(ROOT, 'playbooks', 'restore.yml')] + list(extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def cluster(host):
    return k8s_one(host, 'postgresql.cnpg.io/v1', 'Cluster', CLUSTER, NAMESPACE)


def test_operator_and_plugin_are_available(host):
    for name, image in (('cnpg-controller-manager', 'ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0'),
                        ('barman-cloud', 'ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0')):
        deployment = k8s_one(host, 'apps/v1', 'Deployment', name, 'cnpg-system')
        assert deployment['spec']['template']['spec']['containers'][0]['image'] == image
        available = [c for c in deployment['status'].get('conditions', []) if c['type'] == 'Available']
        assert available and available[0]['status'] == 'True', name


def test_cluster_is_ready(cluster):
    ready = [c for c in cluster['status'].get('conditions', []) if c['type'] == 'Ready']
    assert ready and ready[0]['status'] == 'True'
    assert cluster['status']['phase'] == 'Cluster in healthy state'


def test_cluster_runs_vectorchord_with_the_extensions(cluster):
    spec = cluster['spec']
    assert spec['imageName'] == 'ghcr.io/tensorchord/cloudnative-vectorchord:17.2-0.5.3'
    assert spec['postgresql']['shared_preload_libraries'] == ['vchord.so']
    initdb = spec['bootstrap']['initdb']
    assert (initdb['database'], initdb['owner'], initdb['secret']['name']) == ('immich', 'immich', 'immich-database-owner')
    sql = ' '.join(initdb['postInitApplicationSQL'])
    assert 'CREATE EXTENSION IF NOT EXISTS vchord CASCADE' in sql
    assert 'CREATE EXTENSION IF NOT EXISTS earthdistance CASCADE' in sql


def test_cluster_storage_instances_and_owner_role(cluster):
    spec = cluster['spec']
    assert spec['instances'] == 1 and spec['enablePDB'] is False
    assert spec['storage']['size'] == '20Gi' and spec['storage']['storageClass'] == 'longhorn'
    roles = {r['name']: r for r in spec['managed']['roles']}
    assert roles['immich']['superuser'] is True and roles['immich']['login'] is True
    assert roles['immich']['passwordSecret']['name'] == 'immich-database-owner'


def test_cluster_archives_wal_through_the_plugin(cluster):
    plugins = cluster['spec']['plugins']
    assert [p['name'] for p in plugins] == [PLUGIN]
    assert plugins[0]['isWALArchiver'] is True
    assert plugins[0]['parameters'] == {'barmanObjectName': 'immich-backups'}
    assert 'backup' not in cluster['spec'] or 'barmanObjectStore' not in cluster['spec']['backup']


def test_object_store_points_at_s3_with_checksums_when_required(host):
    store = k8s_one(host, 'barmancloud.cnpg.io/v1', 'ObjectStore', 'immich-backups', NAMESPACE)
    config = store['spec']['configuration']
    assert config['destinationPath'].startswith('s3://')
    assert config['endpointURL'].startswith(('http://', 'https://'))
    assert config['s3Credentials']['accessKeyId'] == {'name': 'immich-database-s3', 'key': 'ACCESS_KEY_ID'}
    assert config['s3Credentials']['secretAccessKey'] == {'name': 'immich-database-s3', 'key': 'ACCESS_SECRET_KEY'}
    env = {e['name']: e['value'] for e in store['spec']['instanceSidecarConfiguration']['env']}
    assert env == {'AWS_REQUEST_CHECKSUM_CALCULATION': 'when_required', 'AWS_RESPONSE_CHECKSUM_VALIDATION': 'when_required'}


def test_scheduled_backup_daily_at_two_with_the_plugin(host):
    scheduled = k8s_one(host, 'postgresql.cnpg.io/v1', 'ScheduledBackup', 'immich-database-daily', NAMESPACE)
    spec = scheduled['spec']
    assert spec['schedule'] == '0 0 2 * * *'
    assert spec['method'] == 'plugin'
    assert spec['pluginConfiguration']['name'] == PLUGIN
    assert spec['cluster']['name'] == CLUSTER
    assert spec['backupOwnerReference'] == 'self'


def test_secrets_are_basic_auth_and_opaque_with_the_right_keys(host):
    owner = k8s_one(host, 'v1', 'Secret', 'immich-database-owner', NAMESPACE)
    assert owner['type'] == 'kubernetes.io/basic-auth'
    assert sorted(owner['data']) == ['password', 'username']
    assert owner['metadata']['labels']['cnpg.io/reload'] == 'true'
    s3 = k8s_one(host, 'v1', 'Secret', 'immich-database-s3', NAMESPACE)
    assert sorted(s3['data']) == ['ACCESS_KEY_ID', 'ACCESS_SECRET_KEY']


def test_restore_drill_bootstraps_a_new_cluster_from_the_archive(host, cluster):
    if k8s_get(host, 'postgresql.cnpg.io/v1', 'Cluster', RESTORE, NAMESPACE):
        pytest.skip('a Cluster %s already exists; this test only removes what it created' % RESTORE)

    # The drill refuses to target the live cluster, and changes nothing then.
    rc, out = playbook('-e', 'immich_database_restore_cluster_name=%s' % CLUSTER)
    assert rc != 0 and 'immich_database_restore_cluster_name' in out, out[-3000:]

    rc, out = playbook('-e', 'immich_database_restore_target_time=2026-11-20T01:30:00Z')
    try:
        assert rc == 0, out[-4000:]
        restored = k8s_one(host, 'postgresql.cnpg.io/v1', 'Cluster', RESTORE, NAMESPACE)
        spec = restored['spec']
        recovery = spec['bootstrap']['recovery']
        assert recovery['source'] == CLUSTER
        assert recovery['recoveryTarget'] == {'targetTime': '2026-11-20T01:30:00Z'}
        assert recovery['secret'] == {'name': 'immich-database-owner'}
        assert len(spec['externalClusters']) == 1
        external = spec['externalClusters'][0]
        assert external['name'] == CLUSTER
        assert external['plugin']['name'] == PLUGIN
        assert external['plugin']['parameters'] == {'barmanObjectName': 'immich-backups', 'serverName': CLUSTER}
        assert 'plugins' not in spec, 'the drill must not archive WAL unless asked to'
        assert spec['postgresql']['shared_preload_libraries'] == ['vchord.so']
        assert restored['metadata']['labels']['homelab.immich/restore-of'] == CLUSTER
        live = k8s_one(host, 'postgresql.cnpg.io/v1', 'Cluster', CLUSTER, NAMESPACE)
        assert live['metadata']['resourceVersion'] == cluster['metadata']['resourceVersion'], 'the live Cluster changed'
    finally:
        rc, out = playbook('-e', 'immich_database_restore_state=absent', '-e', 'immich_database_restore_allow_data_loss=true')
        assert rc == 0, out[-3000:]
    assert not k8s_get(host, 'postgresql.cnpg.io/v1', 'Cluster', RESTORE, NAMESPACE)
