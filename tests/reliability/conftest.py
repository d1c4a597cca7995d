"""Reliability suite: one dedicated testbed instance per session, and what the tests share.

The instance (name, directory, ports) is its own, never the default `homelab-immich` one:
RELIABILITY_TESTBED_NAME (homelab-immich-reliability), RELIABILITY_TESTBED_DIR
(~/.cache/homelab-immich/<name>), RELIABILITY_TESTBED_PORTS (kube-apiserver,Immich,TrueNAS:
26643,22483,22643). It starts from nothing and is torn down at the end (RELIABILITY_KEEP=1 keeps it).
Each run's output and task records are under tests/output/reliability/.

Fixtures: ``testbed`` (tests.lib.testbed.Testbed), ``inventory`` (inventories/local's variables, rendered by
Ansible for each host), ``converged`` (site.yml has converged; runs it when a test left the state
unknown), ``expect`` (state checks in Kubernetes and in the emulators).
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.lib.emulator_api import HarnessError  # noqa: E402  pylint: disable=wrong-import-position
from tests.lib.testbed import VENV_BIN, Testbed  # noqa: E402  pylint: disable=wrong-import-position

# The order the modules run in: check mode and the site-wide bad inputs (which write nothing) and the fault
# tests start from the session's empty cluster, the secrets test from another one, then the bad-input catalogue, the no-op
# checks and data safety on a converged deployment.
MODULE_ORDER = ['test_check_mode.py', 'test_site_inputs.py', 'test_faults.py', 'test_secrets.py', 'test_inputs.py', 'test_noop.py',
                'test_data_safety.py']


def pytest_collection_modifyitems(session, config, items):  # pylint: disable=unused-argument
    def key(item):
        name = os.path.basename(str(item.fspath))
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)
    items.sort(key=key)  # stable: the order inside a module stays


@pytest.fixture(scope='session')
def testbed():
    name = os.environ.get('RELIABILITY_TESTBED_NAME', 'homelab-immich-reliability')
    if name == 'homelab-immich':
        pytest.exit('RELIABILITY_TESTBED_NAME must not be the default instance homelab-immich', returncode=2)
    run_dir = os.environ.get('RELIABILITY_TESTBED_DIR') or os.path.join(os.path.expanduser('~'), '.cache', 'homelab-immich', name)
    ports = [int(p) for p in os.environ.get('RELIABILITY_TESTBED_PORTS', '26643,22483,22643').split(',')]
    tb = Testbed(name, run_dir, ports[0], ports[1], ports[2], os.path.join(ROOT, 'tests', 'output', 'reliability'))
    tb.reset()
    tb.fresh = True       # an empty cluster nobody has run site.yml against yet
    tb.converged = False  # site.yml converged and no test left the state unknown since
    yield tb
    if os.environ.get('RELIABILITY_KEEP') != '1':
        tb.down()


@pytest.fixture
def fresh_testbed(testbed):
    """An empty cluster and fresh emulators: the session's first one, else a testbed down + up."""
    if not testbed.fresh:
        testbed.reset()
    testbed.fresh = False
    testbed.converged = False
    return testbed


@pytest.fixture(scope='session')
def inventory(testbed):
    """{host: {variable: value}} of inventories/local, each value rendered by Ansible for that host."""
    env = testbed.env()
    listing = subprocess.run([os.path.join(VENV_BIN, 'ansible-inventory'), '-i', 'inventories/local', '--list'], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120, check=True)
    hostvars = json.loads(listing.stdout)['_meta']['hostvars']
    names = sorted({n for h in hostvars.values() for n in h if not n.startswith('ansible_')})
    fd, path = tempfile.mkstemp(suffix='.json')
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        json.dump({'reliability_names': names}, handle)
    try:
        env.update(ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='ansible.posix.json')
        proc = subprocess.run(
            [os.path.join(VENV_BIN, 'ansible'), 'all', '-i', 'inventories/local', '-m', 'ansible.builtin.debug', '-e', '@' + path,
             '-a', "msg={{ dict(reliability_names | zip(query('ansible.builtin.vars', *reliability_names, default=None))) }}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise HarnessError('could not render inventories/local (rc %s): %s' % (proc.returncode, proc.stderr[-2000:]))
    result = json.loads(proc.stdout)
    return {host: res['msg'] for host, res in result['plays'][0]['tasks'][0]['hosts'].items()}


@pytest.fixture
def converged(testbed):
    """site.yml has converged on the instance (run now if no test vouches for it); returns the testbed."""
    if not testbed.converged:
        run = testbed.playbook()
        assert run.rc == 0, 'site.yml did not converge (rc %s):\n%s' % (run.rc, run.tail(60))
        testbed.fresh = False
        testbed.converged = True
    return testbed


class Expect:
    """What a converged deployment looks like, in Kubernetes and in both emulators.

    Names and values come from inventories/local (rendered) and, where the inventory leaves them to a
    role, from that role's defaults (the same fallbacks as playbooks/uninstall.yml).
    """

    def __init__(self, testbed, inventory):
        self.tb = testbed
        self.ctl = inventory['localhost']
        self.nas = inventory['truenas']

    def var(self, name, default=None):
        value = self.ctl.get(name)
        return default if value is None else value

    @property
    def namespace(self):
        return self.var('homelab_immich_namespace', 'immich')

    def essential_objects(self):
        """(resource, namespace or '', name) the deployment cannot do without."""
        ns = self.namespace
        valkey = self.var('valkey_name', 'immich-valkey')
        return [
            ('namespaces', '', ns),
            ('storageclasses.storage.k8s.io', '', self.var('csi_driver_nfs_storage_class_name', 'nfs-immich-photos')),
            ('persistentvolumes', '', self.var('csi_driver_nfs_pv_name', 'immich-photos')),
            ('persistentvolumeclaims', ns, self.var('csi_driver_nfs_pvc_name', 'immich-photos')),
            ('csidrivers.storage.k8s.io', '', 'nfs.csi.k8s.io'),
            ('deployments.apps', self.var('cnpg_operator_namespace', 'cnpg-system'), 'cnpg-controller-manager'),
            ('clusters.postgresql.cnpg.io', ns, self.var('immich_database_cluster_name', 'immich-database')),
            ('secrets', ns, self.var('immich_database_owner_secret_name', 'immich-database-owner')),
            ('deployments.apps', ns, valkey),
            ('deployments.apps', ns, 'immich-server'),
            ('deployments.apps', ns, 'immich-machine-learning'),
            ('persistentvolumeclaims', ns, self.var('immich_data_pvc_name', 'immich-library')),
            ('persistentvolumeclaims', ns, self.var('immich_ml_cache_pvc_name', 'immich-ml-cache')),
            ('secrets', ns, self.var('immich_library_api_key_secret_name', 'immich-api-key')),
        ]

    def missing_objects(self):
        missing = []
        for resource, ns, name in self.essential_objects():
            args = [resource, name] + (['-n', ns] if ns else [])
            if self.tb.get_json(*args, check=False) is None:
                missing.append('%s %s/%s' % (resource, ns, name))
        return missing

    def api_key(self):
        secret = self.tb.get_json('secret', self.var('immich_library_api_key_secret_name', 'immich-api-key'), '-n',
                                  self.var('immich_library_namespace', self.namespace))
        return base64.b64decode(secret['data']['api-key']).decode('utf-8')

    def immich_problems(self):
        """What is wrong with Immich's side of the deployment ([] when it is all there)."""
        problems = []
        im = self.tb.immich
        status, cfg = im.api('GET', '/server/config')
        if status != 200 or not cfg.get('isInitialized'):
            return ['Immich has no admin (GET /server/config: %s %s)' % (status, cfg)]
        try:
            im.login(self.var('immich_library_admin_email'), self.var('immich_library_admin_password'))
        except HarnessError as exc:
            problems.append(str(exc))
        try:
            key = self.api_key()
        except (HarnessError, KeyError, TypeError) as exc:
            return problems + ['no API key in the Secret: %s' % exc]
        status, me = im.api('GET', '/users/me', api_key=key)
        if status != 200 or not me.get('isAdmin'):
            problems.append('the API key kept in the Secret does not work as an admin: %s %s' % (status, me))
            return problems
        status, libraries = im.api('GET', '/libraries', api_key=key)
        wanted = [lib for lib in libraries or [] if lib['name'] == self.var('immich_library_name', 'NAS photos')]
        if len(wanted) != 1:
            problems.append('expected one library named %r, found %s' % (self.var('immich_library_name'), libraries))
        else:
            lib = wanted[0]
            if sorted(lib['importPaths']) != sorted(self.var('immich_library_import_paths', ['/mnt/photos'])):
                problems.append('library import paths %s' % lib['importPaths'])
        status, config = im.api('GET', '/system-config', api_key=key)
        scan = (config or {}).get('library', {})
        cron = self.var('immich_library_scan_cron')
        if cron and scan.get('scan', {}).get('cronExpression') != cron:
            problems.append('library scan cron is %r, not %r' % (scan.get('scan'), cron))
        if scan.get('watch', {}).get('enabled') is not False:
            problems.append('library file watching is not off: %s' % scan.get('watch'))
        return problems

    def library(self):
        """The Immich library of the inventory (with its statistics), via the kept API key."""
        key = self.api_key()
        libraries = self.tb.immich.api('GET', '/libraries', api_key=key)[1]
        lib = [x for x in libraries if x['name'] == self.var('immich_library_name', 'NAS photos')][0]
        lib['statistics'] = self.tb.immich.api('GET', '/libraries/%s/statistics' % lib['id'], api_key=key)[1]
        return lib

    def truenas_problems(self):
        state = self.tb.truenas.state()
        path = self.nas.get('truenas_nfs_export_path')
        shares = [s for s in state['shares'] if s['path'] == path]
        problems = []
        if len(shares) != 1:
            problems.append('expected exactly one NFS share of %s, found %d: %s' % (path, len(shares), shares))
        else:
            share = shares[0]
            if not share.get('ro') or not share.get('enabled', True):
                problems.append('the share of %s is not read-only and enabled: %s' % (path, share))
            if sorted(share.get('networks', [])) != sorted(self.nas.get('truenas_nfs_export_networks') or []):
                problems.append('share networks %s' % share.get('networks'))
        nfs = [s for s in state['services'] if s['service'] == 'nfs']
        if not nfs or not nfs[0].get('enable') or nfs[0].get('state') != 'RUNNING':
            problems.append('the NFS service is not enabled and running: %s' % nfs)
        return problems

    def problems(self):
        return ['Kubernetes: missing %s' % m for m in self.missing_objects()] + \
            ['Immich: %s' % p for p in self.immich_problems()] + ['TrueNAS: %s' % p for p in self.truenas_problems()]


@pytest.fixture
def expect(testbed, inventory):
    return Expect(testbed, inventory)
