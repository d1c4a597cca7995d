"""Verify step of molecule/kind: what converge made on a real kind cluster, where containers really run.

Nothing here is faked: there is no kwok on this cluster, the CloudNativePG operator built from its Go module
reconciles the Cluster, and the checks that talk to Postgres and Valkey run as pods of their own, through the
Services (kube-proxy and CoreDNS), with the credentials from the Secrets the roles made. Secret values are
read into the client pods through secretKeyRef and never printed or asserted on here.

Not exercised on kind (and not claimed): the NetworkPolicy is not enforced (the node's ptp CNI enforces no
policy), the csi-driver-nfs pods cannot start (their images cannot be pulled here) and no NFS volume is
mounted (this kernel has no NFS client); the Immich workloads are skipped by tag in this scenario.
"""
import json
import os
import re
import subprocess
import sys
import time
import uuid

ROOT = os.environ.get('KIND_PROJECT_DIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
INVENTORY = os.environ.get('KIND_INVENTORY', os.path.join(ROOT, 'inventories', 'kind'))
KUBECTL = os.path.join(os.environ.get('TESTBED_DIR', ''), 'bin', 'kubectl')
NAMESPACE = 'immich'
CLUSTER = 'immich-database'
OWNER_SECRET = 'immich-database-owner'
VALKEY = 'immich-valkey'
PG_IMAGE = 'localhost/postgresql-pgvector:15-pgvector0.8.6-bookworm'
VALKEY_IMAGE = 'localhost/valkey:8.0.1-bookworm'
OPERATOR_IMAGE = 'localhost/cloudnative-pg:1.30.0'


def kubectl(*args, check=True, stdin=None, timeout=120):
    proc = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError('kubectl %s failed: %s' % (' '.join(args), proc.stderr.strip()))
    return proc


def get(kind, name=None, namespace=None, selector=None, managed_fields=False):
    args = ['get', kind, '-o', 'json'] + (['--show-managed-fields'] if managed_fields else [])
    if name:
        args.insert(2, name)
    if namespace:
        args += ['-n', namespace]
    if selector:
        args += ['-l', selector]
    return json.loads(kubectl(*args).stdout)


def condition(obj, kind):
    return next((c for c in obj.get('status', {}).get('conditions', []) if c['type'] == kind), {})


def restricted(uid, gid):
    """A securityContext the restricted Pod Security profile accepts."""
    return {'runAsNonRoot': True, 'runAsUser': uid, 'runAsGroup': gid, 'allowPrivilegeEscalation': False,
            'capabilities': {'drop': ['ALL']}, 'seccompProfile': {'type': 'RuntimeDefault'}}


def run_pod(prefix, image, command, env=(), uid=65534, gid=65534, timeout=180):
    """Runs a one-shot pod in the Immich namespace; returns its phase and log (and deletes it)."""
    name = '%s-%s' % (prefix, uuid.uuid4().hex[:6])
    pod = {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': name, 'namespace': NAMESPACE},
           'spec': {'restartPolicy': 'Never', 'automountServiceAccountToken': False,
                    'containers': [{'name': 'check', 'image': image, 'imagePullPolicy': 'IfNotPresent',
                                    'command': list(command), 'env': list(env),
                                    'securityContext': restricted(uid, gid)}]}}
    kubectl('apply', '-f', '-', stdin=json.dumps(pod))
    try:
        deadline = time.time() + timeout
        phase = ''
        while time.time() < deadline:
            phase = get('pod', name, NAMESPACE).get('status', {}).get('phase', '')
            if phase in ('Succeeded', 'Failed'):
                break
            time.sleep(2)
        log = kubectl('logs', '-n', NAMESPACE, name, check=False).stdout
        return phase, log
    finally:
        kubectl('delete', 'pod', '-n', NAMESPACE, name, '--wait=false', check=False)


def secret_env(name, secret, key):
    return {'name': name, 'valueFrom': {'secretKeyRef': {'name': secret, 'key': key}}}


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
    pv = get('pv', 'immich-photos')
    assert pv['spec']['csi']['driver'] == 'nfs.csi.k8s.io'
    assert 'ro' in pv['spec']['mountOptions']
    assert pv['spec']['accessModes'] == ['ReadOnlyMany']
    pvc = get('pvc', 'immich-photos', NAMESPACE)
    assert pvc['status']['phase'] == 'Bound'


def converge():
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY,
           os.path.join(ROOT, 'site.yml'), '--skip-tags', 'immich,immich_library']
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    env.pop('ANSIBLE_FORCE_COLOR', None)  # molecule's verifier environment sets it
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    return proc.returncode, re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)


def valkey_pod():
    pods = get('pods', namespace=NAMESPACE, selector='app.kubernetes.io/name=valkey')['items']
    return [p for p in pods if not p['metadata'].get('deletionTimestamp')]


def test_deleted_valkey_pod_comes_back_and_the_next_run_changes_nothing():
    before = valkey_pod()
    assert len(before) == 1, [p['metadata']['name'] for p in before]
    kubectl('delete', 'pod', '-n', NAMESPACE, before[0]['metadata']['name'], '--wait=true', timeout=120)
    rc, out = converge()
    assert rc == 0, out[-3000:]
    recap = re.findall(r'^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)', out, re.M)
    assert recap and all(int(changed) == 0 for unused_host, changed in recap), out[-3000:]
    deadline = time.time() + 180
    pods = []
    while time.time() < deadline:
        pods = valkey_pod()
        if pods and condition(pods[0], 'Ready').get('status') == 'True':
            break
        time.sleep(2)
    assert pods and condition(pods[0], 'Ready').get('status') == 'True'
    assert pods[0]['metadata']['uid'] != before[0]['metadata']['uid']
