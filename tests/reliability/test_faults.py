"""Faults in the middle of a run, each followed by a plain re-run that must converge with nothing lost.

"Nothing lost": every object that existed after the fault still exists afterwards with the same uid (not
deleted and re-created), and the deployment is whole in Kubernetes and in both emulators (conftest.Expect).
"""
import time

import pytest

from tests.lib.emulator_api import HarnessError

# Kinds that controllers replace on their own (a new ReplicaSet or pod after a template change).
CONTROLLER_MADE = ('Pod', 'ReplicaSet', 'ControllerRevision', 'EndpointSlice', 'Endpoints', 'Event', 'Lease')
# Where kube-apiserver is killed: while the database role applies its Cluster, ObjectStore and
# ScheduledBackup, after the storage roles and the CNPG operator went in and before the workloads.
KILL_AT = r'^immich_database : Apply the ExternalSecret, ObjectStore, Cluster and ScheduledBackup$'
KILL_DELAY = 0.3


def lost_objects(before, after):
    """Objects of ``before`` missing from ``after`` or re-created (other uid); controller-made kinds aside."""
    lost = []
    for key, sig in before.items():
        kind = key.split('/')[-3]
        if kind in CONTROLLER_MADE:
            continue
        if key not in after:
            lost.append('%s (deleted)' % key)
        elif after[key]['uid'] != sig['uid']:
            lost.append('%s (re-created)' % key)
    return lost


def assert_whole(expect, what):
    problems = expect.problems()
    assert not problems, '%s: the deployment is not whole:\n  %s' % (what, '\n  '.join(problems))


def test_apiserver_killed_mid_converge_then_rerun_converges(fresh_testbed, expect):
    tb = fresh_testbed
    run = tb.playbook(background=True)
    try:
        task = run.wait_for_task(KILL_AT, timeout=400)
    except HarnessError:
        run.wait(60)
        raise
    time.sleep(KILL_DELAY)
    tb.kill_apiserver()
    killed = run.wait(timeout=600)
    assert killed.rc != 0, 'site.yml went on as if kube-apiserver had not died:\n%s' % killed.tail()
    assert any(r['status'] == 'failed' for r in killed.results()), killed.tail()

    tb.restart_control_plane()
    survivors = tb.snapshot()
    assert survivors, 'the restarted control plane lost etcd data'

    rerun = tb.playbook()
    assert rerun.rc == 0, 'the plain re-run after the apiserver came back failed:\n%s' % rerun.tail(60)
    assert not lost_objects(survivors, tb.snapshot()), 'objects lost by the re-run after the kill at %r' % task['name']
    assert_whole(expect, 'after kube-apiserver was killed and the run repeated')
    tb.converged = True


def test_immich_failing_first_three_requests_with_503(converged, expect):
    tb = converged
    before = tb.snapshot()
    tb.immich.reset()  # Immich forgets its admin, keys, library and config: the role has writes to do again
    tb.immich.reset_log()
    tb.immich.faults(fail_next=3, fail_status=503, path_prefix='')
    try:
        first = tb.playbook('--tags', 'immich_library')
    finally:
        tb.immich.clear_faults()
    log = tb.immich.requests()
    assert [e['status'] for e in log[:3]] == [503, 503, 503], 'the fault did not hit the first requests: %s' % log[:4]
    # Three 503 are what the API client's and the ping's retries are for; if the run still failed it
    # must say that the server answered 503.
    assert first.rc == 0 or '503' in first.output, first.tail(40)

    rerun = tb.playbook('--tags', 'immich_library')
    assert rerun.rc == 0, rerun.tail(60)
    assert not lost_objects(before, tb.snapshot())
    assert_whole(expect, 'after three 503 answers from Immich')


@pytest.mark.parametrize('method,apply', [
    ('sharing.nfs.create', True),   # the share is created, then the connection drops before the answer
    ('sharing.nfs.query', False),   # the connection drops before the read is served
])
def test_truenas_websocket_dropping_mid_call(converged, expect, method, apply):
    tb = converged
    path = expect.nas['truenas_nfs_export_path']
    shares = [s for s in tb.truenas.state()['shares'] if s['path'] == path]
    for share in shares:  # the run has the share to create again
        tb.truenas.call('sharing.nfs.delete', share['id'], login=True)
    tb.truenas.reset_log()
    tb.truenas.faults({'drop': [{'method': method, 'count': 1, 'apply': apply}]})
    try:
        tb.playbook('--tags', 'truenas_nfs_export')
    finally:
        tb.truenas.clear_faults()
    dropped = [e for e in tb.truenas.requests() if e['method'] == method and e.get('error') == 'dropped']
    assert dropped, 'the connection was never dropped during %s' % method

    rerun = tb.playbook('--tags', 'truenas_nfs_export')
    assert rerun.rc == 0, rerun.tail(60)
    assert not expect.truenas_problems(), expect.truenas_problems()


def test_immich_api_not_up_yet_then_up(converged, expect):
    tb = converged
    tb.stop_emulator('immich')
    try:
        run = tb.playbook('--tags', 'immich_library', extra_vars={'immich_library_api_wait_timeout': 60}, background=True)
        run.wait_for_task(r'^immich_library : Ping', timeout=120)
        time.sleep(4)
        assert not tb.immich.up()
    finally:
        tb.start_emulators()
    done = run.wait(timeout=240)
    assert done.rc == 0, 'immich_library did not wait for the API to come up:\n%s' % done.tail(60)
    assert_whole(expect, 'after Immich came up late')


def test_immich_api_never_up_fails_naming_the_url(converged, expect):
    tb = converged
    url = expect.var('immich_library_api_url')
    timeout = 10
    tb.stop_emulator('immich')
    try:
        run = tb.playbook('--tags', 'immich_library', extra_vars={'immich_library_api_wait_timeout': timeout}, timeout=300)
    finally:
        tb.start_emulators()
    assert run.rc != 0, run.tail(40)
    assert run.duration < timeout + 90, 'the wait took %.0fs for a %ds timeout' % (run.duration, timeout)
    failure = run.output[run.output.rfind('fatal:'):]
    assert url and url in failure, 'the failure does not name %s:\n%s' % (url, failure[:2000])
    assert not expect.immich_problems()
