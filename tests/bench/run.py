"""Benchmark of site.yml on its own testbed instance (`make bench`): a benchmark, not a test.

For each of --runs rounds (default 3), from an empty cluster and fresh emulators:
  1. cold converge   ansible-playbook site.yml -i inventories/local
  2. no-op re-run    the same again
  3. --check run     the same with --check
  4. floor           one `kubectl apply --server-side` of the objects the collection manages (label
                     app.kubernetes.io/managed-by=homelab.immich, every namespaced and cluster-scoped resource),
                     exported from the cluster with status and server-set metadata stripped; applied once
                     untimed (it adds its own field manager), then timed.
After the rounds, the peer users would pick instead, on the same testbed: `helm upgrade --install` of the official
Immich chart (../shared/upstream/immich-charts-*.tgz) into a namespace of its own, installed once and then timed as a
no-op upgrade, against a no-op `site.yml --tags immich`; the ratio and both runs' apiserver writes (helm writes a
release revision on every upgrade).
Prints the medians, their ratio to the floor, the tasks per run, the Kubernetes objects each run wrote,
the apiserver requests and the requests sent to the Immich and TrueNAS emulators (reads/writes), the goals
beside the figures, and the slowest tasks of the no-op run (profile). Writes everything to
tests/output/bench.json.

Kubernetes writes are counted by comparing, before and after each run, every object of every listable
resource (events, leases, nodes and endpoints aside): its uid, generation, labels, annotations and
managedFields entries other than the status subresource's. A server-side apply that changes nothing
leaves these as they were; any real create/update/patch/delete shows. The apiserver's
apiserver_request_total counters give the request counts (all clients; lease, event and node traffic aside).

Options: --runs N, --name/--dir/--ports for the instance, --keep to leave it running, --json PATH.
"""
import argparse
import datetime
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.lib.emulator_api import HarnessError  # noqa: E402  pylint: disable=wrong-import-position
from tests.lib.testbed import MANAGED_BY, Testbed  # noqa: E402  pylint: disable=wrong-import-position
from tests.lib.write_watch import count_changes, diff_metrics, diff_snapshots  # noqa: E402  pylint: disable=wrong-import-position

GOAL_RATIO = 4.0
# Issue 16: a no-op re-run of site.yml in at most 7 s (11.1 s on 2026-11-24).
GOAL_SECONDS = 7.0
RUN_TIMEOUT = 900
SERVER_SET_ANNOTATION_PREFIXES = ('kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/',
                                  'pv.kubernetes.io/', 'volume.kubernetes.io/', 'volume.beta.kubernetes.io/')
SERVER_SET_METADATA = ('uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink',
                       'deletionTimestamp', 'deletionGracePeriodSeconds')
FLOOR_MANAGER = 'homelab.immich-bench-floor'
GOAL_PEER_RATIO = 2.0
PEER_CHART = 'immich-charts-0.10.0-with-common-4.1.1.tgz'
PEER_NAMESPACE = 'immich-peer'
# The official chart's values for the same server (its ML, Valkey and ingress off): it needs an existing library claim.
PEER_VALUES = ['--set', 'controllers.main.containers.main.image.tag=v2.5.5', '--set', 'immich.persistence.library.existingClaim=immich-library',
               '--set', 'machine-learning.enabled=false']


def log(msg):
    sys.stdout.write('[bench %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stdout.flush()


def strip(obj):
    """The object as one would apply it again: no status, no server-set metadata."""
    obj = dict(obj)
    obj.pop('status', None)
    meta = {k: v for k, v in obj.get('metadata', {}).items() if k not in SERVER_SET_METADATA}
    annotations = {k: v for k, v in meta.get('annotations', {}).items()
                   if not k.startswith(SERVER_SET_ANNOTATION_PREFIXES)}
    if annotations:
        meta['annotations'] = annotations
    else:
        meta.pop('annotations', None)
    obj['metadata'] = meta
    return obj


class Measure:
    """Runs one step and records its time and everything it sent."""

    def __init__(self, testbed):
        self.tb = testbed

    def __call__(self, label, action):
        tb = self.tb
        snap_before = tb.snapshot()
        tb.immich.reset_log()
        tb.truenas.reset_log()
        metrics_before = tb.metrics()
        started = time.time()
        detail = action()
        seconds = time.time() - started
        metrics_after = tb.metrics()
        immich = tb.immich.counts()
        truenas = tb.truenas.counts()
        changes = diff_snapshots(snap_before, tb.snapshot())
        api = diff_metrics(metrics_before, metrics_after)
        sample = {'seconds': round(seconds, 2), 'k8s_objects_written': count_changes(changes),
                  'k8s_changes': changes, 'k8s_requests': api, 'immich': immich, 'truenas': truenas}
        sample.update(detail or {})
        log('%-8s %6.1fs  tasks %-4s k8s objects written %-3d apiserver r/w %d/%d (dry-run %d)  immich r/w %d/%d  '
            'truenas r/w %d/%d' % (label, seconds, sample.get('tasks', '-'), sample['k8s_objects_written'], api['reads'],
                                   api['writes'], api['dry_run_writes'], immich['reads'], immich['writes'],
                                   truenas['reads'], truenas['writes']))
        return sample


def playbook_step(tb, *args, callbacks=(), extra=()):
    args = tuple(args) + tuple(extra)

    def action():
        run = tb.playbook(*args, timeout=RUN_TIMEOUT, callbacks=callbacks)
        if run.rc != 0:
            raise HarnessError('ansible-playbook site.yml %s failed (rc %s); last lines:\n%s'
                               % (' '.join(args), run.rc, run.tail(40)))
        return {'tasks': run.tasks, 'task_results': len(run.results()), 'changed': run.changed,
                'recap': run.recap, 'task_times': run.task_times(), 'by_action': run.by_action(),
                'startup_seconds': round(run.records[0]['t'] - run.started, 2) if run.records else None,
                'output_tail': run.tail(25)}
    return action


def floor_step(tb, path):
    def action():
        proc = tb.kubectl('apply', '--server-side', '--field-manager=' + FLOOR_MANAGER, '--force-conflicts', '-f', path)
        return {'applied': len([line for line in proc.stdout.splitlines() if line.strip()])}
    return action


def export_managed(tb, folder):
    # Objects a controller made from ours (pods of a ReplicaSet, ReplicaSets of a Deployment) carry our labels
    # too, but the collection does not apply them: they stay out of the floor.
    objects = [strip(o) for o in tb.objects(MANAGED_BY)
               if not any(ref.get('controller') for ref in o['metadata'].get('ownerReferences', []))]
    fd, path = tempfile.mkstemp(prefix='floor-', suffix='.json', dir=folder)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:  # holds Secrets: 0600 and removed after the round
        json.dump({'apiVersion': 'v1', 'kind': 'List', 'items': objects}, handle)
    kinds = {}
    for o in objects:
        kinds[o['kind']] = kinds.get(o['kind'], 0) + 1
    return path, kinds


def upstream_file(name):
    """A file of ../shared/upstream (or $HOMELAB_IMMICH_UPSTREAM_DIR), or None when it is not there."""
    folder = os.environ.get('HOMELAB_IMMICH_UPSTREAM_DIR') or os.path.join(os.path.dirname(ROOT), 'shared', 'upstream')
    path = os.path.join(folder, name)
    return path if os.path.exists(path) else None


def helm_step(tb, chart):
    helm = os.path.join(tb.dir, 'bin', 'helm')

    def action():
        proc = subprocess.run([helm, '--kubeconfig', tb.kubeconfig, 'upgrade', '--install', 'immich', chart, '-n', PEER_NAMESPACE,
                               '--create-namespace', '--skip-schema-validation'] + PEER_VALUES,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
        if proc.returncode != 0:
            raise HarnessError('helm upgrade --install of the official chart failed: %s' % proc.stderr[-2000:])
        return {'revision': (re.findall(r'REVISION: (\d+)', proc.stdout) or ['?'])[0]}
    return action


def median_of(samples, key):
    values = [s[key] for s in samples]
    return statistics.median(values) if values else None


def summarize(samples):
    secs = [s['seconds'] for s in samples]
    return {
        'seconds_median': round(statistics.median(secs), 2), 'seconds_min': min(secs), 'seconds_max': max(secs),
        'samples': secs,
        'tasks': median_of(samples, 'tasks') if 'tasks' in samples[0] else None,
        'task_results': median_of(samples, 'task_results') if 'task_results' in samples[0] else None,
        'changed': median_of(samples, 'changed') if 'changed' in samples[0] else None,
        'k8s_objects_written_max': max(s['k8s_objects_written'] for s in samples),
        'k8s_objects_written_median': median_of(samples, 'k8s_objects_written'),
        'apiserver_reads_median': statistics.median(s['k8s_requests']['reads'] for s in samples),
        'apiserver_writes_median': statistics.median(s['k8s_requests']['writes'] for s in samples),
        'apiserver_dry_run_writes_median': statistics.median(s['k8s_requests']['dry_run_writes'] for s in samples),
        'immich_reads_median': statistics.median(s['immich']['reads'] for s in samples),
        'immich_writes_max': max(s['immich']['writes'] for s in samples),
        'truenas_reads_median': statistics.median(s['truenas']['reads'] for s in samples),
        'truenas_writes_max': max(s['truenas']['writes'] for s in samples),
    }


def profile(noop_samples, top=15):
    """Median time per task and per role across the no-op runs."""
    per_task, per_role = {}, {}
    for sample in noop_samples:
        roles = {}
        for seconds, label in sample['task_times']:
            per_task.setdefault(label, []).append(seconds)
            role = label.split(' : ', 1)[0] if ' : ' in label else '(play)'
            roles[role] = roles.get(role, 0) + seconds
        for role, seconds in roles.items():
            per_role.setdefault(role, []).append(seconds)
    tasks = sorted(((statistics.median(v), k) for k, v in per_task.items()), reverse=True)[:top]
    roles = sorted(((statistics.median(v), k) for k, v in per_role.items()), reverse=True)
    actions = {}
    for sample in noop_samples:
        for action, row in sample['by_action'].items():
            actions.setdefault(action, []).append(row)
    per_action = []
    for action, rows in actions.items():
        per_action.append({'action': action, 'tasks': statistics.median(r['tasks'] for r in rows),
                           'invocations': statistics.median(r['invocations'] for r in rows),
                           'seconds': round(statistics.median(r['seconds'] for r in rows), 2)})
    per_action.sort(key=lambda r: -r['seconds'])
    startup = [s['startup_seconds'] for s in noop_samples if s.get('startup_seconds') is not None]
    return {'slowest_tasks': [{'seconds': round(s, 2), 'task': k} for s, k in tasks],
            'per_role': [{'seconds': round(s, 2), 'role': k} for s, k in roles],
            'per_action': per_action, 'startup_seconds': round(statistics.median(startup), 2) if startup else None}


def profile_tasks_summary(output):
    """The lines of ansible.posix.profile_tasks' TASKS RECAP ("role : task ---- 1.23s"), slowest first."""
    lines, inside = [], False
    for line in output.splitlines():
        if line.startswith('TASKS RECAP'):
            inside = True
        elif inside and re.search(r' -+ [0-9]+\.[0-9]+s$', line):
            lines.append(line.strip())
    return lines


def fmt_table(results, floor_median):
    head = ('run', 'median s', 'min-max s', 'x floor', 'tasks', 'k8s objects written', 'apiserver reads/writes (dry-run)',
            'Immich reads/writes', 'TrueNAS reads/writes')
    rows = []
    for label in ('converge', 'no-op', 'check', 'floor', 'helm no-op', 'immich no-op'):
        if label not in results:
            continue
        r = results[label]
        rows.append((
            label, '%.1f' % r['seconds_median'], '%.1f-%.1f' % (r['seconds_min'], r['seconds_max']),
            '%.1fx' % (r['seconds_median'] / floor_median) if floor_median else '-',
            '%s' % (int(r['tasks']) if r['tasks'] is not None else '-'),
            '%d' % r['k8s_objects_written_median'] + (' (max %d)' % r['k8s_objects_written_max']
                                                      if r['k8s_objects_written_max'] != r['k8s_objects_written_median'] else ''),
            '%d/%d (%d)' % (r['apiserver_reads_median'], r['apiserver_writes_median'], r['apiserver_dry_run_writes_median']),
            '%d/%d' % (r['immich_reads_median'], r['immich_writes_max']),
            '%d/%d' % (r['truenas_reads_median'], r['truenas_writes_max'])))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    out = ['| ' + ' | '.join(str(c).ljust(w) for c, w in zip(head, widths)) + ' |',
           '|' + '|'.join('-' * (w + 2) for w in widths) + '|']
    for row in rows:
        out.append('| ' + ' | '.join(str(c).ljust(w) for c, w in zip(row, widths)) + ' |')
    return '\n'.join(out)


def goals(results, noop_samples):
    floor = results['floor']['seconds_median']
    noop = results['no-op']['seconds_median']
    k8s = max(s['k8s_objects_written'] for s in noop_samples)
    immich = max(s['immich']['writes'] for s in noop_samples)
    truenas = max(s['truenas']['writes'] for s in noop_samples)
    return [
        {'goal': 'no-op re-run <= %.0fx the floor' % GOAL_RATIO, 'value': '%.1fx (%.1fs / %.1fs)' % (noop / floor, noop, floor),
         'met': noop <= GOAL_RATIO * floor},
        {'goal': 'no-op re-run at most %.0f s' % GOAL_SECONDS, 'value': '%.1f s' % noop, 'met': noop <= GOAL_SECONDS},
        {'goal': 'no-op writes nothing to Kubernetes (objects changed, every run)', 'value': str(k8s), 'met': k8s == 0},
        {'goal': 'no-op writes nothing to Immich (write requests, every run)', 'value': str(immich), 'met': immich == 0},
        {'goal': 'no-op writes nothing to TrueNAS (write calls, every run)', 'value': str(truenas), 'met': truenas == 0},
    ]


def peer_goals(results, samples):
    if not samples['helm no-op']:
        return []
    helm, role = results['helm no-op']['seconds_median'], results['immich no-op']['seconds_median']
    writes = {label: max(s['k8s_requests']['writes'] for s in samples[label]) for label in ('helm no-op', 'immich no-op')}
    return [
        {'goal': 'immich role no-op <= %.0fx helm upgrade --install no-op' % GOAL_PEER_RATIO,
         'value': '%.1fx (%.1fs / %.1fs)' % (role / helm, role, helm), 'met': role <= GOAL_PEER_RATIO * helm},
        {'goal': 'immich role no-op sends no apiserver write (helm: %d per upgrade)' % writes['helm no-op'],
         'value': str(writes['immich no-op']), 'met': writes['immich no-op'] == 0},
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=3, help='rounds (median of these; 1-7)')
    parser.add_argument('--name', default=os.environ.get('BENCH_TESTBED_NAME', 'homelab-immich-bench'))
    parser.add_argument('--dir', default=os.environ.get('BENCH_TESTBED_DIR'))
    parser.add_argument('--ports', default=os.environ.get('BENCH_TESTBED_PORTS', '26543,22383,22543'),
                        help='kube-apiserver,Immich,TrueNAS ports of the bench instance')
    parser.add_argument('--keep', action='store_true', help='leave the bench instance running at the end')
    parser.add_argument('--playbook-args', default=os.environ.get('BENCH_PLAYBOOK_ARGS', ''),
                        help='extra ansible-playbook arguments for every run, e.g. "--skip-tags immich" (while developing)')
    parser.add_argument('--json', default=os.path.join(ROOT, 'tests', 'output', 'bench.json'))
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 7:
        parser.error('--runs must be 1 to 7')
    if args.name == 'homelab-immich':
        parser.error('the bench never uses the default testbed instance (homelab-immich): give another --name')
    ports = [int(p) for p in args.ports.split(',')]
    extra = shlex.split(args.playbook_args)
    run_dir = args.dir or os.path.join(os.path.expanduser('~'), '.cache', 'homelab-immich', args.name)
    out_dir = os.path.join(ROOT, 'tests', 'output', 'bench')
    tb = Testbed(args.name, run_dir, ports[0], ports[1], ports[2], out_dir)
    measure = Measure(tb)
    samples = {'converge': [], 'no-op': [], 'check': [], 'floor': [], 'helm no-op': [], 'immich no-op': []}
    chart = upstream_file(PEER_CHART)
    floor_objects = {}
    profile_lines = []
    started = time.time()
    try:
        for i in range(args.runs):
            log('round %d/%d: empty cluster (testbed down + up of %s)' % (i + 1, args.runs, args.name))
            tb.reset()
            samples['converge'].append(measure('converge', playbook_step(tb, extra=extra)))
            samples['no-op'].append(measure('no-op', playbook_step(tb, extra=extra)))
            samples['check'].append(measure('check', playbook_step(tb, '--check', extra=extra)))
            if i == args.runs - 1:
                # One more no-op with ansible.posix.profile_tasks (before the floor adds its field manager).
                log('profile: one more no-op with ansible.posix.profile_tasks')
                run = tb.playbook(*extra, timeout=RUN_TIMEOUT, callbacks=['ansible.posix.profile_tasks'],
                                  env={'PROFILE_TASKS_TASK_OUTPUT_LIMIT': '25', 'PROFILE_TASKS_SORT_ORDER': 'descending'})
                profile_lines = profile_tasks_summary(run.output)
            path, floor_objects = export_managed(tb, out_dir)
            try:
                tb.kubectl('apply', '--server-side', '--field-manager=' + FLOOR_MANAGER, '--force-conflicts', '-f', path)
                samples['floor'].append(measure('floor', floor_step(tb, path)))
            finally:
                os.unlink(path)
        if chart is None:
            log('peer: %s is not in ../shared/upstream (the official Immich chart, see its README): not compared' % PEER_CHART)
        else:
            log('peer: helm upgrade --install of the official Immich chart into %s, installed once untimed' % PEER_NAMESPACE)
            helm_step(tb, chart)()
            for _round in range(args.runs):
                samples['helm no-op'].append(measure('helm', helm_step(tb, chart)))
                samples['immich no-op'].append(measure('immich', playbook_step(tb, '--tags', 'immich', extra=extra)))
    except (HarnessError, subprocess.SubprocessError) as exc:
        log('FAILED: %s' % exc)
        return 1
    finally:
        if not args.keep:
            try:
                tb.down()
            except HarnessError as exc:
                log('could not stop the bench instance: %s' % exc)

    results = {label: summarize(s) for label, s in samples.items() if s}
    floor = results['floor']['seconds_median']
    table = fmt_table(results, floor)
    goal_rows = goals(results, samples['no-op']) + peer_goals(results, samples)
    prof = profile(samples['no-op'])

    print()
    print('homelab.immich benchmark: site.yml -i inventories/local on testbed %s, median of %d runs, %d CPUs, %s'
          % (args.name, args.runs, os.cpu_count(), datetime.datetime.now().strftime('%Y-%m-%d %H:%M')))
    print('floor: kubectl apply --server-side of %d managed objects (%s)'
          % (sum(floor_objects.values()), ', '.join('%s %d' % kv for kv in sorted(floor_objects.items()))))
    print()
    print(table)
    print()
    print('Goals:')
    for g in goal_rows:
        print('  [%s] %-64s %s' % ('met' if g['met'] else 'MISSED', g['goal'], g['value']))
    for label in ('no-op', 'check'):
        written = [c for s in samples[label] for kind in ('created', 'deleted', 'modified') for c in s['k8s_changes'][kind]]
        if written:
            print('  %s wrote these Kubernetes objects: %s' % (label, ', '.join(sorted(set(written)))))
        extra = sorted({w for s in samples[label] for w in s['immich']['write_requests'] + s['truenas']['write_requests']})
        if extra:
            print('  %s sent these emulator writes: %s' % (label, ', '.join(extra)))
    print()
    print('No-op profile (median seconds per role over %d runs):' % args.runs)
    for row in prof['per_role']:
        print('  %6.2fs  %s' % (row['seconds'], row['role']))
    print('No-op by module (tasks that ran; median over the runs; a loop item is one invocation):')
    for row in prof['per_action']:
        if row['seconds'] >= 0.1:
            print('  %6.2fs  %-42s %3d task(s) %3d invocation(s)  %.2fs each'
                  % (row['seconds'], row['action'], row['tasks'], row['invocations'], row['seconds'] / max(row['invocations'], 1)))
    if prof['startup_seconds'] is not None:
        print('  %6.2fs  ansible-playbook start-up (until the first task)' % prof['startup_seconds'])
    print('Slowest no-op tasks (median seconds):')
    for row in prof['slowest_tasks']:
        print('  %6.2fs  %s' % (row['seconds'], row['task']))
    if profile_lines:
        print('ansible.posix.profile_tasks (one more no-op):')
        for line in profile_lines[:15]:
            print('  ' + line)

    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    for label in samples:
        for s in samples[label]:
            s.pop('output_tail', None)
    report = {
        'measured_at': datetime.datetime.now().isoformat(timespec='seconds'), 'runs': args.runs, 'cpus': os.cpu_count(),
        'testbed': {'name': args.name, 'dir': run_dir, 'ports': ports}, 'duration_seconds': round(time.time() - started),
        'kubernetes_writes_method': 'snapshot of every object (events, leases, nodes, endpoints aside) before/after: uid, '
                                    'generation, labels, annotations, non-status managedFields entries',
        'floor_objects': floor_objects, 'results': results, 'goals': goal_rows, 'profile': prof,
        'profile_tasks': profile_lines, 'table': table, 'samples': samples,
    }
    with open(args.json, 'w', encoding='utf-8') as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    print()
    print('written: %s' % os.path.relpath(args.json, ROOT))
    return 0


if __name__ == '__main__':
    sys.exit(main())
