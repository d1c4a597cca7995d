"""What a run wrote: snapshot and request-counter differences, and the ``WriteWatch`` around a run."""
import base64
import collections

from tests.lib.testbed import NOISY_RESOURCES


WRITE_VERBS = ('APPLY', 'CREATE', 'POST', 'PUT', 'UPDATE', 'PATCH', 'DELETE', 'DELETECOLLECTION')
READ_VERBS = ('GET', 'LIST')


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
