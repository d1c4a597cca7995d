"""What the verify tests of molecule/kind share: kubectl, the objects of the cluster, a site.yml run, Immich's
API through the API server's service proxy, and the API server's audit log (tests/kind/audit-policy.yaml)."""
import base64
import calendar
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import yaml

ROOT = os.environ.get('KIND_PROJECT_DIR') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)
from tests.upstream.immich.proxy import is_write  # noqa: E402  pylint: disable=wrong-import-position
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


def converge(*extra):
    """Runs site.yml with inventories/kind (extra ansible-playbook arguments); returns its code and output."""
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY,
           os.path.join(ROOT, 'site.yml')] + list(extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    env.pop('ANSIBLE_FORCE_COLOR', None)  # molecule's verifier environment sets it
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    return proc.returncode, re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)


def recap(output):
    """changed= of every host in a play recap."""
    return [int(changed) for unused_host, changed in re.findall(r'^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)', output, re.M)]


# -- Immich through the API server -------------------------------------------------------------------------

IMMICH_SERVICE = 'http:immich-server:2283'
API_KEY_SECRET = 'immich-api-key'
# The tests' own requests to Immich say so, and the audit checks leave them out: only the collection's count.
TEST_USER_AGENT = 'homelab-immich-kind-tests'


class ImmichThroughApiServer:
    """Immich's API at /api/v1/namespaces/immich/services/http:immich-server:2283/proxy/api, with the
    kubeconfig's client certificate for the API server and Immich's own API key in x-api-key. Written
    here with urllib (not the collection's client) so the tests do not check the collection with itself."""

    def __init__(self, kubeconfig=None):
        with open(kubeconfig or os.environ['KUBECONFIG'], encoding='utf-8') as handle:
            config = yaml.safe_load(handle)
        context = next(c['context'] for c in config['contexts'] if c['name'] == config['current-context'])
        cluster = next(c['cluster'] for c in config['clusters'] if c['name'] == context['cluster'])
        user = next(u['user'] for u in config['users'] if u['name'] == context['user'])
        self.root = '%s/api/v1/namespaces/%s/services/%s/proxy/api' % (cluster['server'], NAMESPACE, IMMICH_SERVICE)
        self.folder = tempfile.mkdtemp(prefix='kind-immich-')
        paths = {}
        for key in ('certificate-authority-data', 'client-certificate-data', 'client-key-data'):
            paths[key] = os.path.join(self.folder, key)
            with open(paths[key], 'wb') as handle:
                handle.write(base64.b64decode(cluster.get(key) or user.get(key)))
        self.context = ssl.create_default_context(cafile=paths['certificate-authority-data'])
        self.context.load_cert_chain(paths['client-certificate-data'], paths['client-key-data'])
        self.api_key = None

    def use_kept_api_key(self):
        """The API key the immich_library role keeps in its Secret (never printed)."""
        data = get('secret', API_KEY_SECRET, NAMESPACE)['data']
        self.api_key = base64.b64decode(data['api-key']).decode()
        return self

    def request(self, method, path, body=None, raw=False):
        """(status, decoded JSON or bytes) of one request."""
        headers = {'Accept': 'application/json', 'User-Agent': TEST_USER_AGENT}
        if self.api_key:
            headers['x-api-key'] = self.api_key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers['Content-Type'] = 'application/json'
        request = urllib.request.Request(self.root + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=60) as response:
                payload = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            payload, status = error.read(), error.code
        if raw:
            return status, payload
        return status, json.loads(payload) if payload else None

    def get(self, path):
        status, data = self.request('GET', path)
        assert status == 200, 'GET %s: HTTP %s %s' % (path, status, data)
        return data


# -- the API server's audit log ----------------------------------------------------------------------------

def _epoch(timestamp):
    """Seconds since the epoch of an audit timestamp (RFC 3339, UTC, microseconds)."""
    whole, unused_sep, fraction = timestamp.rstrip('Z').partition('.')
    return calendar.timegm(time.strptime(whole, '%Y-%m-%dT%H:%M:%S')) + float('0.' + (fraction or '0'))


def audit_events(since, until):
    """The admin's requests (the collection's and the tests' kubeconfig) received between two times."""
    events = []
    with open(os.environ['KIND_AUDIT_LOG'], encoding='utf-8') as handle:
        for line in handle:
            event = json.loads(line)
            if since <= _epoch(event['requestReceivedTimestamp']) <= until:
                events.append(event)
    return events


def describe(event):
    ref = event.get('objectRef') or {}
    return '%s %s%s %s' % (event['verb'], ref.get('resource', event.get('requestURI')),
                           '/' + ref['subresource'] if ref.get('subresource') else '', ref.get('name', ''))


# The audit verb of a proxied request is its HTTP method's.
PROXY_METHODS = {'get': 'GET', 'create': 'POST', 'update': 'PUT', 'patch': 'PATCH', 'delete': 'DELETE'}


def immich_request(event):
    """(HTTP method, Immich path) of a request through the service proxy."""
    path = event['requestURI'].split('/proxy', 1)[1]
    return PROXY_METHODS.get(event['verb'], event['verb']), path


def writes(events):
    """(Kubernetes writes, Immich writes) among audit events: any verb but get/list/watch; and requests through
    the service proxy that ask Immich to change something, by the rule the real-server tests' recording proxy
    applies (tests/upstream/immich/proxy.py: login, logout and import-path validation change nothing)."""
    k8s, immich = [], []
    for event in events:
        if event.get('userAgent') == TEST_USER_AGENT:
            continue
        ref = event.get('objectRef') or {}
        if ref.get('subresource') == 'proxy':
            method, path = immich_request(event)
            if is_write(method, path):
                immich.append('%s %s at %s by %s' % (method, path, event['requestReceivedTimestamp'], event.get('userAgent')))
        elif event['verb'] not in ('get', 'list', 'watch'):
            k8s.append(describe(event))
    return k8s, immich


def converge_audited(*extra):
    """converge(), with the audit events of the run: (returncode, output, events)."""
    since = time.time()
    code, output = converge(*extra)
    until = time.time()
    # The audit backend writes in batches: give it a moment to flush the last requests.
    time.sleep(2)
    output += '\n[audit window %.3f - %.3f]' % (since, until)
    return code, output, audit_events(since, until)


def wait_for(predicate, timeout, message, interval=3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message)


def server_pods():
    pods = get('pods', namespace=NAMESPACE, selector='app.kubernetes.io/name=immich-server')['items']
    return [p for p in pods if not p['metadata'].get('deletionTimestamp')]
