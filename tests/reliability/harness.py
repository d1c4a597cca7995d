"""Drive a dedicated testbed instance for tests/reliability and tests/bench.

- ``Testbed``: up/down/reset one named instance of tests/testbed/testbed (own name, directory and ports),
  kubectl against it, snapshots of the cluster's objects, the apiserver's request counters, killing and
  restarting kube-apiserver, stopping and starting the Immich emulator.
- ``Testbed.playbook()``: ansible-playbook with the instance's environment (inventories/local reads
  TESTBED_DIR and the emulator ports), returning a ``Run`` (rc, output, recap, per-task records).
- ``ImmichEmulator`` / ``TrueNASEmulator``: the emulators' test endpoints (request logs, faults, state).

Nothing here hard-codes what the collection deploys: tests derive it from the cluster and the emulators.
"""
import base64
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTBED_SCRIPT = os.path.join(ROOT, 'tests', 'testbed', 'testbed')
CALLBACK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')
VENV_BIN = os.path.dirname(sys.executable)
MANAGED_BY = 'app.kubernetes.io/managed-by=homelab.immich'
# Kinds that change on their own (heartbeats, events, leader election) or are not objects.
NOISY_RESOURCES = ('events', 'events.events.k8s.io', 'leases.coordination.k8s.io', 'componentstatuses',
                   'nodes', 'endpoints', 'endpointslices.discovery.k8s.io')
# apiserver_request_total entries that are background noise on an idle testbed.
NOISY_METRIC_RESOURCES = ('leases', 'events', 'nodes', 'endpoints', 'endpointslices', '')
WRITE_VERBS = ('APPLY', 'CREATE', 'POST', 'PUT', 'UPDATE', 'PATCH', 'DELETE', 'DELETECOLLECTION')
READ_VERBS = ('GET', 'LIST')
RECAP_RE = re.compile(r'^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)'
                      r'(?:\s+skipped=(\d+))?(?:\s+rescued=(\d+))?(?:\s+ignored=(\d+))?', re.M)


class HarnessError(Exception):
    pass


def _http(method, url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode('utf-8')
    req = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # nosec - loopback test endpoint
        raw = resp.read()
    return json.loads(raw) if raw else None


class ImmichEmulator:
    """The Immich emulator's test endpoints, plus a few real API calls for state checks."""

    def __init__(self, url):
        self.url = url.rstrip('/')

    def requests(self):
        return _http('GET', self.url + '/__emulator/requests')

    def reset_log(self):
        _http('POST', self.url + '/__emulator/reset-log', {})

    def faults(self, **faults):
        return _http('POST', self.url + '/__emulator/faults', faults)

    def clear_faults(self):
        return self.faults(fail_next=0, fail_status=503, drop_next=0, delay=0, path_prefix='')

    def reset(self):
        _http('POST', self.url + '/__emulator/reset', {})

    def up(self):
        try:
            return _http('GET', self.url + '/api/server/ping', timeout=2) == {'res': 'pong'}
        except (OSError, ValueError):
            return False

    def counts(self):
        """{'reads': n, 'writes': n, 'writes_list': [...]} of the log since the last reset_log()."""
        log = self.requests()
        writes = [e for e in log if e.get('write')]
        return {'reads': len(log) - len(writes), 'writes': len(writes),
                'write_requests': ['%s %s %s' % (e['method'], e['path'], e['status']) for e in writes]}

    def api(self, method, path, api_key=None, body=None, token=None):
        headers = {'Content-Type': 'application/json'}
        if api_key:
            headers['x-api-key'] = api_key
        if token:
            headers['Authorization'] = 'Bearer ' + token
        data = None if body is None else json.dumps(body).encode('utf-8')
        req = urllib.request.Request(self.url + '/api' + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # nosec - loopback test endpoint
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, (json.loads(raw) if raw else None)

    def login(self, email, password):
        status, body = self.api('POST', '/auth/login', body={'email': email, 'password': password})
        if status != 201:
            raise HarnessError('Immich login as %s failed: %s %s' % (email, status, body))
        return body['accessToken']


class TrueNASEmulator:
    """JSON-RPC over WebSocket: the emulator.* test methods and, after login(), real methods."""

    def __init__(self, url, api_key):
        self.url = url
        self.api_key = api_key

    def call(self, method, *params, login=False, timeout=15):
        from websockets.sync.client import connect  # the venv's websockets (requirements.txt)
        with connect(self.url, open_timeout=timeout, close_timeout=2, max_size=16 * 1024 * 1024) as ws:
            seq = 0
            if login:
                seq += 1
                ws.send(json.dumps({'jsonrpc': '2.0', 'id': seq, 'method': 'auth.login_with_api_key',
                                    'params': [self.api_key]}))
                answer = json.loads(ws.recv(timeout))
                if answer.get('result') is not True:
                    raise HarnessError('TrueNAS login refused: %s' % answer)
            seq += 1
            ws.send(json.dumps({'jsonrpc': '2.0', 'id': seq, 'method': method, 'params': list(params)}))
            answer = json.loads(ws.recv(timeout))
        if 'error' in answer:
            raise HarnessError('TrueNAS %s failed: %s' % (method, answer['error']))
        return answer['result']

    def requests(self):
        return self.call('emulator.requests')

    def reset_log(self):
        self.call('emulator.reset_log')

    def faults(self, faults):
        return self.call('emulator.faults', faults)

    def clear_faults(self):
        self.call('emulator.clear_faults')

    def state(self):
        return self.call('emulator.state')

    def up(self):
        try:
            self.call('emulator.release', timeout=2)
            return True
        except (OSError, HarnessError, ValueError):
            return False
        except Exception:  # pylint: disable=broad-except  # websockets' own exceptions
            return False

    def counts(self):
        log = self.requests()
        writes = [e for e in log if e.get('write')]
        return {'reads': len(log) - len(writes), 'writes': len(writes),
                'write_requests': ['%s %s' % (e['method'], e.get('error') or 'ok') for e in writes]}


class Run:
    """One finished (or killed) ansible-playbook run."""

    def __init__(self, args, rc, output, duration, records, started=None):
        self.args = args
        self.started = started
        self.rc = rc
        self.output = output
        self.duration = duration
        self.records = records
        self.recap = parse_recap(output)

    @property
    def changed(self):
        return sum(h['changed'] for h in self.recap.values())

    @property
    def failed(self):
        return sum(h['failed'] + h['unreachable'] for h in self.recap.values())

    @property
    def tasks(self):
        """Tasks started (each counted once, whatever the number of hosts)."""
        return sum(1 for r in self.records if r['event'] == 'task')

    def results(self, status=None):
        return [r for r in self.records if r['event'] == 'result' and (status is None or r['status'] == status)]

    def task_times(self):
        """[(seconds, 'role : task')] from one task start to the next (the last one to the recap)."""
        events = [r for r in self.records if r['event'] in ('task', 'stats')]
        out = []
        for current, following in zip(events, events[1:]):
            if current['event'] == 'task':
                label = '%s : %s' % (current['role'], current['name']) if current.get('role') else current['name']
                out.append((following['t'] - current['t'], label))
        return out

    def failures(self):
        """The text of the failed results only (fatal:/failed: blocks of a playbook, "| FAILED!" of an ad-hoc
        run): where a message naming the bad variable must be, as opposed to loop labels of passing items."""
        return failure_text(self.output)

    def by_action(self):
        """{action: {'tasks': n, 'invocations': n, 'seconds': s}} of the tasks that ran (skipped ones aside);
        a loop counts one invocation per item that ran."""
        times = {}
        events = [r for r in self.records if r['event'] in ('task', 'stats')]
        for current, following in zip(events, events[1:]):
            if current['event'] == 'task':
                times[(current.get('role'), current['name'])] = following['t'] - current['t']
        ran = {}
        for r in self.records:
            key = (r.get('role'), r.get('name'))
            if r['event'] == 'item' and r['status'] != 'skipped':
                ran.setdefault(key, [r.get('action'), 0])[1] += 1
            elif r['event'] == 'result' and r['status'] != 'skipped':
                entry = ran.setdefault(key, [r.get('action'), 0])
                entry[1] = max(entry[1], 1)
        out = {}
        for key, (action, invocations) in ran.items():
            row = out.setdefault(action, {'tasks': 0, 'invocations': 0, 'seconds': 0.0})
            row['tasks'] += 1
            row['invocations'] += invocations
            row['seconds'] += times.get(key, 0.0)
        return out

    def tail(self, lines=40):
        return '\n'.join(self.output.splitlines()[-lines:])

    def __repr__(self):
        return '<Run rc=%s %.1fs recap=%s>' % (self.rc, self.duration, self.recap)


FAILURE_START = re.compile(r'^(fatal|failed): \[|^\S+ \| (FAILED|UNREACHABLE)!')
BLOCK_END = re.compile(r'^(TASK \[|PLAY \[|PLAY RECAP|RUNNING HANDLER|ok: \[|changed: \[|skipping: \[|included: |\S+ \| (SUCCESS|CHANGED))')


def failure_text(output):
    blocks, current = [], None
    for line in output.splitlines():
        if FAILURE_START.search(line):
            current = [line]
            blocks.append(current)
        elif current is not None and BLOCK_END.search(line):
            current = None
        elif current is not None:
            current.append(line)
    return '\n'.join('\n'.join(b) for b in blocks)


def parse_recap(output):
    recap = {}
    for m in RECAP_RE.finditer(output):
        values = [int(v or 0) for v in m.groups()[1:]]
        recap[m.group(1)] = dict(zip(('ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'), values))
    return recap


def read_records(path):
    records = []
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            for line in handle:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        pass  # a line cut by a kill
    return records


class Background:
    """An ansible-playbook started with Testbed.playbook(background=True)."""

    def __init__(self, proc, args, out_path, record_path, started):
        self.proc = proc
        self.args = args
        self.out_path = out_path
        self.record_path = record_path
        self.started = started

    def records(self):
        return read_records(self.record_path)

    def wait_for_task(self, pattern, timeout):
        """Block until a task whose 'role : name' matches ``pattern`` starts; returns its record."""
        regex = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            for r in self.records():
                if r['event'] == 'task' and regex.search('%s : %s' % (r.get('role'), r['name'])):
                    return r
            if self.proc.poll() is not None:
                raise HarnessError('ansible-playbook ended (rc %s) before a task matching %r started:\n%s'
                                   % (self.proc.returncode, pattern, self.output()[-3000:]))
            time.sleep(0.1)
        raise HarnessError('no task matching %r started within %ss' % (pattern, timeout))

    def output(self):
        with open(self.out_path, encoding='utf-8', errors='replace') as handle:
            return handle.read()

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
            raise HarnessError('ansible-playbook %s did not end within %ss' % (' '.join(self.args), timeout))
        return Run(self.args, self.proc.returncode, self.output(), time.time() - self.started, self.records(), self.started)


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


def diff_snapshots(before, after):
    """{'created': [...], 'deleted': [...], 'modified': [...]} between two Testbed.snapshot() results."""
    created = sorted(set(after) - set(before))
    deleted = sorted(set(before) - set(after))
    modified = []
    for key in sorted(set(before) & set(after)):
        b, a = before[key], after[key]
        if (b['uid'], b['generation'], b['labels'], b['annotations'], b['managedFields']) != \
                (a['uid'], a['generation'], a['labels'], a['annotations'], a['managedFields']):
            modified.append(key)
    return {'created': created, 'deleted': deleted, 'modified': modified}


def count_changes(diff):
    return sum(len(v) for v in diff.values())


def diff_metrics(before, after):
    """{'reads': n, 'writes': n, 'dry_run_writes': n, 'writes_by': {...}} between two metrics() results."""
    delta = collections.Counter()
    for key in set(before) | set(after):
        d = after.get(key, 0) - before.get(key, 0)
        if d > 0:
            delta[key] = d
    out = {'reads': 0, 'writes': 0, 'dry_run_writes': 0, 'writes_by': {}}
    for (verb, resource, subresource, dry_run), n in delta.items():
        if verb in READ_VERBS:
            out['reads'] += n
        elif verb in WRITE_VERBS:
            if dry_run:
                out['dry_run_writes'] += n
            else:
                out['writes'] += n
                label = '%s %s%s' % (verb, resource, '/' + subresource if subresource else '')
                out['writes_by'][label] = out['writes_by'].get(label, 0) + n
    return out


def b64(value):
    return base64.b64encode(value.encode('utf-8')).decode('ascii')


class WriteWatch:
    """Everything written between start() and stop(): Kubernetes objects (snapshot signatures of the given
    resources, default every listable one), apiserver write requests (dry-run aside) and the emulators'
    write requests."""

    def __init__(self, testbed, selector=None, resources=None, exclude=NOISY_RESOURCES, requests=True):
        self.tb = testbed
        self.selector = selector
        self.resources = resources
        self.exclude = exclude
        self.requests = requests
        self._snap = self._metrics = None

    def start(self, snapshot=None):
        self._snap = snapshot if snapshot is not None else self.tb.snapshot(self.selector, self.resources, self.exclude)
        self.tb.immich.reset_log()
        self.tb.truenas.reset_log()
        self._metrics = self.tb.metrics() if self.requests else None
        return self

    def stop(self):
        metrics = self.tb.metrics() if self.requests else None
        snap = self.tb.snapshot(self.selector, self.resources, self.exclude)
        immich = [e for e in self.tb.immich.requests() if e.get('write')]
        truenas = [e for e in self.tb.truenas.requests() if e.get('write')]
        result = {
            'k8s_objects': diff_snapshots(self._snap, snap),
            'k8s_write_requests': diff_metrics(self._metrics, metrics)['writes_by'] if self.requests else {},
            'immich_writes': ['%s %s -> %s' % (e['method'], e['path'], e['status']) for e in immich],
            'truenas_writes': ['%s (%s)' % (e['method'], e.get('error') or 'ok') for e in truenas],
        }
        result['snapshot'] = snap
        return result

    @staticmethod
    def written(result):
        """The non-empty parts of a stop() result (empty dict: nothing was written)."""
        out = {}
        if count_changes(result['k8s_objects']):
            out['k8s_objects'] = {k: v for k, v in result['k8s_objects'].items() if v}
        for key in ('k8s_write_requests', 'immich_writes', 'truenas_writes'):
            if result[key]:
                out[key] = result[key]
        return out
