"""roles/valkey and roles/immich on the testbed: bad input and unsafe upgrades fail in preflight with a message
naming the variable, and nothing is created or changed.

Each test runs ansible-playbook in a throwaway namespace that holds only stand-ins for what the earlier roles
make (the namespace, the database owner Secret, the photos PV/PVC) and compares the namespace before and after.
Needs the running testbed (`make testbed-up`); fails otherwise (conftest.testbed_env).
"""
import json
import os
import re
import subprocess
import sys
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
PLAYBOOK = """---
- name: The workload roles under test
  hosts: controller
  gather_facts: false
  module_defaults:
    group/kubernetes.core.k8s:
      kubeconfig: "{{ homelab_immich_kubeconfig }}"
  roles:
%s
"""
DB_PASSWORD = 'unit-db-password-7f3a9c'

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def testbed(testbed_env):
    env = testbed_env
    kubernetes = pytest.importorskip('kubernetes')
    api = kubernetes.config.new_client_from_config(config_file=env['KUBECONFIG'])
    return env, kubernetes, api


class Namespace:
    """A throwaway namespace with the earlier roles' stand-ins; ``snapshot()`` lists every object in it."""

    KINDS = [('v1', 'Secret'), ('v1', 'PersistentVolumeClaim'), ('v1', 'Service'), ('v1', 'ConfigMap'),
             ('apps/v1', 'Deployment'), ('networking.k8s.io/v1', 'NetworkPolicy'),
             ('gateway.networking.k8s.io/v1', 'HTTPRoute'), ('cilium.io/v2', 'CiliumNetworkPolicy'),
             ('postgresql.cnpg.io/v1', 'Backup')]

    def __init__(self, kubernetes, api):
        from kubernetes import dynamic
        self.name = 'd-inputs-' + uuid.uuid4().hex[:8]
        self.core = kubernetes.client.CoreV1Api(api)
        self.apps = kubernetes.client.AppsV1Api(api)
        self.dyn = dynamic.DynamicClient(api)
        self.kubernetes = kubernetes
        self.added_deployments, self.added_pvcs = [], []
        labels = {'app.kubernetes.io/part-of': 'immich', 'app.kubernetes.io/managed-by': 'homelab.immich'}
        client = kubernetes.client
        self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=self.name)))
        self.core.create_namespaced_secret(self.name, client.V1Secret(
            metadata=client.V1ObjectMeta(name='immich-database-owner', labels=labels), type='kubernetes.io/basic-auth',
            string_data={'username': 'immich', 'password': DB_PASSWORD}))
        self.core.create_persistent_volume(client.V1PersistentVolume(
            metadata=client.V1ObjectMeta(name=self.name + '-photos', labels=labels),
            spec=client.V1PersistentVolumeSpec(
                capacity={'storage': '1Ti'}, access_modes=['ReadOnlyMany'], persistent_volume_reclaim_policy='Retain',
                storage_class_name='nfs-immich-photos', mount_options=['nfsvers=4.1', 'ro'],
                csi=client.V1CSIPersistentVolumeSource(
                    driver='nfs.csi.k8s.io', volume_handle='127.0.0.1#/photos##' + self.name,
                    volume_attributes={'server': '127.0.0.1', 'share': '/photos'}))))
        self.core.create_namespaced_persistent_volume_claim(self.name, client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name='immich-photos', labels=labels),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=['ReadOnlyMany'], storage_class_name='nfs-immich-photos', volume_name=self.name + '-photos',
                resources=client.V1VolumeResourceRequirements(requests={'storage': '1Ti'}))))
        self.wait_bound('immich-photos')

    def wait_bound(self, name, timeout=60):
        """Wait until the PVC is Bound (the status update would otherwise show up as a change)."""
        deadline = time.monotonic() + timeout
        while self.core.read_namespaced_persistent_volume_claim(name, self.name).status.phase != 'Bound':
            assert time.monotonic() < deadline, 'PVC %s/%s not Bound after %ss' % (self.name, name, timeout)
            time.sleep(0.5)

    def snapshot(self):
        """{kind/name: generation (spec changes), else resourceVersion} of every object of the kinds the roles make."""
        objects = {}
        for api_version, kind in self.KINDS:
            try:
                resource = self.dyn.resources.get(api_version=api_version, kind=kind)
            except Exception:  # the API is not installed on this testbed
                continue
            for item in resource.get(namespace=self.name).items:
                if kind == 'ConfigMap' and item.metadata.name == 'kube-root-ca.crt':
                    continue
                objects[kind + '/' + item.metadata.name] = item.metadata.generation or item.metadata.resourceVersion
        return objects

    def reset(self):
        """Delete what the tests added and wait until it is gone."""
        for name in self.added_deployments:
            self.apps.delete_namespaced_deployment(name, self.name)
        for name in self.added_pvcs:
            self.core.delete_namespaced_persistent_volume_claim(name, self.name)
        deadline = time.monotonic() + 60
        while any(d.metadata.name in self.added_deployments for d in self.apps.list_namespaced_deployment(self.name).items) or \
                any(p.metadata.name in self.added_pvcs for p in self.core.list_namespaced_persistent_volume_claim(self.name).items):
            assert time.monotonic() < deadline, 'objects of the last test still there after 60s'
            time.sleep(0.5)
        self.added_deployments, self.added_pvcs = [], []

    def add_server(self, image):
        """A server Deployment as an older install left it."""
        self.added_deployments.append('immich-server')
        client = self.kubernetes.client
        labels = {'app.kubernetes.io/name': 'immich-server', 'app.kubernetes.io/instance': 'immich'}
        self.apps.create_namespaced_deployment(self.name, client.V1Deployment(
            metadata=client.V1ObjectMeta(name='immich-server', labels=labels),
            spec=client.V1DeploymentSpec(
                replicas=1, selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(containers=[client.V1Container(name='immich-server', image=image)])))))

    def add_pvc(self, name, size):
        self.added_pvcs.append(name)
        client = self.kubernetes.client
        self.core.create_namespaced_persistent_volume_claim(self.name, client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1PersistentVolumeClaimSpec(access_modes=['ReadWriteOnce'], storage_class_name='longhorn',
                                                    resources=client.V1VolumeResourceRequirements(requests={'storage': size}))))
        self.wait_bound(name)

    def server_image(self):
        return self.apps.read_namespaced_deployment('immich-server', self.name).spec.template.spec.containers[0].image

    def delete(self):
        for call, args in ((self.core.delete_namespace, (self.name,)),
                           (self.core.delete_persistent_volume, (self.name + '-photos',))):
            try:
                call(*args)
            except self.kubernetes.client.exceptions.ApiException:
                pass


@pytest.fixture(scope='module')
def shared_namespace(testbed):
    _env, kubernetes, api = testbed
    ns = Namespace(kubernetes, api)
    yield ns
    ns.delete()


@pytest.fixture
def namespace(shared_namespace):
    """The module's namespace; what a test added is removed after it."""
    yield shared_namespace
    shared_namespace.reset()


@pytest.fixture
def play(testbed, namespace, tmp_path):
    """``play(roles, *args, **vars)`` -> (returncode, output) of ansible-playbook in the throwaway namespace."""
    env_vars, _kubernetes, _api = testbed

    def run(roles, *args, **role_vars):
        playbook = tmp_path / 'play.yml'
        playbook.write_text(PLAYBOOK % '\n'.join('    - role: homelab.immich.' + r for r in roles))
        variables = {'homelab_immich_namespace': namespace.name}
        variables.update(role_vars)
        extra = tmp_path / 'vars.json'
        extra.write_text(json.dumps(variables))
        env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
                   **env_vars)
        proc = subprocess.run([ANSIBLE_PLAYBOOK, '-i', os.path.join(ROOT, 'inventories', 'local'), str(playbook),
                               '-e', '@' + str(extra)] + list(args),
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    return run


def _failed_message(output):
    """The text of the failed task (what the user reads)."""
    return output[output.find('fatal:'):] if 'fatal:' in output else output


@pytest.mark.parametrize('roles,role_vars,variable,message', [
    (['immich'], {'immich_hostname': 'photos_vanillax.me'}, 'immich_hostname', 'must be a DNS name'),
    (['immich'], {'immich_hostname': 'Photos.Example.com.'}, 'immich_hostname', 'must be a DNS name'),
    (['immich'], {'immich_hostname': ''}, 'immich_hostname', 'must be a DNS name'),
    (['immich'], {'immich_version': 'latest'}, 'immich_version', 'must be a release tag vX.Y.Z'),
    (['immich'], {'immich_version': '2.5.5'}, 'immich_version', 'must be a release tag vX.Y.Z'),
    (['immich'], {'immich_ml_acceleration': 'tpu'}, 'immich_ml_acceleration', 'must be one of'),
    (['immich'], {'immich_transcoding_acceleration': 'quicksync'}, 'immich_transcoding_acceleration', 'must be one of'),
    (['immich'], {'immich_photos_mount_path': '/data/photos'}, 'immich_photos_mount_path', 'outside /data'),
    (['immich'], {'immich_server_image': 'ghcr.io/immich-app/immich-server:v2.5.5'}, 'immich_server_image',
     'without tag or digest'),
    (['immich'], {'immich_cilium_network_policy_enabled': True, 'immich_cilium_nfs_host': 'nas.local'},
     'immich_cilium_nfs_host', 'IPv4 address'),
    (['immich'], {'immich_data_size': '50GB'}, 'immich_data_size', 'a size like 50Gi'),
    (['immich'], {'immich_trusted_proxies': ['10.0.0.0/8', 'gateway']}, 'immich_trusted_proxies', 'IP addresses or CIDRs'),
    (['valkey', 'immich'], {'valkey_image': 'docker.io/valkey/valkey:latest'}, 'valkey_image', 'pinned image reference'),
    (['valkey', 'immich'], {'valkey_client_pod_labels': {}}, 'valkey_client_pod_labels', 'select the Immich server pods'),
])
def test_bad_input_fails_naming_the_variable_and_changes_nothing(play, namespace, roles, role_vars, variable, message):
    before = namespace.snapshot()
    code, output = play(roles, **role_vars)
    assert code != 0, output
    failed = _failed_message(output)
    assert variable in failed, failed
    assert message in failed, failed
    assert namespace.snapshot() == before


def test_crossing_the_1_132_gate_is_refused_and_changes_nothing(play, namespace):
    namespace.add_server('ghcr.io/immich-app/immich-server:v1.120.0')
    before = namespace.snapshot()
    code, output = play(['immich'], immich_version='v2.5.5', immich_redis_password_secret='')
    assert code != 0, output
    failed = _failed_message(output)
    assert 'immich_version' in failed and 'v1.132.0' in failed and 'v1.136' in failed, failed
    assert namespace.snapshot() == before
    assert namespace.server_image() == 'ghcr.io/immich-app/immich-server:v1.120.0'


def test_an_upgrade_to_the_gate_passes_the_guard(play, namespace):
    """The counterpart: v1.120.0 -> v1.133.0 is allowed (checked in check mode, which changes nothing)."""
    namespace.add_server('ghcr.io/immich-app/immich-server:v1.120.0')
    before = namespace.snapshot()
    code, output = play(['immich'], '--check', immich_version='v1.133.0', immich_upgrade_backup_method='none',
                        immich_redis_password_secret='')
    assert code == 0, output
    assert namespace.snapshot() == before


def test_a_downgrade_is_refused_unless_forced(play, namespace):
    namespace.add_server('ghcr.io/immich-app/immich-server:v2.5.5')
    before = namespace.snapshot()
    code, output = play(['immich'], immich_version='v2.4.1', immich_redis_password_secret='')
    assert code != 0, output
    failed = _failed_message(output)
    assert 'immich_version' in failed and 'downgrade is refused' in failed and 'immich_upgrade_force' in failed, failed
    assert namespace.snapshot() == before
    assert namespace.server_image().endswith(':v2.5.5')


def test_an_unversioned_live_image_is_refused(play, namespace):
    namespace.add_server('ghcr.io/immich-app/immich-server:release')
    before = namespace.snapshot()
    code, output = play(['immich'], immich_redis_password_secret='')
    assert code != 0, output
    failed = _failed_message(output)
    assert "has no vX.Y.Z tag" in failed and 'immich_upgrade_force' in failed, failed
    assert namespace.snapshot() == before


def test_an_upgrade_without_the_database_cluster_to_back_up_is_refused(play, namespace):
    namespace.add_server('ghcr.io/immich-app/immich-server:v2.5.4')
    before = namespace.snapshot()
    code, output = play(['immich'], immich_redis_password_secret='', immich_upgrade_backup_method='plugin')
    assert code != 0, output
    failed = _failed_message(output)
    assert 'immich_upgrade_backup_method' in failed and 'immich-database' in failed, failed
    assert namespace.snapshot() == before
    assert namespace.server_image().endswith(':v2.5.4')


def test_an_upgrade_backs_the_database_up_first(play, namespace, testbed):
    """v2.5.4 -> v2.5.5 with backups on: the immich_database role's backup entry point makes the Backup (owned by the
    Cluster, labelled with the upgrade) and waits for it (the testbed's kwok Stage completes it), then the server image
    changes. Without the Cluster the same run is refused (the test above)."""
    _env, kubernetes, api = testbed
    custom = kubernetes.client.CustomObjectsApi(api)
    cluster = custom.create_namespaced_custom_object('postgresql.cnpg.io', 'v1', namespace.name, 'clusters', {
        'apiVersion': 'postgresql.cnpg.io/v1', 'kind': 'Cluster', 'metadata': {'name': 'immich-database'},
        'spec': {'instances': 1, 'storage': {'size': '1Gi'}}})
    namespace.add_server('ghcr.io/immich-app/immich-server:v2.5.4')
    try:
        code, output = play(['immich'], immich_redis_password_secret='', immich_upgrade_backup_method='plugin',
                            immich_exposure='none', immich_cilium_network_policy_enabled=False, immich_ml_enabled=False,
                            immich_upgrade_backup_timeout=60)
        assert code == 0, output[-3000:]
        backups = custom.list_namespaced_custom_object('postgresql.cnpg.io', 'v1', namespace.name, 'backups')['items']
        assert [b['metadata']['name'] for b in backups] == ['immich-database-upgrade-v2.5.4-to-v2.5.5']
        backup = backups[0]
        assert backup['metadata']['labels']['homelab.immich/upgrade-from'] == 'v2.5.4'
        assert backup['metadata']['labels']['homelab.immich/upgrade-to'] == 'v2.5.5'
        assert backup['metadata']['ownerReferences'][0]['uid'] == cluster['metadata']['uid']
        assert backup['spec'] == {'cluster': {'name': 'immich-database'}, 'method': 'plugin',
                                  'pluginConfiguration': {'name': 'barman-cloud.cloudnative-pg.io'}}
        assert backup['status']['phase'] == 'completed'
        assert namespace.server_image().endswith(':v2.5.5')
    finally:
        namespace.added_pvcs.append('immich-library')
        custom.delete_namespaced_custom_object('postgresql.cnpg.io', 'v1', namespace.name, 'clusters', 'immich-database')
        for backup in custom.list_namespaced_custom_object('postgresql.cnpg.io', 'v1', namespace.name, 'backups')['items']:
            custom.delete_namespaced_custom_object('postgresql.cnpg.io', 'v1', namespace.name, 'backups',
                                                   backup['metadata']['name'])


def test_a_library_pvc_never_shrinks(play, namespace):
    namespace.add_pvc('immich-library', '50Gi')
    before = namespace.snapshot()
    code, output = play(['immich'], immich_data_size='20Gi', immich_redis_password_secret='')
    assert code != 0, output
    failed = _failed_message(output)
    assert 'immich_data_size' in failed and 'cannot shrink' in failed, failed
    assert namespace.snapshot() == before


def test_a_missing_prerequisite_is_named(play, namespace):
    before = namespace.snapshot()
    code, output = play(['immich'], immich_db_secret='immich-database-missing', immich_redis_password_secret='')
    assert code != 0, output
    failed = _failed_message(output)
    assert 'immich_db_secret' in failed and 'immich_database role creates it' in failed, failed
    assert namespace.snapshot() == before
    assert DB_PASSWORD not in output


def _recap_changed(output):
    return [int(n) for n in re.findall(r'^\S+\s*:\s*ok=\d+\s+changed=(\d+)', output, re.M)]


def test_machine_learning_can_be_turned_off_and_its_cache_is_kept(play, namespace, testbed):
    """immich_ml_enabled false on an install that ran machine learning: its Deployment, Service and NetworkPolicy
    go, the model cache PVC stays, the server is told machine learning is off; a re-run changes nothing.
    (Last in this file: it leaves a converged Immich in the shared namespace, which the reset removes.)"""
    _env, kubernetes, api = testbed
    namespace.added_deployments += ['immich-server', 'immich-machine-learning']
    namespace.added_pvcs += ['immich-library', 'immich-ml-cache']
    common = dict(immich_redis_password_secret='', immich_upgrade_backup_method='none', immich_exposure='none',
                  immich_cilium_network_policy_enabled=False)
    code, output = play(['immich'], **common)
    assert code == 0, output[-3000:]
    assert {'Deployment/immich-machine-learning', 'Service/immich-machine-learning',
            'NetworkPolicy/immich-machine-learning', 'PersistentVolumeClaim/immich-ml-cache'} <= set(namespace.snapshot())

    code, output = play(['immich'], immich_ml_enabled=False, **common)
    assert code == 0, output[-3000:]
    objects = set(namespace.snapshot())
    assert not {'Deployment/immich-machine-learning', 'Service/immich-machine-learning',
                'NetworkPolicy/immich-machine-learning'} & objects, objects
    assert 'PersistentVolumeClaim/immich-ml-cache' in objects
    namespace.added_deployments.remove('immich-machine-learning')
    env = {e.name: e.value for e in kubernetes.client.AppsV1Api(api).read_namespaced_deployment(
        'immich-server', namespace.name).spec.template.spec.containers[0].env}
    assert env['IMMICH_MACHINE_LEARNING_ENABLED'] == 'false'
    assert 'IMMICH_MACHINE_LEARNING_URL' not in env
    policy = kubernetes.client.NetworkingV1Api(api).read_namespaced_network_policy('immich-server', namespace.name)
    assert not [rule for rule in policy.spec.egress
                if any((peer.pod_selector and (peer.pod_selector.match_labels or {}).get('app.kubernetes.io/name')
                        == 'immich-machine-learning') for peer in rule.to or [])]

    code, output = play(['immich'], immich_ml_enabled=False, **common)
    assert code == 0, output[-3000:]
    assert _recap_changed(output) == [0], output[-3000:]
