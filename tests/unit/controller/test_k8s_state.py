"""The decisions around the Kubernetes steps: is an object rolled out (plugins/test/k8s_state.py), the newest copy of
each and the references a delete needs (plugins/filter/k8s_state.py), and how a Secret is shown
(plugins/plugin_utils/k8s_objects.py)."""
import copy

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.immich.plugins.filter.k8s_state import k8s_newest, k8s_references
from ansible_collections.homelab.immich.plugins.plugin_utils.k8s_objects import MASK, masked
from ansible_collections.homelab.immich.plugins.test.k8s_state import k8s_rolled_out

DEPLOYMENT = {'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'v', 'namespace': 'immich', 'generation': 3},
              'spec': {'replicas': 1},
              'status': {'observedGeneration': 3, 'replicas': 1, 'availableReplicas': 1, 'updatedReplicas': 1}}
DAEMONSET = {'apiVersion': 'apps/v1', 'kind': 'DaemonSet', 'metadata': {'name': 'n', 'namespace': 'kube-system', 'generation': 1},
             'status': {'observedGeneration': 1, 'desiredNumberScheduled': 2, 'updatedNumberScheduled': 2, 'numberReady': 2}}


def changed(obj, path, value):
    obj = copy.deepcopy(obj)
    node = obj
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return obj


def test_a_rolled_out_deployment_and_daemonset():
    assert k8s_rolled_out(DEPLOYMENT) and k8s_rolled_out(DAEMONSET)


@pytest.mark.parametrize('obj', [
    {},                                                                 # not read / not there
    changed(DEPLOYMENT, ['status'], None),                              # no status yet
    changed(DEPLOYMENT, ['metadata', 'generation'], 4),                 # a new spec the controller has not seen
    changed(DEPLOYMENT, ['status', 'availableReplicas'], 0),            # not available
    changed(DEPLOYMENT, ['status', 'unavailableReplicas'], 1),
    changed(DEPLOYMENT, ['spec', 'replicas'], 2),                       # scaling up
    changed(DAEMONSET, ['status', 'numberReady'], 1),
    changed(DAEMONSET, ['status', 'updatedNumberScheduled'], 1),
    changed(DAEMONSET, ['status', 'desiredNumberScheduled'], None),
], ids=['empty', 'no-status', 'new-generation', 'unavailable', 'unavailable-replicas', 'scaling',
        'ds-not-ready', 'ds-not-updated', 'ds-no-desired'])
def test_not_rolled_out(obj):
    assert k8s_rolled_out(obj) is False


def test_spec_replicas_defaults_to_one():
    """A Deployment without spec.replicas and one ready replica is rolled out (the apiserver defaults it to 1)."""
    assert k8s_rolled_out(changed(DEPLOYMENT, ['spec', 'replicas'], None))


def test_a_kind_without_rollout_is_refused():
    with pytest.raises(AnsibleFilterError, match='has no rollout'):
        k8s_rolled_out({'kind': 'Service', 'metadata': {'generation': 1}, 'status': {'observedGeneration': 1}})


def test_newest_copies_prefer_what_the_apply_returned():
    live = [DEPLOYMENT, DAEMONSET, {}]
    applied_one = {'changed': True, 'resources': [changed(DEPLOYMENT, ['metadata', 'generation'], 4)]}
    applied_many = {'changed': True, 'resources': [changed(DEPLOYMENT, ['metadata', 'generation'], 5),
                                                   {'kind': 'Service', 'metadata': {'name': 'v'}}]}
    assert [o['metadata'].get('generation') for o in k8s_newest(applied_one, live)] == [4, 1]
    assert [(o['kind'], o['metadata'].get('generation')) for o in k8s_newest(applied_many, live)] == [
        ('Deployment', 5), ('Service', None), ('DaemonSet', 1)]
    assert k8s_newest({'skipped': True, 'changed': False}, live) == [DEPLOYMENT, DAEMONSET]
    assert k8s_newest(None, live) == [DEPLOYMENT, DAEMONSET]


def test_a_planned_secret_shows_its_keys_not_its_values():
    secret = {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 's'}, 'data': {'password': 'c2VjcmV0'},
              'stringData': {'token': 'plain'}}
    shown = yaml.safe_dump(masked(secret))
    assert 'c2VjcmV0' not in shown and 'plain' not in shown and 'password' in shown and 'token' in shown and MASK in shown
    assert secret['data']['password'] == 'c2VjcmV0', 'the rendered object itself is left alone'
    side = yaml.safe_dump(masked({'data': {'password': 'c2VjcmV0'}}, kind='Secret'))
    assert 'c2VjcmV0' not in side and MASK in side, 'a part of a Secret (a diff side) is masked as the Secret'
    assert masked({'kind': 'ConfigMap', 'data': {'a': 'b'}}) == {'kind': 'ConfigMap', 'data': {'a': 'b'}}


def test_references_of_live_objects_leave_out_the_absent_and_the_contents():
    secret = {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 's', 'namespace': 'immich', 'uid': 'u'}, 'data': {'password': 'eA=='}}
    pv = {'apiVersion': 'v1', 'kind': 'PersistentVolume', 'metadata': {'name': 'photos'}, 'spec': {}}
    pvcs = [{'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim', 'metadata': {'name': 'a', 'namespace': 'immich'}}]
    assert k8s_references([secret, {}, pvcs, [], pv, pvcs]) == [
        {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 's', 'namespace': 'immich'}},
        {'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim', 'metadata': {'name': 'a', 'namespace': 'immich'}},
        {'apiVersion': 'v1', 'kind': 'PersistentVolume', 'metadata': {'name': 'photos'}},
    ]
