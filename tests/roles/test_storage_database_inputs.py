"""roles/csi_driver_nfs and roles/immich_database on the testbed: bad input and unsafe changes fail in
preflight with a message naming the variable, and nothing is created or changed.

Every bad-input case runs ansible-playbook for real (not --check) in a namespace that does not exist, with
cluster-scoped names (PV, StorageClass) of its own, and then checks that none of them exists: without the
check under test, the role would go on and create them, so each case can fail. A --check run of the same
playbook with valid input (the baseline) shows that the harness itself passes. The data-safety cases run
against the converged objects (namespace immich) and check that they are unchanged; they are skipped when
the testbed has not been converged. The ExternalSecret case creates its own ClusterSecretStore and
namespace and removes them afterwards.

Needs the running testbed (`make testbed-up`); fails otherwise (conftest.testbed_env).
"""
import json
import os
import re
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
PLAYBOOK = """---
- name: The storage and database roles under test
  hosts: controller
  gather_facts: false
  module_defaults:
    group/kubernetes.core.k8s:
      kubeconfig: "{{ homelab_immich_kubeconfig }}"
    group/kubernetes.core.helm:
      kubeconfig: "{{ homelab_immich_kubeconfig }}"
      binary_path: "{{ homelab_immich_helm_binary }}"
  roles:
    - role: homelab.immich.%s
"""

# A role's other entry point (tasks_from), with the same connection settings.
ENTRY_PLAYBOOK = PLAYBOOK.split('  roles:', maxsplit=1)[0] + """  tasks:
    - name: The entry point under test
      ansible.builtin.include_role:
        name: homelab.immich.%s
        tasks_from: %s
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def testbed(testbed_env):
    env = testbed_env
    kubernetes = pytest.importorskip('kubernetes')
    from kubernetes.dynamic import DynamicClient  # noqa: PLC0415
    api = DynamicClient(kubernetes.config.new_client_from_config(config_file=env['KUBECONFIG']))
    return env, api


def _run(testbed, tmp_path, role, extra_vars, check=False, tags=None, tasks_from=None):
    env, dummy = testbed
    playbook = tmp_path / 'play.yml'
    playbook.write_text(ENTRY_PLAYBOOK % (role, tasks_from) if tasks_from else PLAYBOOK % role)
    varfile = tmp_path / 'vars.json'
    varfile.write_text(json.dumps(extra_vars))
    cmd = [ANSIBLE_PLAYBOOK, '-i', os.path.join(ROOT, 'inventories', 'local'), str(playbook), '-e', '@' + str(varfile)]
    if check:
        cmd.append('--check')
    if tags:
        cmd += ['--tags', tags]
    run_env = dict(os.environ, **env)
    run_env['ANSIBLE_CONFIG'] = os.path.join(ROOT, 'ansible.cfg')
    run_env['ANSIBLE_NOCOLOR'] = '1'
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _get(api, api_version, kind, name, namespace=None):
    """One object as a dict; None when it (or its kind) does not exist."""
    from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError  # noqa: PLC0415
    try:
        return api.resources.get(api_version=api_version, kind=kind).get(name=name, namespace=namespace).to_dict()
    except (NotFoundError, ResourceNotFoundError):
        return None


def _cluster(api, name='immich-database', namespace='immich'):
    return _get(api, 'postgresql.cnpg.io/v1', 'Cluster', name, namespace)


def _names(tag):
    """Names no other test or converge uses: a namespace, a PV and a StorageClass of this case only."""
    return {'ns': 'hi-test-%s' % tag, 'pv': 'hi-test-%s-photos' % tag, 'sc': 'hi-test-%s-nfs' % tag}


def _csi_vars(names, **overrides):
    values = {
        'homelab_immich_namespace': names['ns'],
        'csi_driver_nfs_pv_name': names['pv'],
        'csi_driver_nfs_pvc_name': names['pv'],
        'csi_driver_nfs_storage_class_name': names['sc'],
    }
    values.update(overrides)
    return values


def _db_vars(names, **overrides):
    values = {'homelab_immich_namespace': names['ns']}
    values.update(overrides)
    return values


def _assert_nothing_created(api, names):
    assert _get(api, 'v1', 'Namespace', names['ns']) is None, 'namespace %s was created' % names['ns']
    assert _get(api, 'v1', 'PersistentVolume', names['pv']) is None, 'PV %s was created' % names['pv']
    assert _get(api, 'storage.k8s.io/v1', 'StorageClass', names['sc']) is None, 'StorageClass was created'


CSI_CASES = [
    ('share-not-absolute', 'csi_driver_nfs_share', {'csi_driver_nfs_share': 'mnt/BigTank/photos/All'}),
    ('share-dotdot', 'csi_driver_nfs_share', {'csi_driver_nfs_share': '/mnt/BigTank/../etc'}),
    ('empty-server', 'csi_driver_nfs_server', {'csi_driver_nfs_server': ''}),
    ('server-with-scheme', 'csi_driver_nfs_server', {'csi_driver_nfs_server': 'nfs://192.168.10.133'}),
    ('rw-mount-option', 'csi_driver_nfs_extra_mount_options', {'csi_driver_nfs_extra_mount_options': ['rw']}),
    ('capacity-not-quantity', 'csi_driver_nfs_capacity', {'csi_driver_nfs_capacity': '1TB'}),
    ('nfs-version', 'csi_driver_nfs_nfs_version', {'csi_driver_nfs_nfs_version': '5'}),
]

DB_CASES = [
    ('size-20GB', 'immich_database_storage_size', {'immich_database_storage_size': '20GB'}),
    ('cron-5-fields', 'immich_database_backup_schedule', {'immich_database_backup_schedule': '0 2 * * *'}),
    ('endpoint-without-scheme', 'immich_database_s3_endpoint_url', {'immich_database_s3_endpoint_url': '192.168.10.133:30293'}),
    ('instances-0', 'immich_database_instances', {'immich_database_instances': 0}),
    ('missing-s3-access-key', 'immich_database_s3_access_key', {'immich_database_s3_access_key': ''}),
    ('missing-s3-secret', 'immich_database_s3_secret_access_key', {'immich_database_s3_secret_access_key': ''}),
    ('external-secret-without-store', 'immich_database_owner_external_secret_store_name',
     {'immich_database_owner_secret_source': 'external_secret', 'immich_database_owner_external_secret_store_name': ''}),
    ('image-without-major', 'immich_database_image', {'immich_database_image': 'ghcr.io/tensorchord/cloudnative-vectorchord:latest'}),
    ('destination-not-s3', 'immich_database_backup_destination_path', {'immich_database_backup_destination_path': 'immich-backups'}),
    ('retention', 'immich_database_backup_retention', {'immich_database_backup_retention': '30 days'}),
    ('backup-method', 'immich_database_backup_method', {'immich_database_backup_method': 'snapshot'}),
]


def test_csi_baseline_passes(testbed, tmp_path):
    """Valid input through the same harness (check mode, in the converged namespace): rc 0."""
    names = _names(uuid.uuid4().hex[:8])
    dummy, api = testbed
    if _get(api, 'v1', 'Namespace', 'immich') is None:
        pytest.fail('the testbed is not converged (namespace immich is missing)')
    rc, out = _run(testbed, tmp_path, 'csi_driver_nfs', _csi_vars(names, homelab_immich_namespace='immich'), check=True)
    assert rc == 0, out[-3000:]
    _assert_nothing_created(api, names)


@pytest.mark.parametrize('case,variable,overrides', CSI_CASES, ids=[c[0] for c in CSI_CASES])
def test_csi_bad_input_fails_before_any_change(testbed, tmp_path, case, variable, overrides):
    names = _names(uuid.uuid4().hex[:8])
    rc, out = _run(testbed, tmp_path, 'csi_driver_nfs', _csi_vars(names, **overrides))
    assert rc != 0, '%s: the run succeeded:\n%s' % (case, out[-3000:])
    assert variable in out, '%s: the output does not name %s:\n%s' % (case, variable, out[-3000:])
    _assert_nothing_created(testbed[1], names)


@pytest.mark.parametrize('method', ['plugin', 'barman_object_store', 'none'])
def test_database_baseline_passes(testbed, tmp_path, method):
    """Valid input through the same harness (check mode, in the converged namespace, names of its own): rc 0,
    for each backup method (the server dry-runs the rendered objects against the CRDs)."""
    names = _names(uuid.uuid4().hex[:8])
    dummy, api = testbed
    if _get(api, 'v1', 'Namespace', 'immich') is None:
        pytest.fail('the testbed is not converged (namespace immich is missing)')
    extra = _db_vars(names, homelab_immich_namespace='immich', immich_database_cluster_name=names['ns'],
                     immich_database_owner_secret_name=names['ns'] + '-owner',
                     immich_database_s3_secret_name=names['ns'] + '-s3',
                     immich_database_object_store_name=names['ns'] + '-backups',
                     immich_database_scheduled_backup_name=names['ns'] + '-daily',
                     immich_database_backup_method=method)
    if method == 'none':
        # No S3 credentials are needed without backups.
        extra.update(immich_database_s3_access_key='', immich_database_s3_secret_access_key='')
    rc, out = _run(testbed, tmp_path, 'immich_database', extra, check=True)
    assert rc == 0, out[-3000:]
    assert _cluster(api, names['ns']) is None


@pytest.mark.parametrize('case,variable,overrides', DB_CASES, ids=[c[0] for c in DB_CASES])
def test_database_bad_input_fails_before_any_change(testbed, tmp_path, case, variable, overrides):
    names = _names(uuid.uuid4().hex[:8])
    rc, out = _run(testbed, tmp_path, 'immich_database', _db_vars(names, **overrides))
    assert rc != 0, '%s: the run succeeded:\n%s' % (case, out[-3000:])
    assert variable in out, '%s: the output does not name %s:\n%s' % (case, variable, out[-3000:])
    _assert_nothing_created(testbed[1], names)


def test_cron_message_says_seconds_first(testbed, tmp_path):
    names = _names(uuid.uuid4().hex[:8])
    rc, out = _run(testbed, tmp_path, 'immich_database', _db_vars(names, immich_database_backup_schedule='0 2 * * *'))
    assert rc != 0
    assert 'SECONDS first' in out and '"0 0 2 * * *"' in out, out[-3000:]


# --- Data safety against the converged objects -------------------------------------------------------------

@pytest.fixture()
def converged(testbed):
    dummy, api = testbed
    cluster = _cluster(api)
    pv = _get(api, 'v1', 'PersistentVolume', 'immich-photos')
    if cluster is None or pv is None:
        pytest.fail('the testbed is not converged (Cluster immich/immich-database or PV immich-photos missing)')
    return cluster, pv


def test_smaller_storage_refused(testbed, tmp_path, converged):
    cluster, dummy = converged
    rc, out = _run(testbed, tmp_path, 'immich_database', {'immich_database_storage_size': '10Gi'})
    assert rc != 0, out[-3000:]
    assert 'immich_database_storage_size' in out and 'never shrink' in out, out[-3000:]
    after = _cluster(testbed[1])
    assert after['spec']['storage']['size'] == cluster['spec']['storage']['size']
    assert after['metadata']['resourceVersion'] == cluster['metadata']['resourceVersion']


def test_other_postgres_major_refused(testbed, tmp_path, converged):
    cluster, dummy = converged
    for image in ('ghcr.io/tensorchord/cloudnative-vectorchord:16.9-0.5.3',
                  'ghcr.io/tensorchord/cloudnative-vectorchord:18.1-0.5.3'):
        rc, out = _run(testbed, tmp_path, 'immich_database', {'immich_database_image': image})
        assert rc != 0, out[-3000:]
        assert 'immich_database_image' in out and 'runs Postgres' in out, out[-3000:]
    after = _cluster(testbed[1])
    assert after['spec']['imageName'] == cluster['spec']['imageName']
    assert after['metadata']['resourceVersion'] == cluster['metadata']['resourceVersion']


def test_changed_nfs_export_on_bound_pv_refused(testbed, tmp_path, converged):
    dummy, pv = converged
    rc, out = _run(testbed, tmp_path, 'csi_driver_nfs', {'csi_driver_nfs_share': '/mnt/BigTank/photos/Other'})
    assert rc != 0, out[-3000:]
    assert 'csi_driver_nfs_share' in out and 'immutable' in out, out[-3000:]
    after = _get(testbed[1], 'v1', 'PersistentVolume', 'immich-photos')
    assert after['spec']['csi'] == pv['spec']['csi']
    assert after['metadata']['resourceVersion'] == pv['metadata']['resourceVersion']


# --- The ExternalSecret source -----------------------------------------------------------------------------

def test_database_in_a_missing_namespace_refused(testbed, tmp_path):
    """The namespace is csi_driver_nfs's: immich_database alone, in a namespace that does not exist, stops naming
    immich_database_namespace and creates nothing (the namespace included)."""
    names = _names(uuid.uuid4().hex[:8])
    rc, out = _run(testbed, tmp_path, 'immich_database', _db_vars(names))
    assert rc != 0 and 'immich_database_namespace' in out and 'csi_driver_nfs creates it' in out, out[-3000:]
    _assert_nothing_created(testbed[1], names)


@pytest.fixture
def own_namespace(testbed):
    """Names of this case only, with their namespace made as csi_driver_nfs makes it, and removed afterwards."""
    api = testbed[1]
    names = _names(uuid.uuid4().hex[:8])
    api.resources.get(api_version='v1', kind='Namespace').create(body={'metadata': {'name': names['ns']}})
    yield names
    if _get(api, 'v1', 'Namespace', names['ns']) is not None:
        api.resources.get(api_version='v1', kind='Namespace').delete(name=names['ns'])


def test_external_secret_source(testbed, tmp_path, own_namespace):
    """Owner credentials from a ClusterSecretStore: an ExternalSecret (external-secrets.io/v1) that templates a
    basic-auth Secret, and no Secret written by the role. No ESO controller runs on the testbed, so only the
    objects are checked. A missing store fails first, naming the variable."""
    dummy, api = testbed
    if _get(api, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'clusters.postgresql.cnpg.io') is None:
        pytest.fail('the CloudNativePG CRDs are not installed (run the cnpg_operator role)')
    names = own_namespace
    store = names['ns'] + '-store'
    extra = _db_vars(names,
                     immich_database_owner_secret_source='external_secret',
                     immich_database_owner_external_secret_store_kind='ClusterSecretStore',
                     immich_database_owner_external_secret_store_name=store,
                     immich_database_owner_external_secret_remote_key='immich/database',
                     immich_database_wait_timeout=60)

    rc, out = _run(testbed, tmp_path, 'immich_database', extra)
    assert rc != 0 and 'immich_database_owner_external_secret_store_name' in out, out[-3000:]
    assert _cluster(api, 'immich-database', names['ns']) is None, 'the Cluster was created'
    assert _get(api, 'external-secrets.io/v1', 'ExternalSecret', 'immich-database-owner', names['ns']) is None

    stores = api.resources.get(api_version='external-secrets.io/v1', kind='ClusterSecretStore')
    stores.create(body={
        'apiVersion': 'external-secrets.io/v1', 'kind': 'ClusterSecretStore', 'metadata': {'name': store},
        'spec': {'provider': {'fake': {'data': [{'key': 'immich/database', 'value': '{"password": "unit-test-password"}'}]}}},
    })
    try:
        rc, out = _run(testbed, tmp_path, 'immich_database', extra)
        assert rc == 0, out[-4000:]
        es = _get(api, 'external-secrets.io/v1', 'ExternalSecret', 'immich-database-owner', names['ns'])
        assert es['spec']['secretStoreRef'] == {'kind': 'ClusterSecretStore', 'name': store}
        assert es['spec']['target']['name'] == 'immich-database-owner'
        assert es['spec']['target']['template']['type'] == 'kubernetes.io/basic-auth'
        assert es['spec']['target']['template']['data'] == {'username': 'immich', 'password': '{{ .password }}'}
        assert es['spec']['data'][0]['secretKey'] == 'password'
        assert es['spec']['data'][0]['remoteRef']['key'] == 'immich/database'
        assert es['spec']['data'][0]['remoteRef']['property'] == 'password'
        assert _get(api, 'v1', 'Secret', 'immich-database-owner', names['ns']) is None, 'the role wrote the owner Secret'
        cluster = _cluster(api, 'immich-database', names['ns'])
        assert cluster['spec']['bootstrap']['initdb']['secret'] == {'name': 'immich-database-owner'}
        # A second run changes nothing.
        rc, out = _run(testbed, tmp_path, 'immich_database', extra)
        assert rc == 0 and re.search(r'changed=0\s', out), out[-3000:]
    finally:
        stores.delete(name=store)


# --- Removal (tasks_from: absent) ---------------------------------------------------------------------------------

def test_database_absent_keeps_the_data_unless_allowed(testbed, tmp_path, own_namespace):
    """playbooks/uninstall.yml's step for the database: without immich_database_allow_data_loss the Cluster and its
    Secrets stay (and a second run changes nothing); with it they go, and a run after that changes nothing."""
    dummy, api = testbed
    names = own_namespace
    extra = _db_vars(names, immich_database_wait_timeout=60, immich_database_cilium_network_policy_enabled=False)
    rc, out = _run(testbed, tmp_path, 'immich_database', extra)
    assert rc == 0, out[-4000:]
    assert _cluster(api, 'immich-database', names['ns']) is not None

    for attempt in ('first', 'second'):
        rc, out = _run(testbed, tmp_path, 'immich_database', extra, tasks_from='absent')
        assert rc == 0 and re.search(r'changed=0\s', out), '%s run: %s' % (attempt, out[-3000:])
    assert _cluster(api, 'immich-database', names['ns']) is not None, 'the Cluster went without the flag'
    assert _get(api, 'v1', 'Secret', 'immich-database-owner', names['ns']) is not None, "the owner's Secret went without the flag"

    allowed = dict(extra, immich_database_allow_data_loss=True)
    rc, out = _run(testbed, tmp_path, 'immich_database', allowed, tasks_from='absent')
    assert rc == 0 and re.search(r'changed=1\s', out), out[-3000:]
    assert _cluster(api, 'immich-database', names['ns']) is None, 'the Cluster is still there'
    for secret in ('immich-database-owner', 'immich-database-s3'):
        assert _get(api, 'v1', 'Secret', secret, names['ns']) is None, '%s is still there' % secret
    assert _get(api, 'postgresql.cnpg.io/v1', 'ScheduledBackup', 'immich-database-daily', names['ns']) is None
    rc, out = _run(testbed, tmp_path, 'immich_database', allowed, tasks_from='absent')
    assert rc == 0 and re.search(r'changed=0\s', out), out[-3000:]


# --- Restore drill (tasks_from: restore) -------------------------------------------------------------------------

def test_restore_drill_refuses_what_it_cannot_restore_from(testbed, tmp_path, own_namespace):
    """playbooks/restore.yml's entry point, before it creates anything: in a namespace without the database's object
    store credentials it names each missing Secret, and a Cluster of the drill's name that the drill did not make is
    refused (in the same message) and left as it was. No CNPG controller bootstraps anything on the testbed: the
    restore itself is not exercised here."""
    dummy, api = testbed
    names = own_namespace
    clusters = api.resources.get(api_version='postgresql.cnpg.io/v1', kind='Cluster')
    clusters.create(namespace=names['ns'], body={
        'apiVersion': 'postgresql.cnpg.io/v1', 'kind': 'Cluster', 'metadata': {'name': 'immich-database-restore'},
        'spec': {'instances': 1, 'storage': {'size': '1Gi'}}})
    # The testbed's stand-in status for Clusters may update the status; the drill must not touch the spec or labels.
    before = _cluster(api, 'immich-database-restore', names['ns'])['metadata']

    rc, out = _run(testbed, tmp_path, 'immich_database', _db_vars(names), tasks_from='restore')
    assert rc != 0, out[-3000:]
    assert 'Missing in namespace %s' % names['ns'] in out, out[-3000:]
    for secret in ('Secret immich-database-s3', 'Secret immich-database-owner'):
        assert secret in out, out[-3000:]
    assert 'was not created by this drill' in out, out[-3000:]
    after = _cluster(api, 'immich-database-restore', names['ns'])['metadata']
    assert (after['generation'], after.get('labels')) == (before['generation'], before.get('labels'))
    assert _get(api, 'v1', 'Secret', 'immich-database-owner', names['ns']) is None, 'the drill wrote a Secret'
