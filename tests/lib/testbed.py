"""One named instance of tests/testbed/testbed for tests/reliability and tests/bench (own name, directory and ports):
up/down/reset, kubectl, snapshots of the cluster's objects, the apiserver's request counters, killing and
restarting kube-apiserver, stopping and starting the emulators, and ansible-playbook with its environment.

Nothing here hard-codes what the collection deploys: tests derive it from the cluster and the emulators.
"""
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from tests.lib.emulator_api import HarnessError, ImmichEmulator, TrueNASEmulator
from tests.lib.playbook_runs import Background, Run


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTBED_SCRIPT = os.path.join(ROOT, 'tests', 'testbed', 'testbed')
CALLBACK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')
VENV_BIN = os.path.dirname(sys.executable)
# The label of every object the collection manages.
MANAGED_BY = 'app.kubernetes.io/managed-by=homelab.immich'
# Kinds that change on their own (heartbeats, events, leader election) or are not objects.
NOISY_RESOURCES = ('events', 'events.events.k8s.io', 'leases.coordination.k8s.io', 'componentstatuses',
                   'nodes', 'endpoints', 'endpointslices.discovery.k8s.io')
# apiserver_request_total entries that are background noise on an idle testbed.
NOISY_METRIC_RESOURCES = ('leases', 'events', 'nodes', 'endpoints', 'endpointslices', '')


class Testbed:
    """One named testbed instance with its own directory and ports."""

    def __init__(self, name, run_dir, apiserver_port, immich_port, truenas_port, output_dir):
        self.name = name
        self.dir = run_dir
        self.ports = {'apiserver': apiserver_port, 'immich': immich_port, 'truenas': truenas_port}
        self.output_dir = output_dir
        os.makedirs(output_dir, exist_ok=True)
        self.api_key = os.environ.get('TESTBED_TRUENAS_API_KEY', '1-testbed-truenas-api-key')
        self.immich = ImmichEmulator('http://127.0.0.1:%d' % immich_port)
        self.truenas = TrueNASEmulator('ws://127.0.0.1:%d/api/current' % truenas_port, self.api_key)
        self._resources = None
        self._runs = 0

    # -- environment -----------------------------------------------------------------------------

    @property
    def kubeconfig(self):
        return os.path.join(self.dir, 'kubeconfig')

    @property
    def kubectl_bin(self):
        return os.path.join(self.dir, 'bin', 'kubectl')

    @property
    def cluster_dir(self):
        return os.path.join(self.dir, 'kwok', 'clusters', self.name)

    def env(self, **extra):
        env = dict(os.environ)
        for var in ('TRUENAS_API_KEY', 'IMMICH_API_KEY', 'IMMICH_URL', 'K8S_AUTH_KUBECONFIG', 'ANSIBLE_CALLBACKS_ENABLED',
                    'ANSIBLE_STDOUT_CALLBACK', 'ANSIBLE_INVENTORY'):
            env.pop(var, None)
        env.update({
            'TESTBED_NAME': self.name,
            'TESTBED_DIR': self.dir,
            'TESTBED_APISERVER_PORT': str(self.ports['apiserver']),
            'TESTBED_IMMICH_PORT': str(self.ports['immich']),
            'TESTBED_TRUENAS_PORT': str(self.ports['truenas']),
            'TESTBED_TRUENAS_API_KEY': self.api_key,
            'KUBECONFIG': self.kubeconfig,
            'KWOK_WORKDIR': os.path.join(self.dir, 'kwok'),
            'PATH': os.pathsep.join([VENV_BIN, os.path.join(self.dir, 'bin'), env.get('PATH', '')]),
            'ANSIBLE_CONFIG': os.path.join(ROOT, 'ansible.cfg'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORCE_COLOR': '0',
            'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_DIR,
            'PYTHONUNBUFFERED': '1',
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def script(self, *args, timeout=600):
        proc = subprocess.run([TESTBED_SCRIPT] + list(args), cwd=ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=timeout, check=False)
        if proc.returncode != 0:
            raise HarnessError('testbed %s failed (rc %s):\n%s%s' % (' '.join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc.stdout

    # -- lifecycle -------------------------------------------------------------------------------

    def up(self):
        self._resources = None
        return self.script('up')

    def down(self):
        self._resources = None
        return self.script('down', timeout=120)

    def reset(self):
        """An empty cluster and fresh emulators (the emulators' state files go with the directory)."""
        self.down()
        return self.up()

    def apiserver_pid(self):
        with open(os.path.join(self.cluster_dir, 'pids', 'kube-apiserver.pid'), encoding='utf-8') as handle:
            return int(handle.read().strip())

    def kill_apiserver(self):
        pid = self.apiserver_pid()
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 10)
        return pid

    def apiserver_ready(self):
        proc = self.kubectl('get', '--raw', '/readyz', check=False, timeout=10)
        return proc.returncode == 0 and proc.stdout.strip() == 'ok'

    def components(self):
        """kwokctl's component specs of this cluster (kwok.yaml: name, binary, args, workDir)."""
        import yaml  # PyYAML, a dependency of ansible-core
        with open(os.path.join(self.cluster_dir, 'kwok.yaml'), encoding='utf-8') as handle:
            for doc in yaml.safe_load_all(handle):
                if doc and doc.get('kind') == 'KwokctlConfiguration':
                    return {c['name']: c for c in doc.get('components', [])}
        raise HarnessError('no KwokctlConfiguration in %s/kwok.yaml' % self.cluster_dir)

    def component_running(self, name):
        try:
            with open(os.path.join(self.cluster_dir, 'pids', name + '.pid'), encoding='utf-8') as handle:
                os.kill(int(handle.read().strip()), 0)
            return True
        except (OSError, ValueError):
            return False

    def restart_control_plane(self, timeout=120):
        """Start again, the way kwokctl's binary runtime does, every component of the control plane that is
        not running (kube-apiserver after a kill; kube-controller-manager and kube-scheduler exit too when
        they lose their leader lease), on the same etcd data. Returns the names restarted.

        Neither `tests/testbed/testbed up` (it deletes and re-creates a cluster it finds not running) nor
        `kwokctl stop/start cluster` (its new kwok-controller waits out the old one's 200 s node leases
        before it runs pods again) fit here; the components that are still running are left alone.
        """
        restarted = []
        components = self.components()
        for name in ('etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'):
            spec = components.get(name)
            if spec is None or self.component_running(name):
                continue
            # Through a shell that exits at once, so the component is nobody's child here (no zombie
            # when `testbed down` stops it later).
            log_path = os.path.join(self.cluster_dir, 'logs', name + '.log')
            proc = subprocess.run(['sh', '-c', 'cd "$1" && shift && "$@" >>"$LOG" 2>&1 </dev/null & echo $!', 'sh',
                                   spec.get('workDir') or self.cluster_dir, spec['binary']] + list(spec.get('args', [])),
                                  env=dict(os.environ, LOG=log_path), capture_output=True, text=True, timeout=30, check=True)
            with open(os.path.join(self.cluster_dir, 'pids', name + '.pid'), 'w', encoding='utf-8') as handle:
                handle.write(proc.stdout.strip())
            restarted.append(name)
            if name == 'kube-apiserver':
                self._wait_ready(timeout)
        self._wait_ready(timeout)
        return restarted

    def _wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.apiserver_ready():
                return
            time.sleep(0.3)
        raise HarnessError('kube-apiserver of %s did not come back within %ss' % (self.name, timeout))

    def emulator_pid(self, name):
        try:
            with open(os.path.join(self.dir, name + '.pid'), encoding='utf-8') as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def stop_emulator(self, name):
        pid = self.emulator_pid(name)
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        _wait_gone(pid, 20)

    def start_emulators(self):
        """Start whichever emulator is not running (tests/testbed/testbed emulators), on the same state files."""
        self.script('emulators', timeout=120)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.immich.up() and self.truenas.up():
                return
            time.sleep(0.2)
        raise HarnessError('the emulators did not answer after testbed emulators')

    # -- kubectl ---------------------------------------------------------------------------------

    def kubectl(self, *args, stdin=None, check=True, timeout=120):
        proc = subprocess.run([self.kubectl_bin, '--kubeconfig', self.kubeconfig] + list(args), input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=False, env=self.env())
        if check and proc.returncode != 0:
            raise HarnessError('kubectl %s failed: %s' % (' '.join(args), proc.stderr.strip()))
        return proc

    def get_json(self, *args, check=True):
        proc = self.kubectl('get', '-o', 'json', *args, check=check)
        if proc.returncode != 0:
            return None
        return json.loads(proc.stdout)

    def resources(self):
        """Fully qualified names of every listable API resource (namespaced and cluster-scoped)."""
        if self._resources is None:
            out = self.kubectl('api-resources', '--verbs=list', '-o', 'name').stdout.split()
            self._resources = [r for r in out if r not in ('componentstatuses',)]
        return self._resources

    def objects(self, selector=None, resources=None, exclude=NOISY_RESOURCES):
        """Every object of the given resources (default: all listable ones but the noisy kinds)."""
        wanted = [r for r in (resources or self.resources()) if r not in exclude]
        args = [','.join(wanted), '-A']
        if selector:
            args += ['-l', selector]
        items = (self.get_json(*args) or {}).get('items', [])
        return items

    def snapshot(self, selector=None, resources=None, exclude=NOISY_RESOURCES):
        """{object key: signature}; the signature changes when anyone writes the object (status aside).

        It is the uid, the generation, the labels/annotations and every managedFields entry that is not
        for the status subresource (manager, operation, time). A server-side apply that changes nothing
        leaves all of them as they were; any other create, update, patch or delete shows.
        """
        snap = {}
        for obj in self.objects(selector, resources, exclude):
            meta = obj.get('metadata', {})
            key = '%s/%s/%s/%s' % (obj.get('apiVersion'), obj.get('kind'), meta.get('namespace', ''), meta.get('name'))
            fields = sorted((m.get('manager', ''), m.get('operation', ''), m.get('time', ''))
                            for m in meta.get('managedFields', []) if m.get('subresource') != 'status')
            snap[key] = {'uid': meta.get('uid'), 'generation': meta.get('generation'), 'resourceVersion': meta.get('resourceVersion'),
                         'labels': meta.get('labels', {}), 'annotations': meta.get('annotations', {}),
                         'managedFields': fields}
        return snap

    def resource_kinds(self):
        """{(apiVersion, kind): fully qualified resource name} of the listable resources."""
        out = {}
        for line in self.kubectl('api-resources', '--verbs=list', '--no-headers', '-o', 'wide').stdout.splitlines():
            cols = line.split()
            # NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS [CATEGORIES]: find NAMESPACED.
            for i, col in enumerate(cols[2:], start=2):
                if col in ('true', 'false'):
                    api_version, kind = cols[i - 1], cols[i + 1]
                    group = api_version.split('/')[0] if '/' in api_version else ''
                    out[(api_version, kind)] = cols[0] + ('.' + group if group else '')
                    break
        return out

    def labelled_resources(self, selector=MANAGED_BY):
        """The resources holding at least one object that matches ``selector``."""
        kinds = self.resource_kinds()
        return sorted({kinds[(o['apiVersion'], o['kind'])] for o in self.objects(selector)
                       if (o['apiVersion'], o['kind']) in kinds})

    # -- apiserver counters ----------------------------------------------------------------------

    def metrics(self):
        """Counter of apiserver_request_total by (verb, resource, dry_run), noise excluded."""
        text = self.kubectl('get', '--raw', '/metrics', timeout=30).stdout
        counts = collections.Counter()
        for line in text.splitlines():
            if not line.startswith('apiserver_request_total{'):
                continue
            labels_text, value = line[len('apiserver_request_total{'):].rsplit('} ', 1)
            labels = dict(re.findall(r'(\w+)="([^"]*)"', labels_text))
            if labels.get('resource', '') in NOISY_METRIC_RESOURCES:
                continue
            counts[(labels.get('verb'), labels.get('resource'), labels.get('subresource', ''),
                    labels.get('dry_run', ''))] += int(float(value))
        return counts

    # -- ansible ---------------------------------------------------------------------------------

    def playbook(self, *args, playbook='site.yml', extra_vars=None, env=None, timeout=900, background=False,
                 inventory='inventories/local', callbacks=()):
        """ansible-playbook PLAYBOOK -i inventories/local ARGS against this instance."""
        self._runs += 1
        stamp = '%03d' % self._runs
        record_path = os.path.join(self.output_dir, 'run-%s.jsonl' % stamp)
        out_path = os.path.join(self.output_dir, 'run-%s.log' % stamp)
        for path in (record_path, out_path):
            if os.path.exists(path):
                os.unlink(path)
        cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), playbook, '-i', inventory] + list(args)
        extra_file = None
        if extra_vars:
            fd, extra_file = tempfile.mkstemp(prefix='extra-', suffix='.json', dir=self.output_dir)
            with os.fdopen(fd, 'w', encoding='utf-8') as handle:
                json.dump(extra_vars, handle)
            cmd += ['-e', '@' + extra_file]
        run_env = self.env(HOMELAB_RECORD_FILE=record_path,
                           ANSIBLE_CALLBACKS_ENABLED=','.join(['homelab_recorder'] + list(callbacks)), **(env or {}))
        started = time.time()
        with open(out_path, 'w', encoding='utf-8') as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=run_env, stdout=out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        handle = Background(proc, cmd[1:], out_path, record_path, started)
        if background:
            return handle
        try:
            return handle.wait(timeout)
        finally:
            if extra_file:
                os.unlink(extra_file)

    def adhoc(self, pattern, module, args, *extra, timeout=120):
        """ansible PATTERN -m MODULE -a ARGS (JSON) with the instance's environment; returns Run."""
        cmd = [os.path.join(VENV_BIN, 'ansible'), pattern, '-i', 'inventories/local', '-m', module,
               '-a', json.dumps(args) if isinstance(args, dict) else args] + list(extra)
        started = time.time()
        proc = subprocess.run(cmd, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False)
        return Run(cmd[1:], proc.returncode, proc.stdout + proc.stderr, time.time() - started, [])


def _wait_gone(pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # A zombie child of ours would linger: reap it if it is one.
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    raise HarnessError('process %s did not exit within %ss' % (pid, timeout))
