"""k8s_apply_state: a server-side apply is skipped only when it provably changes nothing.

The live objects are shaped as kube-apiserver returns them (managedFields fieldsV1 trees with f:, k: and
v: keys, server defaults the applier does not own, other managers' entries).
"""
import copy

import pytest

from ansible_collections.homelab.immich.plugins.module_utils.k8s_apply_state import apply_change_reason, owned_fields

MANAGER = 'homelab.immich'

APPLIED = {
    'apiVersion': 'apps/v1',
    'kind': 'Deployment',
    'metadata': {'name': 'valkey', 'namespace': 'immich', 'labels': {'app': 'valkey'}},
    'spec': {
        'replicas': 1,
        'selector': {'matchLabels': {'app': 'valkey'}},
        'template': {'spec': {'containers': [{
            'name': 'valkey',
            'image': 'valkey:8.1.6',
            'ports': [{'containerPort': 6379, 'name': 'redis'}],
            'env': [{'name': 'A', 'value': '1'}, {'name': 'B', 'valueFrom': {'secretKeyRef': {'name': 's', 'key': 'k'}}}],
        }]}},
    },
}

FIELDS = {
    'f:metadata': {'f:labels': {'f:app': {}}},
    'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {'f:spec': {'f:containers': {'k:{"name":"valkey"}': {
            '.': {}, 'f:name': {}, 'f:image': {},
            'f:ports': {'k:{"containerPort":6379,"protocol":"TCP"}': {'.': {}, 'f:containerPort': {}, 'f:name': {}}},
            'f:env': {'k:{"name":"A"}': {'.': {}, 'f:name': {}, 'f:value': {}},
                      'k:{"name":"B"}': {'.': {}, 'f:name': {}, 'f:valueFrom': {'f:secretKeyRef': {}}}},
        }}}},
    },
}


def live_of(applied=None, fields=None):
    """The object as the API server returns it: server defaults, status, and managedFields entries."""
    fields = FIELDS if fields is None else fields
    live = copy.deepcopy(APPLIED if applied is None else applied)
    live['metadata'].update({'uid': 'u1', 'resourceVersion': '7', 'generation': 2, 'managedFields': [
        {'manager': MANAGER, 'operation': 'Apply', 'apiVersion': 'apps/v1', 'fieldsType': 'FieldsV1', 'fieldsV1': fields},
        {'manager': 'kube-controller-manager', 'operation': 'Update', 'subresource': 'status', 'fieldsV1': {'f:status': {}}},
    ]})
    container = live['spec']['template']['spec']['containers'][0]
    container.update({'imagePullPolicy': 'IfNotPresent', 'terminationMessagePath': '/dev/termination-log'})
    container['ports'][0]['protocol'] = 'TCP'
    live['spec']['strategy'] = {'type': 'RollingUpdate'}
    live['status'] = {'replicas': 1}
    return live


def changed(applied, live):
    return apply_change_reason(applied, live, MANAGER)


def test_unchanged_object_with_server_defaults_needs_no_apply():
    assert changed(APPLIED, live_of()) is None


def test_missing_object_is_applied():
    assert changed(APPLIED, None) == 'does not exist'


def test_object_without_our_apply_entry_is_applied():
    live = live_of()
    live['metadata']['managedFields'][0]['manager'] = 'kubectl'
    assert 'no single apply entry' in changed(APPLIED, live)


@pytest.mark.parametrize('path, value', [
    (('spec', 'replicas'), 2),
    (('metadata', 'labels', 'app'), 'other'),
    (('spec', 'selector', 'matchLabels', 'app'), 'other'),
])
def test_a_changed_value_is_applied(path, value):
    applied = copy.deepcopy(APPLIED)
    target = applied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert changed(applied, live_of()) is not None


def test_a_changed_value_inside_a_keyed_list_item_is_applied():
    applied = copy.deepcopy(APPLIED)
    applied['spec']['template']['spec']['containers'][0]['env'][0]['value'] = '2'
    assert 'env[0].value differs' in changed(applied, live_of())


def test_a_changed_atomic_value_is_applied():
    applied = copy.deepcopy(APPLIED)
    applied['spec']['template']['spec']['containers'][0]['env'][1]['valueFrom']['secretKeyRef']['key'] = 'other'
    assert 'secretKeyRef differs' in changed(applied, live_of())


def test_a_field_dropped_from_the_template_is_applied():
    """Server-side apply removes a field its manager owned and no longer sends: so must this check."""
    applied = copy.deepcopy(APPLIED)
    del applied['spec']['replicas']
    assert 'owned fields' in changed(applied, live_of())


def test_a_new_field_is_applied():
    applied = copy.deepcopy(APPLIED)
    applied['spec']['minReadySeconds'] = 5
    assert 'applied fields' in changed(applied, live_of())


def test_a_dropped_list_item_is_applied():
    applied = copy.deepcopy(APPLIED)
    applied['spec']['template']['spec']['containers'][0]['env'].pop()
    assert changed(applied, live_of()) is not None


def test_a_list_item_added_by_someone_else_counts_as_a_change():
    live = live_of()
    live['spec']['template']['spec']['containers'][0]['env'].append({'name': 'C', 'value': '3'})
    assert 'differs in length' in changed(APPLIED, live)


def test_a_value_someone_else_changed_is_applied_again():
    live = live_of()
    live['spec']['template']['spec']['containers'][0]['image'] = 'valkey:latest'
    assert 'image differs' in changed(APPLIED, live)


def test_a_canonicalised_quantity_counts_as_a_change():
    """The server writes 0.5 CPU as 500m: unsure, so the object is applied (it stays correct, only slower)."""
    applied = copy.deepcopy(APPLIED)
    applied['spec']['template']['spec']['containers'][0]['resources'] = {'requests': {'cpu': '0.5'}}
    fields = copy.deepcopy(FIELDS)
    fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"valkey"}']['f:resources'] = {
        'f:requests': {'f:cpu': {}}}
    live = live_of(fields=fields)
    live['spec']['template']['spec']['containers'][0]['resources'] = {'requests': {'cpu': '500m'}}
    assert 'cpu differs' in changed(applied, live)


def test_a_set_list_is_compared_by_its_values():
    applied = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c', 'finalizers': ['a', 'b']}}
    fields = {'f:metadata': {'f:finalizers': {'.': {}, 'v:"a"': {}, 'v:"b"': {}}}}
    live = copy.deepcopy(applied)
    live['metadata']['managedFields'] = [{'manager': MANAGER, 'operation': 'Apply', 'fieldsV1': fields}]
    assert changed(applied, live) is None
    applied['metadata']['finalizers'] = ['a', 'c']
    assert 'owned values differ' in changed(applied, live)


def test_identity_fields_are_not_compared():
    applied = copy.deepcopy(APPLIED)
    live = live_of()
    assert owned_fields(live, MANAGER) == FIELDS and changed(applied, live) is None
    applied['metadata'] = {'name': 'valkey', 'namespace': 'immich'}
    fields = copy.deepcopy(FIELDS)
    del fields['f:metadata']
    assert changed(applied, live_of(applied, fields)) is None


def test_two_apply_entries_of_the_manager_are_not_guessed_between():
    live = live_of()
    live['metadata']['managedFields'].append(dict(live['metadata']['managedFields'][0]))
    assert 'no single apply entry' in changed(APPLIED, live)


def test_a_reordered_set_list_is_applied():
    """Same owned values in another order: an apply would reorder the live list, so it counts as a change."""
    applied = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c', 'finalizers': ['b', 'a']}}
    fields = {'f:metadata': {'f:finalizers': {'.': {}, 'v:"a"': {}, 'v:"b"': {}}}}
    live = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c', 'finalizers': ['a', 'b'], 'managedFields': [
        {'manager': MANAGER, 'operation': 'Apply', 'fieldsV1': fields}]}}
    assert 'values differ' in changed(applied, live)


def test_the_managers_status_subresource_entry_is_not_its_apply_entry():
    """An Apply entry of the same manager on the status subresource is another entry: the main one still decides."""
    live = live_of()
    live['metadata']['managedFields'].append(
        {'manager': MANAGER, 'operation': 'Apply', 'subresource': 'status', 'fieldsV1': {'f:status': {'f:replicas': {}}}})
    assert owned_fields(live, MANAGER) == FIELDS
    assert changed(APPLIED, live) is None


def test_an_update_entry_of_the_manager_is_not_an_apply_entry():
    live = live_of()
    live['metadata']['managedFields'][0]['operation'] = 'Update'
    assert 'no single apply entry' in changed(APPLIED, live)


def test_a_map_that_is_no_map_in_the_live_object_is_applied():
    live = live_of()
    live['spec']['selector'] = 'app=valkey'
    fields = copy.deepcopy(FIELDS)
    fields['f:spec']['f:selector'] = {'f:matchLabels': {'f:app': {}}}
    live['metadata']['managedFields'][0]['fieldsV1'] = fields
    assert 'is not a map in the live object' in changed(APPLIED, live)


def test_a_keyed_list_of_another_length_is_applied():
    live = live_of()
    live['spec']['template']['spec']['containers'][0]['env'].append({'name': 'C', 'value': '3'})
    assert 'differs in length' in changed(APPLIED, live)


def test_a_keyed_item_whose_key_is_not_owned_is_applied():
    fields = copy.deepcopy(FIELDS)
    env = fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"valkey"}']['f:env']
    env['k:{"name":"Z"}'] = env.pop('k:{"name":"B"}')
    assert 'is not owned' in changed(APPLIED, live_of(fields=fields))


def test_a_keyed_list_with_fewer_owned_items_is_applied():
    fields = copy.deepcopy(FIELDS)
    del fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"valkey"}']['f:env']['k:{"name":"B"}']
    assert 'owned items differ in number' in changed(APPLIED, live_of(fields=fields))


def test_an_unreadable_key_is_not_guessed():
    """A key that is not JSON stops the search for that item: the first item is reported, not passed over."""
    fields = copy.deepcopy(FIELDS)
    container = fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"valkey"}']
    container['f:env'] = {'k:not-json': {'.': {}, 'f:name': {}}, 'k:{"name":"A"}': container['f:env']['k:{"name":"A"}']}
    assert changed(APPLIED, live_of(fields=fields)).endswith('env[0] is not owned')


def test_a_compound_key_must_match_in_every_field():
    """ports are keyed by containerPort AND protocol: the same port over UDP is another item."""
    live = live_of()
    live['spec']['template']['spec']['containers'][0]['ports'][0]['protocol'] = 'UDP'
    assert 'ports[0] is not owned' in changed(APPLIED, live)


def test_a_scalar_owned_as_a_tree_is_applied():
    fields = copy.deepcopy(FIELDS)
    fields['f:spec']['f:replicas'] = {'f:value': {}}
    assert 'a scalar owned as a tree' in changed(APPLIED, live_of(fields=fields))
