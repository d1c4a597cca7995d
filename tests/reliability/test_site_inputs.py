"""A bad value of any role fails the whole site.yml in its first play, on a fresh testbed as well.

The site cases of the bad-input catalogue (test_inputs.py, target "site": one bad value per role and per
kind of check: choice, type, format, cross-field) run here against the session's empty cluster and fresh
emulators, before anything has converged, where a late failure would have left the NAS export and the
first roles' objects behind; test_inputs.py runs the same batches on the converged deployment. The cases of
one kind run as one site.yml run, whose failure must name every role's variable (the input-check play
reports them all at once), in that play, and which writes nothing anywhere (no Kubernetes object created or
changed, no apiserver write, no Immich or TrueNAS write).
"""
import pytest

from tests.lib.write_watch import WriteWatch
from tests.reliability.test_inputs import CASES, assert_site_run_failed_early, site_batches

SITE_CASES = [c for c in CASES if c[1] == 'site']
FIRST_PLAY = 'Check the inputs of every role before anything is contacted'


@pytest.fixture(scope='module')
def empty_testbed(testbed):
    if not testbed.fresh:
        testbed.reset()
        testbed.fresh = True
    return testbed


ROLES = ['truenas_nfs_export', 'csi_driver_nfs', 'cnpg_operator', 'immich_database', 'valkey', 'immich', 'immich_library']


def role_of(variable):
    """The role whose prefix is the longest that the variable starts with (immich_library_x is immich_library's)."""
    return max((r for r in ROLES if variable.startswith(r + '_')), key=len, default=None)


def test_every_role_has_site_cases():
    covered = {role_of(name) for case in SITE_CASES for name in case[2]}
    assert covered == set(ROLES), 'roles without a site case: %s' % sorted(set(ROLES) - covered)


@pytest.mark.parametrize('batch_id,bad,names', site_batches(), ids=[b[0] for b in site_batches()])
def test_bad_input_stops_site_yml_on_a_fresh_testbed(empty_testbed, batch_id, bad, names):
    tb = empty_testbed
    watch = WriteWatch(tb).start()
    run = tb.playbook(extra_vars=bad, timeout=300)
    result = watch.stop()
    assert 'PLAY [%s]' % FIRST_PLAY in run.output, run.tail(40)
    assert_site_run_failed_early(run, result, batch_id, bad, names)
