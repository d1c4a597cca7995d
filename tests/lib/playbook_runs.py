"""ansible-playbook runs: a finished ``Run`` (rc, output, recap, per-task records, failures) and one in the ``Background``."""
import json
import os
import re
import signal
import subprocess
import time

from tests.lib.emulator_api import HarnessError


RECAP_RE = re.compile(r'^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)'
                      r'(?:\s+skipped=(\d+))?(?:\s+rescued=(\d+))?(?:\s+ignored=(\d+))?', re.M)


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
