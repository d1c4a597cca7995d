"""Verify the Valkey and Immich workloads that site.yml converged on the testbed (molecule verify).

Reads the live objects with the Kubernetes client (KUBECONFIG from the environment, else the testbed's) and
checks them against inventories/local: images, credentials only through secretKeyRef (no secret value anywhere
in the specs), read-only photo mounts without fsGroup, probes, Services, the HTTPRoute, the NetworkPolicies and
CiliumNetworkPolicies, Valkey's hardening, and that every rollout is complete.
HOMELAB_IMMICH_NAMESPACE overrides the namespace (e.g. to check a scratch converge).
"""
import base64
import json
import os
import re

import pytest
import yaml

from kubernetes import client, config, dynamic

ROOT = os.environ.get('MOLECULE_PROJECT_DIRECTORY') or os.path.abspath(
    os.path.join(os.path.dirname(__file__), '..', '..', '..'))
GROUP_VARS = os.path.join(ROOT, 'inventories', 'local', 'group_vars', 'all')
PART_OF = {'app.kubernetes.io/part-of': 'immich', 'app.kubernetes.io/managed-by': 'homelab.immich'}
SECRET_NAME = re.compile(r'PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY|_AUTH$')


def _inventory():
    values = {}
    for name in ('cluster.yml', 'valkey.yml', 'immich.yml'):
        path = os.path.join(GROUP_VARS, name)
        if os.path.exists(path):
            with open(path, encoding='utf-8') as handle:
                values.update(yaml.safe_load(handle) or {})
    return values


INV = _inventory()
NAMESPACE = os.environ.get('HOMELAB_IMMICH_NAMESPACE') or INV.get('homelab_immich_namespace', 'immich')
VERSION = INV.get('immich_version', 'v2.5.5')
VALKEY = INV.get('valkey_name', 'immich-valkey')
ML_SUFFIX = {'cpu': ''}.get(INV.get('immich_ml_acceleration', 'cpu'), '-' + INV.get('immich_ml_acceleration', 'cpu'))


def _kubeconfig():
    if os.environ.get('KUBECONFIG'):
        return os.environ['KUBECONFIG']
    run = os.environ.get('TESTBED_DIR') or os.path.join(os.path.expanduser('~'), '.cache', 'homelab-immich', 'testbed')
    return os.path.join(run, 'kubeconfig')


@pytest.fixture(scope='module')
def api():
    path = _kubeconfig()
    if not os.path.exists(path):
        pytest.fail('no kubeconfig at %s (is the testbed up?)' % path)
    return config.new_client_from_config(config_file=path)


@pytest.fixture(scope='module')
def get(api):
    """``get(api_version, kind, name)`` -> the live object as a dict (namespace NAMESPACE)."""
    dyn = dynamic.DynamicClient(api)

    def fetch(api_version, kind, name, namespace=NAMESPACE):
        resource = dyn.resources.get(api_version=api_version, kind=kind)
        return resource.get(name=name, namespace=namespace).to_dict()

    return fetch


@pytest.fixture(scope='module')
def deployments(get):
    return {name: get('apps/v1', 'Deployment', name) for name in ('immich-server', 'immich-machine-learning', VALKEY)}


@pytest.fixture(scope='module')
def secret_values(api):
    """Every decoded Secret value of the namespace that is long enough to be recognised."""
    values = set()
    for secret in client.CoreV1Api(api).list_namespaced_secret(NAMESPACE).items:
        for value in (secret.data or {}).values():
            decoded = base64.b64decode(value).decode('utf-8', 'replace')
            if len(decoded) >= 8:
                values.add(decoded)
    return values


def _container(deployment):
    return deployment['spec']['template']['spec']['containers'][0]


def _env(deployment):
    return {e['name']: e for e in _container(deployment).get('env', [])}


def _volumes(deployment):
    return {v['name']: v for v in deployment['spec']['template']['spec'].get('volumes', [])}


def _mounts(deployment):
    return {m['mountPath']: m for m in _container(deployment).get('volumeMounts', [])}


def _secret_ref(env, name):
    return env[name]['valueFrom']['secretKeyRef']


def test_every_rollout_is_complete(deployments):
    for name, deployment in deployments.items():
        status = deployment['status']
        conditions = {c['type']: c['status'] for c in status.get('conditions', [])}
        assert conditions.get('Available') == 'True', name
        assert status.get('observedGeneration') == deployment['metadata']['generation'], name
        assert status.get('updatedReplicas') == status.get('availableReplicas') == deployment['spec']['replicas'] == 1, name
        assert deployment['spec']['strategy']['type'] == 'Recreate', name


def test_images_are_the_pinned_releases(deployments):
    assert _container(deployments['immich-server'])['image'] == 'ghcr.io/immich-app/immich-server:' + VERSION
    assert _container(deployments['immich-machine-learning'])['image'] == \
        'ghcr.io/immich-app/immich-machine-learning:' + VERSION + ML_SUFFIX
    valkey_image = _container(deployments[VALKEY])['image']
    assert valkey_image == INV.get('valkey_image', valkey_image)
    assert re.match(r'^docker\.io/valkey/valkey:\d+\.\d+\.\d+', valkey_image), valkey_image


def test_server_environment(deployments):
    env = _env(deployments['immich-server'])
    assert env['DB_HOSTNAME']['value'] == 'immich-database-rw'
    assert env['DB_PORT']['value'] == '5432'
    assert env['DB_DATABASE_NAME']['value'] == 'immich'
    assert env['DB_VECTOR_EXTENSION']['value'] == 'vectorchord'
    assert _secret_ref(env, 'DB_USERNAME') == {'name': 'immich-database-owner', 'key': 'username'}
    assert _secret_ref(env, 'DB_PASSWORD') == {'name': 'immich-database-owner', 'key': 'password'}
    assert env['REDIS_HOSTNAME']['value'] == VALKEY
    assert env['REDIS_PORT']['value'] == '6379'
    assert _secret_ref(env, 'REDIS_PASSWORD') == {'name': VALKEY, 'key': 'password'}
    assert env['IMMICH_MACHINE_LEARNING_URL']['value'] == 'http://immich-machine-learning:3003'
    assert env['TZ']['value'] == INV.get('immich_timezone', 'Etc/UTC')
    ml_env = _env(deployments['immich-machine-learning'])
    assert ml_env['MACHINE_LEARNING_CACHE_FOLDER']['value'] == '/cache'


def test_no_secret_literal_in_any_pod_spec(deployments, secret_values, api):
    for name, deployment in deployments.items():
        for container in deployment['spec']['template']['spec']['containers']:
            for env in container.get('env', []):
                if SECRET_NAME.search(env['name']):
                    assert 'value' not in env and 'secretKeyRef' in env.get('valueFrom', {}), (name, env['name'])
        text = json.dumps(deployment['spec'])
        for value in secret_values:
            assert value not in text, name
    core = client.CoreV1Api(api)
    for config_map in core.list_namespaced_config_map(NAMESPACE).items:
        text = json.dumps(config_map.data or {})
        for value in secret_values:
            assert value not in text, config_map.metadata.name
    for pod in core.list_namespaced_pod(NAMESPACE, label_selector='app.kubernetes.io/part-of=immich').items:
        text = json.dumps(client.ApiClient().sanitize_for_serialization(pod.spec))
        for value in secret_values:
            assert value not in text, pod.metadata.name


@pytest.mark.parametrize('name', ['immich-server', 'immich-machine-learning'])
def test_photos_are_mounted_read_only_without_fs_group(deployments, name):
    deployment = deployments[name]
    pod = deployment['spec']['template']['spec']
    assert 'fsGroup' not in (pod.get('securityContext') or {})
    photos = [v for v in _volumes(deployment).values()
              if v.get('persistentVolumeClaim', {}).get('claimName') == INV.get('immich_photos_pvc_name', 'immich-photos')]
    assert len(photos) == 1
    assert photos[0]['persistentVolumeClaim']['readOnly'] is True
    mount = _mounts(deployment)[INV.get('immich_photos_mount_path', '/mnt/photos')]
    assert mount['name'] == photos[0]['name'] and mount['readOnly'] is True


def test_library_and_model_cache_volumes(deployments, api):
    server, ml = deployments['immich-server'], deployments['immich-machine-learning']
    assert _volumes(server)[_mounts(server)['/data']['name']]['persistentVolumeClaim']['claimName'] == 'immich-library'
    assert not _mounts(server)['/data'].get('readOnly')
    assert _volumes(ml)[_mounts(ml)['/cache']['name']]['persistentVolumeClaim']['claimName'] == 'immich-ml-cache'
    core = client.CoreV1Api(api)
    for name, size in (('immich-library', INV.get('immich_data_size', '50Gi')),
                       ('immich-ml-cache', INV.get('immich_ml_cache_size', '10Gi'))):
        pvc = core.read_namespaced_persistent_volume_claim(name, NAMESPACE)
        assert pvc.spec.resources.requests['storage'] == size
        assert pvc.spec.storage_class_name == INV.get('homelab_immich_storage_class', 'longhorn')
        assert pvc.status.phase == 'Bound'
        assert pvc.metadata.labels.items() >= PART_OF.items()


def test_probes(deployments):
    server = _container(deployments['immich-server'])
    for probe in ('startupProbe', 'readinessProbe', 'livenessProbe'):
        assert server[probe]['httpGet']['path'] == '/api/server/ping'
        assert server[probe]['httpGet']['port'] in ('http', 2283)
    startup = server['startupProbe']
    assert startup['failureThreshold'] * startup['periodSeconds'] >= 600  # room for database migrations
    assert {p['containerPort'] for p in server['ports']} >= {2283}
    ml = _container(deployments['immich-machine-learning'])
    for probe in ('startupProbe', 'readinessProbe', 'livenessProbe'):
        assert ml[probe]['httpGet']['path'] == '/ping'
        assert ml[probe]['httpGet']['port'] in ('http', 3003)
    valkey = _container(deployments[VALKEY])
    for probe in ('startupProbe', 'readinessProbe', 'livenessProbe'):
        assert 'valkey-cli' in ' '.join(valkey[probe]['exec']['command'])


def test_valkey_is_hardened_and_password_protected(deployments):
    deployment = deployments[VALKEY]
    pod = deployment['spec']['template']['spec']
    container = _container(deployment)
    assert pod['securityContext']['runAsNonRoot'] is True and pod['securityContext']['runAsUser'] == 999
    assert pod['securityContext']['seccompProfile']['type'] == 'RuntimeDefault'
    assert pod['automountServiceAccountToken'] is False
    context = container['securityContext']
    assert context['readOnlyRootFilesystem'] is True
    assert context['allowPrivilegeEscalation'] is False
    assert context['capabilities']['drop'] == ['ALL']
    data = _volumes(deployment)[_mounts(deployment)['/data']['name']]
    if INV.get('valkey_persistence_enabled'):
        assert data['persistentVolumeClaim']['claimName'] == VALKEY + '-data'
    else:
        assert 'emptyDir' in data
    if INV.get('valkey_auth_enabled', True):
        args = container['args']
        assert args[args.index('--requirepass') + 1] == '$(VALKEY_PASSWORD)'
        env = _env(deployment)
        assert _secret_ref(env, 'VALKEY_PASSWORD') == {'name': VALKEY, 'key': 'password'}
        assert _secret_ref(env, 'REDISCLI_AUTH') == {'name': VALKEY, 'key': 'password'}


def test_services(get, deployments):
    for name, port, deployment in (('immich-server', 2283, 'immich-server'),
                                   ('immich-machine-learning', 3003, 'immich-machine-learning'),
                                   (VALKEY, 6379, VALKEY)):
        service = get('v1', 'Service', name)
        assert port in [p['port'] for p in service['spec']['ports']], name
        pod_labels = deployments[deployment]['spec']['template']['metadata']['labels']
        assert service['spec']['selector'].items() <= pod_labels.items(), name
        assert service['metadata']['labels'].items() >= PART_OF.items(), name


def test_http_route(get):
    if INV.get('immich_exposure', 'httproute') != 'httproute':
        pytest.skip('not exposed through an HTTPRoute')
    route = get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'immich-server')
    assert route['spec']['hostnames'] == [INV['immich_hostname']]
    parent = route['spec']['parentRefs'][0]
    assert (parent['name'], parent['namespace']) == (INV.get('immich_gateway_name', 'gateway-internal'),
                                                     INV.get('immich_gateway_namespace', 'gateway'))
    backend = route['spec']['rules'][0]['backendRefs'][0]
    assert (backend['name'], backend['port']) == ('immich-server', 2283)
    assert route['metadata']['labels'].items() >= PART_OF.items()


def _peers_ports(rule, key):
    return rule.get(key, []), sorted((p.get('protocol', 'TCP'), p['port']) for p in rule.get('ports', []))


def test_network_policies(get, deployments):
    server_labels = deployments['immich-server']['spec']['selector']['matchLabels']
    ml_labels = deployments['immich-machine-learning']['spec']['selector']['matchLabels']
    valkey_labels = deployments[VALKEY]['spec']['selector']['matchLabels']

    server = get('networking.k8s.io/v1', 'NetworkPolicy', 'immich-server')['spec']
    assert server['podSelector']['matchLabels'] == server_labels
    assert sorted(server['policyTypes']) == ['Egress', 'Ingress']
    peers, ports = _peers_ports(server['ingress'][0], 'from')
    assert ports == [('TCP', 2283)]
    assert {'namespaceSelector': {'matchLabels': {'kubernetes.io/metadata.name': INV.get('immich_gateway_namespace', 'gateway')}}} in peers
    egress = {json.dumps(_peers_ports(rule, 'to')[1]): rule['to'] for rule in server['egress']}
    assert egress[json.dumps([('TCP', 5432)])] == [{'podSelector': {'matchLabels': {'cnpg.io/cluster': 'immich-database'}}}]
    assert egress[json.dumps([('TCP', 6379)])] == [{'podSelector': {'matchLabels': valkey_labels}}]
    assert egress[json.dumps([('TCP', 3003)])] == [{'podSelector': {'matchLabels': ml_labels}}]
    assert json.dumps([('TCP', 53), ('UDP', 53)]) in egress

    ml = get('networking.k8s.io/v1', 'NetworkPolicy', 'immich-machine-learning')['spec']
    assert ml['podSelector']['matchLabels'] == ml_labels
    assert len(ml['ingress']) == 1
    peers, ports = _peers_ports(ml['ingress'][0], 'from')
    assert peers == [{'podSelector': {'matchLabels': server_labels}}] and ports == [('TCP', 3003)]

    valkey = get('networking.k8s.io/v1', 'NetworkPolicy', VALKEY)['spec']
    assert valkey['podSelector']['matchLabels'] == valkey_labels
    assert sorted(valkey['policyTypes']) == ['Egress', 'Ingress']
    assert not valkey.get('egress')  # no egress at all
    assert len(valkey['ingress']) == 1
    peers, ports = _peers_ports(valkey['ingress'][0], 'from')
    assert ports == [('TCP', 6379)]
    assert len(peers) == 1 and peers[0]['podSelector']['matchLabels'].items() <= \
        deployments['immich-server']['spec']['template']['metadata']['labels'].items()
    assert 'namespaceSelector' not in peers[0]


def test_cilium_network_policies(get, deployments):
    if not INV.get('immich_cilium_network_policy_enabled'):
        pytest.skip('no CiliumNetworkPolicy in this inventory')
    server = get('cilium.io/v2', 'CiliumNetworkPolicy', 'immich-server')['spec']
    assert server['endpointSelector']['matchLabels'] == deployments['immich-server']['spec']['selector']['matchLabels']
    assert server['enableDefaultDeny'] == {'ingress': False, 'egress': False}
    assert server['ingress'][0]['fromEntities'] == ['ingress']
    nfs = server['egress'][0]
    assert nfs['toCIDR'] == [INV['immich_cilium_nfs_host'] + '/32']
    assert nfs['toPorts'][0]['ports'] == [{'port': str(INV.get('immich_cilium_nfs_port', 2049)), 'protocol': 'TCP'}]
    if INV.get('immich_database_cilium_s3_host'):
        backup = get('cilium.io/v2', 'CiliumNetworkPolicy', 'immich-database-backup')['spec']
        assert backup['endpointSelector']['matchLabels'] == {'cnpg.io/cluster': 'immich-database'}
        assert backup['enableDefaultDeny'] == {'ingress': False, 'egress': False}
        assert backup['egress'][0]['toCIDR'] == [INV['immich_database_cilium_s3_host'] + '/32']
        assert backup['egress'][0]['toPorts'][0]['ports'] == [{'port': str(INV['immich_database_cilium_s3_port']), 'protocol': 'TCP'}]


def test_every_object_is_labelled(deployments):
    for name, deployment in deployments.items():
        assert deployment['metadata']['labels'].items() >= PART_OF.items(), name
        assert deployment['spec']['template']['metadata']['labels'].items() >= PART_OF.items(), name
