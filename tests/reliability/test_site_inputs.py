"""A bad value of any role fails the whole site.yml in its first play, on a fresh testbed as well.

The site cases of the bad-input catalogue (test_inputs.py, target "site": one bad value per role and per
kind of check: choice, type, format, cross-field) run here against the session's empty cluster and fresh
emulators, before anything has converged, where a late failure would have left the NAS export and the
first roles' objects behind. test_inputs.py runs the same cases on the converged deployment. Each run must
fail naming the variable, in the input-check play, and write nothing anywhere (no Kubernetes object created
or changed, no apiserver write, no Immich or TrueNAS write).
"""
import json

import pytest

from tests.reliability.harness import WriteWatch
from tests.reliability.test_inputs import CASES

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


@pytest.mark.parametrize('case_id,target,bad,name', SITE_CASES, ids=[c[0] for c in SITE_CASES])
def test_bad_input_stops_site_yml_on_a_fresh_testbed(empty_testbed, case_id, target, bad, name):
    tb = empty_testbed
    watch = WriteWatch(tb).start()
    run = tb.playbook(extra_vars=bad, timeout=300)
    result = watch.stop()
    assert run.rc != 0, '%s: bad input %s was accepted:\n%s' % (case_id, json.dumps(bad), run.tail(30))
    assert name in run.failures(), '%s: the failure does not name %s:\n%s' % (case_id, name, run.tail(30))
    assert 'PLAY [%s]' % FIRST_PLAY in run.output and 'PLAY [Export the photos' not in run.output, \
        '%s: the run got past the input-check play:\n%s' % (case_id, run.tail(40))
    written = WriteWatch.written(result)
    assert not written, '%s: bad input %s wrote before failing: %s' % (case_id, json.dumps(bad), json.dumps(written, indent=1))
