"""A no-op re-run writes nothing; what another tool changed in the collection's objects is set back.

- site.yml on a converged deployment reports changed=0 and sends no Kubernetes write request (an
  unchanged object is not even server-side applied), no Immich write and no TrueNAS write;
- a label that another field manager overwrote on an object the collection owns is set back by the next
  run, which applies that object only; the run after that writes nothing again.
"""
import pytest

from tests.lib.testbed import MANAGED_BY
from tests.lib.write_watch import WriteWatch


def test_noop_rerun_sends_no_write(converged):
    tb = converged
    watch = WriteWatch(tb, MANAGED_BY).start()
    run = tb.playbook()
    result = watch.stop()
    assert run.rc == 0 and run.changed == 0, run.tail(40)
    assert not WriteWatch.written(result), 'the no-op run wrote: %s' % {
        key: value for key, value in WriteWatch.written(result).items() if key != 'snapshot'}


def test_overwritten_label_is_set_back_by_applying_that_object_only(converged, expect):
    tb = converged
    ns = expect.namespace
    valkey = expect.var('valkey_name', 'immich-valkey')
    tb.kubectl('label', '--overwrite', 'deployment', valkey, '-n', ns, 'app.kubernetes.io/part-of=someone-else')
    tb.converged = False
    watch = WriteWatch(tb, MANAGED_BY).start()
    run = tb.playbook()
    result = watch.stop()
    assert run.rc == 0, run.tail(40)
    labels = tb.kubectl('get', 'deployment', valkey, '-n', ns, '-o', 'jsonpath={.metadata.labels.app\\.kubernetes\\.io/part-of}')
    assert labels.stdout == 'immich', 'the label was not set back: %r' % labels.stdout
    assert run.changed == 1, 'only the Valkey apply should change:\n%s' % run.tail(40)
    assert result['k8s_write_requests'] == {'APPLY deployments': 1}, result['k8s_write_requests']

    again = WriteWatch(tb, MANAGED_BY).start()
    rerun = tb.playbook()
    assert rerun.rc == 0 and rerun.changed == 0, rerun.tail(40)
    assert not again.stop()['k8s_write_requests']
    tb.converged = True


def test_an_equivalent_spelling_is_not_a_change(converged, expect):
    """Trailing and doubled slashes in the import paths and the NFS share, an upper-case NFS server name and a
    trailing slash on the S3 endpoint mean the same values: the run changes nothing and writes nothing."""
    tb = converged
    equivalent = {
        'immich_library_import_paths': [p + '/' for p in expect.var('immich_library_import_paths')],
        'csi_driver_nfs_share': expect.var('csi_driver_nfs_share').replace('/', '//', 1) + '/',
        'csi_driver_nfs_server': expect.var('csi_driver_nfs_server').upper(),
        'immich_database_s3_endpoint_url': expect.var('immich_database_s3_endpoint_url') + '/',
    }
    watch = WriteWatch(tb, MANAGED_BY).start()
    run = tb.playbook(extra_vars=equivalent)
    result = watch.stop()
    assert run.rc == 0 and run.changed == 0, run.tail(40)
    assert not WriteWatch.written(result), 'the equivalent spelling wrote: %s' % {
        key: value for key, value in WriteWatch.written(result).items() if key != 'snapshot'}


def test_check_mode_showed_every_object_the_converge_created(converged, expect):
    """Every object the converge created in the Immich namespace was shown by the session's first run,
    `site.yml --check --diff` on the empty cluster (test_check_mode), as it would be created. The API key Secret
    is the exception: its content comes from Immich's API once the server runs, so check mode says it would set
    Immich up instead."""
    tb = converged
    planned = getattr(tb, 'planned_objects', None)
    if planned is None:
        pytest.skip('test_check_mode did not run in this session')
    ns = expect.namespace
    # Objects with an owner (ReplicaSets, Pods) are made by controllers, not by the converge.
    created = {(o['kind'], '%s/%s' % (ns, o['metadata']['name'])) for o in tb.objects(MANAGED_BY)
               if o['metadata'].get('namespace') == ns and not o['metadata'].get('ownerReferences')}
    created.discard(('Secret', '%s/%s' % (ns, expect.var('immich_library_api_key_secret_name', 'immich-api-key'))))
    assert created, 'nothing labelled %s in %s' % (MANAGED_BY, ns)
    assert sorted(created - planned) == [], 'created by the converge but not shown by check mode'
