"""`site.yml --check --diff` against an empty cluster and a fresh NAS: what the README has users run first.

It must succeed, say what each role would do (the roles whose namespace or CRDs the earlier roles would
create say so and stop), and write nothing: no object created or deleted, no Immich write, no TrueNAS write. Runs first, on
the session's empty cluster, which it leaves empty for the fault tests.
"""
from tests.reliability.harness import WriteWatch


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
    for what in ('Would create the Immich server', 'Would set up Immich'):
        assert what in run.output, '%r missing from the check-mode output:\n%s' % (what, run.tail(60))
    # The roles whose objects go through the shared apply step (roles/k8s_common) show each object the server
    # cannot dry-run yet, as the diff's after, Secret values masked.
    ns = expect.namespace
    valkey = expect.var('valkey_name', 'immich-valkey')
    for kind, name in (('Secret', valkey), ('Deployment', valkey), ('Service', valkey), ('NetworkPolicy', valkey),
                       ('PersistentVolumeClaim', expect.var('csi_driver_nfs_pvc_name', 'immich-photos'))):
        header = '%s %s/%s (would be created)' % (kind, ns, name)
        assert header in run.output, '%r missing from the check-mode diff:\n%s' % (header, run.tail(60))
    assert '(hidden: secret value)' in run.output, 'the planned Secret is not masked'
    # Created or deleted objects of any kind (controllers' own updates of system objects aside).
    objects = result['k8s_objects']
    assert not objects['created'] and not objects['deleted'], objects
    assert not result['immich_writes'] and not result['truenas_writes'], result
    assert tb.kubectl('get', 'namespace', expect.namespace, check=False).returncode != 0, 'check mode created the namespace'
