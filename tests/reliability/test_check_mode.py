"""`site.yml --check --diff` against an empty cluster and a fresh NAS: what the README has users run first.

It must succeed, show what each role would create (as the diff's after, where the namespace or the CRDs come
from an earlier role), and write nothing: no object created or deleted, no Immich write, no TrueNAS write. Runs first, on
the session's empty cluster, which it leaves empty for the fault tests.
"""
import re

from tests.lib.write_watch import WriteWatch


def test_check_mode_on_an_empty_cluster_says_what_it_would_do_and_writes_nothing(testbed, expect):
    tb = testbed
    if not tb.fresh:
        tb.reset()
        tb.fresh = True
    watch = WriteWatch(tb, requests=False).start()
    run = tb.playbook('--check', '--diff')
    result = watch.stop()
    assert run.rc == 0, run.tail(60)
    assert run.changed > 0, 'check mode reported nothing to do on an empty cluster:\n%s' % run.tail(40)
    assert 'Would set up Immich' in run.output, run.tail(60)
    # The apply step (homelab.immich.k8s_apply) shows each object the server cannot dry-run yet (its namespace or CRD
    # does not exist), as the diff's after, Secret values masked; test_noop checks that these are every object the
    # converge then creates in the namespace.
    planned = set(re.findall(r'^\+\+\+ after: (\S+) (\S+) \(would be created\)$', run.output, re.M))
    ns = expect.namespace
    valkey = expect.var('valkey_name', 'immich-valkey')
    for kind, name in (('Secret', valkey), ('Deployment', valkey), ('Deployment', 'immich-server'),
                       ('Deployment', 'immich-machine-learning'), ('Cluster', expect.var('immich_database_cluster_name', 'immich-database')),
                       ('PersistentVolumeClaim', expect.var('csi_driver_nfs_pvc_name', 'immich-photos'))):
        assert (kind, '%s/%s' % (ns, name)) in planned, '%s %s/%s missing from the check-mode diff:\n%s' % (kind, ns, name, run.tail(60))
    assert '(hidden: secret value)' in run.output, 'the planned Secrets are not masked'
    tb.planned_objects = planned
    # Created or deleted objects of any kind (controllers' own updates of system objects aside).
    objects = result['k8s_objects']
    assert not objects['created'] and not objects['deleted'], objects
    assert not result['immich_writes'] and not result['truenas_writes'], result
    assert tb.kubectl('get', 'namespace', expect.namespace, check=False).returncode != 0, 'check mode created the namespace'
