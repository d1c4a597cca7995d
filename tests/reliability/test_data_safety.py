"""Data safety: nothing that holds data goes without an explicit flag.

- `state: absent` without the allow flag is refused and changes nothing: the immich_library module on a
  library with assets, the truenas_nfs_export role, the database restore drill (playbooks/restore.yml);
- a PVC (or the database volume) asked to shrink is refused and changes nothing;
- playbooks/uninstall.yml keeps every PVC, the photos PV, the CNPG Cluster and its Secrets, ObjectStore
  and ScheduledBackup, and the Immich library; site.yml then brings Immich back on the same data.
"""
import json

import pytest

from tests.lib.testbed import MANAGED_BY
from tests.lib.write_watch import WriteWatch

DATA_RESOURCES = ['persistentvolumeclaims', 'persistentvolumes', 'secrets', 'clusters.postgresql.cnpg.io',
                  'objectstores.barmancloud.cnpg.io', 'scheduledbackups.postgresql.cnpg.io', 'backups.postgresql.cnpg.io']


def assert_nothing_written(result, what):
    written = WriteWatch.written(result)
    assert not written, '%s wrote: %s' % (what, json.dumps(written, indent=1))


def test_library_absent_without_flag_is_refused(converged, expect):
    tb = converged
    library = expect.library()
    assert library['statistics']['total'] > 0, 'precondition: the library has assets (first scan): %s' % library
    watch = WriteWatch(tb, MANAGED_BY, ['secrets'], exclude=()).start()
    run = tb.adhoc('localhost', 'homelab.immich.immich_library',
                   {'api_url': expect.var('immich_library_api_url'), 'api_key': expect.api_key(),
                    'name': library['name'], 'state': 'absent'})
    result = watch.stop()
    assert run.rc != 0, 'deleting a library with assets was not refused:\n%s' % run.tail(30)
    assert 'allow_data_loss' in run.failures(), run.tail(30)
    assert_nothing_written(result, 'the refused library deletion')
    after = expect.library()
    assert (after['id'], after['statistics']['total']) == (library['id'], library['statistics']['total'])


def test_export_absent_without_flag_is_refused(converged, expect):
    tb = converged
    watch = WriteWatch(tb, MANAGED_BY, ['secrets'], exclude=()).start()
    run = tb.playbook('--tags', 'truenas_nfs_export', extra_vars={'truenas_nfs_export_state': 'absent'})
    result = watch.stop()
    assert run.rc != 0, run.tail(30)
    assert 'truenas_nfs_export_allow_data_loss' in run.failures(), run.tail(30)
    assert_nothing_written(result, 'the refused export removal')
    assert not expect.truenas_problems(), expect.truenas_problems()


def test_restore_drill_absent_without_flag_is_refused(converged):
    tb = converged
    watch = WriteWatch(tb, resources=DATA_RESOURCES + ['deployments.apps'], exclude=()).start()
    run = tb.playbook(playbook='playbooks/restore.yml', extra_vars={'immich_database_restore_state': 'absent'})
    result = watch.stop()
    assert run.rc != 0, run.tail(30)
    assert 'immich_database_restore_allow_data_loss' in run.failures(), run.tail(30)
    assert_nothing_written(result, 'the refused removal of the restore drill')


@pytest.mark.parametrize('tag,variable,smaller,pvc_variable,pvc_default', [
    ('immich', 'immich_data_size', '10Gi', 'immich_data_pvc_name', 'immich-library'),
    ('immich', 'immich_ml_cache_size', '1Gi', 'immich_ml_cache_pvc_name', 'immich-ml-cache'),
    ('immich_database', 'immich_database_storage_size', '10Gi', None, None),
])
def test_shrinking_a_volume_is_refused(converged, expect, tag, variable, smaller, pvc_variable, pvc_default):
    tb = converged
    if pvc_variable:
        pvc = tb.get_json('pvc', expect.var(pvc_variable, pvc_default), '-n', expect.namespace)
        size = pvc['spec']['resources']['requests']['storage']
    else:
        cluster = tb.get_json('clusters.postgresql.cnpg.io', expect.var('immich_database_cluster_name', 'immich-database'),
                              '-n', expect.namespace)
        size = cluster['spec']['storage']['size']
    assert size != smaller
    watch = WriteWatch(tb, MANAGED_BY, tb.labelled_resources(), exclude=()).start()
    run = tb.playbook('--tags', tag, extra_vars={variable: smaller})
    result = watch.stop()
    assert run.rc != 0, 'shrinking %s from %s to %s was not refused:\n%s' % (variable, size, smaller, run.tail(30))
    assert variable in run.failures(), run.tail(30)
    assert_nothing_written(result, 'the refused shrink of %s' % variable)


def test_uninstall_keeps_the_data_and_site_brings_immich_back(converged, expect):
    tb = converged
    ns = expect.namespace
    valkey_secret = 'v1/Secret/%s/%s' % (ns, expect.var('valkey_name', 'immich-valkey'))
    data = {k: v for k, v in tb.snapshot(resources=DATA_RESOURCES, exclude=()).items()
            if k != valkey_secret and not k.startswith('v1/Secret/kube-')}
    wanted = {'PersistentVolumeClaim', 'PersistentVolume', 'Cluster', 'ObjectStore', 'ScheduledBackup', 'Secret'}
    assert wanted <= {k.split('/')[-3] for k in data}, 'precondition: the data objects exist: %s' % sorted(data)
    library = expect.library()
    share = [s for s in tb.truenas.state()['shares'] if s['path'] == expect.nas['truenas_nfs_export_path']]

    tb.converged = False
    tb.immich.reset_log()
    tb.truenas.reset_log()
    run = tb.playbook(playbook='playbooks/uninstall.yml')
    assert run.rc == 0, run.tail(60)
    deployments = tb.get_json('deployments.apps', '-n', ns)['items']
    assert not [d['metadata']['name'] for d in deployments if d['metadata']['name'] in ('immich-server', 'immich-machine-learning')], \
        'uninstall.yml left the Immich workloads'
    after = tb.snapshot(resources=DATA_RESOURCES, exclude=())
    gone = sorted(k for k in data if k not in after or after[k]['uid'] != data[k]['uid'])
    assert not gone, 'uninstall.yml removed data: %s' % gone
    assert [e for e in tb.immich.requests() if e.get('write')] == [], 'uninstall.yml wrote to Immich'
    assert [e for e in tb.truenas.requests() if e.get('write')] == [], 'uninstall.yml wrote to TrueNAS'
    assert expect.library()['id'] == library['id']
    assert [s for s in tb.truenas.state()['shares'] if s['path'] == expect.nas['truenas_nfs_export_path']] == share

    rerun = tb.playbook()
    assert rerun.rc == 0, 'site.yml after uninstall.yml failed:\n%s' % rerun.tail(60)
    again = tb.snapshot(resources=DATA_RESOURCES, exclude=())
    replaced = sorted(k for k in data if k not in again or again[k]['uid'] != data[k]['uid'])
    assert not replaced, 'site.yml re-created data objects instead of reusing them: %s' % replaced
    back = expect.library()
    assert (back['id'], back['statistics']['total']) == (library['id'], library['statistics']['total'])
    assert not expect.problems(), expect.problems()
    tb.converged = True
