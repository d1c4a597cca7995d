"""Verify step of molecule/kind: what converge made on a real kind cluster, where containers really run.

Nothing here is faked: there is no kwok on this cluster, the CloudNativePG operator built from its Go module
reconciles the Cluster, and the checks that talk to Postgres and Valkey run as pods of their own, through the
Services (kube-proxy and CoreDNS), with the credentials from the Secrets the roles made. Secret values are
read into the client pods through secretKeyRef and never printed or asserted on here.

Not exercised on kind (and not claimed): the NetworkPolicy is not enforced (the node's ptp CNI enforces no
policy), the csi-driver-nfs pods cannot start (their images cannot be pulled here) and no NFS volume is
mounted (this kernel has no NFS client: test_immich.py's photos come from a local PersistentVolume).
"""
import time

from kind_cluster import (  # pylint: disable=import-error
    CLUSTER,
    NAMESPACE,
    OPERATOR_IMAGE,
    OWNER_SECRET,
    PG_IMAGE,
    VALKEY,
    VALKEY_IMAGE,
    condition,
    converge,
    get,
    kubectl,
    recap,
    run_pod,
    secret_env,
)


def test_no_kwok_nodes_are_real():
    """The cluster's one node is a kind node running containerd: no kwok fakes pods here."""
    nodes = get('nodes')['items']
    assert len(nodes) == 1
    info = nodes[0]['status']['nodeInfo']
    assert info['containerRuntimeVersion'].startswith('containerd://')
    assert info['kubeletVersion'] == 'v1.34.4'
    assert not any('kwok' in k for k in nodes[0]['metadata'].get('annotations', {}))
    assert condition(nodes[0], 'Ready').get('status') == 'True'


def test_operator_pod_runs_the_local_image():
    pods = get('pods', namespace='cnpg-system', selector='app.kubernetes.io/name=cloudnative-pg')['items']
    assert pods, 'no operator pod in cnpg-system'
    running = [p for p in pods if p['status'].get('phase') == 'Running'
               and all(c.get('ready') for c in p['status'].get('containerStatuses', []))]
    assert running, 'the operator pod is not Running and ready: %s' % [p['status'].get('phase') for p in pods]
    container = running[0]['spec']['containers'][0]
    assert container['image'] == OPERATOR_IMAGE
    assert {'name': 'OPERATOR_IMAGE_NAME', 'value': OPERATOR_IMAGE} in container['env']
    # The container really started from that image (a kubelet's report, not a spec).
    assert running[0]['status']['containerStatuses'][0]['imageID']


def test_cluster_is_ready_by_the_operator():
    """Ready and "Cluster in healthy state", written to the status by the operator's own client."""
    cluster = get('cluster.postgresql.cnpg.io', CLUSTER, NAMESPACE, managed_fields=True)
    assert condition(cluster, 'Ready').get('status') == 'True', cluster.get('status', {}).get('conditions')
    assert cluster['status']['phase'] == 'Cluster in healthy state'
    status_writers = {m['manager'] for m in cluster['metadata'].get('managedFields', [])
                      if m.get('subresource') == 'status'}
    # The operator's client writes as "manager" (its binary's name); on the testbed kwok would.
    assert status_writers == {'manager'}, status_writers
    assert cluster['spec']['imageName'] == PG_IMAGE
    assert 'shared_preload_libraries' not in cluster['spec'].get('postgresql', {})
    primary = get('pod', cluster['status']['currentPrimary'], NAMESPACE)
    assert primary['status']['phase'] == 'Running'
    assert all(c['ready'] for c in primary['status']['containerStatuses'])


def psql(sql, password_key='password'):
    env = [secret_env('PGUSER', OWNER_SECRET, 'username'), secret_env('PGPASSWORD', OWNER_SECRET, password_key),
           {'name': 'PGCONNECT_TIMEOUT', 'value': '10'}]
    return run_pod('psql', PG_IMAGE, ['psql', '-h', '%s-rw' % CLUSTER, '-d', 'immich', '-v', 'ON_ERROR_STOP=1',
                                      '-At', '-c', sql], env=env, uid=26, gid=26)


def test_psql_through_rw_service_lists_the_extensions():
    phase, log = psql('\\dx')
    assert phase == 'Succeeded', log
    extensions = {line.split('|')[0] for line in log.splitlines() if '|' in line}
    assert {'vector', 'cube', 'earthdistance'} <= extensions, log
    assert 'vchord' not in extensions
    phase, log = psql("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    assert phase == 'Succeeded' and log.strip() == '0.8.6', log


def test_psql_with_a_wrong_password_is_refused():
    """The same client with the username as password: the server must refuse it."""
    phase, log = psql('SELECT 1', password_key='username')
    assert phase == 'Failed'
    assert 'password authentication failed' in log, log


def valkey_ping(with_password):
    env = [secret_env('REDISCLI_AUTH', VALKEY, 'password')] if with_password else []
    return run_pod('valkey-ping', VALKEY_IMAGE, ['valkey-cli', '-h', VALKEY, '-p', '6379', 'ping'],
                   env=env, uid=999, gid=1000)


def test_valkey_answers_ping_only_with_its_password():
    phase, log = valkey_ping(with_password=True)
    assert phase == 'Succeeded' and log.strip() == 'PONG', log
    unused_phase, log = valkey_ping(with_password=False)
    assert 'NOAUTH' in log and 'PONG' not in log, log


def test_valkey_network_policy_exists():
    """The object only: the ptp CNI of this kind node enforces no NetworkPolicy, so it is not tested to block."""
    policy = get('networkpolicy', VALKEY, NAMESPACE)
    assert policy['spec']['policyTypes'] == ['Ingress', 'Egress']
    allowed = policy['spec']['ingress'][0]['from'][0]['podSelector']['matchLabels']
    assert allowed == {'app.kubernetes.io/name': 'immich-server', 'app.kubernetes.io/instance': 'immich'}


def test_csi_driver_nfs_objects_and_photos_claim():
    """The real 4.13.4 chart's objects exist and the static read-only PV/PVC are Bound; its pods are NOT
    checked (images not pullable here) and nothing is mounted (no NFS client in this kernel)."""
    assert get('csidriver', 'nfs.csi.k8s.io')['metadata']['name'] == 'nfs.csi.k8s.io'
    controller = get('deployment', 'csi-nfs-controller', 'kube-system')
    images = [c['image'] for c in controller['spec']['template']['spec']['containers']]
    assert any('/sig-storage/nfsplugin:' in i for i in images), images
    get('daemonset', 'csi-nfs-node', 'kube-system')
    pv = get('pv', 'immich-photos-nfs')
    assert pv['spec']['csi']['driver'] == 'nfs.csi.k8s.io'
    assert 'ro' in pv['spec']['mountOptions']
    assert pv['spec']['accessModes'] == ['ReadOnlyMany']
    pvc = get('pvc', 'immich-photos-nfs', NAMESPACE)
    assert pvc['status']['phase'] == 'Bound'


def valkey_pod():
    pods = get('pods', namespace=NAMESPACE, selector='app.kubernetes.io/name=valkey')['items']
    return [p for p in pods if not p['metadata'].get('deletionTimestamp')]


def test_deleted_valkey_pod_comes_back_and_the_next_run_changes_nothing():
    before = valkey_pod()
    assert len(before) == 1, [p['metadata']['name'] for p in before]
    kubectl('delete', 'pod', '-n', NAMESPACE, before[0]['metadata']['name'], '--wait=true', timeout=120)
    rc, out = converge()
    assert rc == 0, out[-3000:]
    assert recap(out) and not any(recap(out)), out[-3000:]
    deadline = time.time() + 180
    pods = []
    while time.time() < deadline:
        pods = valkey_pod()
        if pods and condition(pods[0], 'Ready').get('status') == 'True':
            break
        time.sleep(2)
    assert pods and condition(pods[0], 'Ready').get('status') == 'True'
    assert pods[0]['metadata']['uid'] != before[0]['metadata']['uid']
