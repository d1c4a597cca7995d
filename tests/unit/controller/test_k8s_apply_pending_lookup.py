"""The k8s_apply_pending lookup: which objects it reads, and which it returns.

The cluster client is replaced by a recorder (the comparison itself is tested in test_k8s_apply_state.py;
the lookup against a real kube-apiserver in tests/reliability/test_noop.py).
"""
import copy

import pytest
from ansible.errors import AnsibleLookupError
from kubernetes.dynamic.exceptions import NotFoundError

from ansible_collections.homelab.immich.plugins.lookup import k8s_apply_pending
from ansible_collections.homelab.immich.plugins.plugin_utils import k8s_client

MANAGER = 'homelab.immich'


def config_map(name, value, owned=True):
    obj = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': name, 'namespace': 'immich'}, 'data': {'a': value}}
    if owned:
        obj = copy.deepcopy(obj)
        obj['metadata']['managedFields'] = [{'manager': MANAGER, 'operation': 'Apply', 'fieldsV1': {'f:data': {'f:a': {}}}}]
    return obj


class Lookup(k8s_apply_pending.LookupModule):
    """The lookup with its options taken as given: outside a playbook no plugin loader has read its
    DOCUMENTATION (ansible-test sanity checks that; the playbook runs of tests/reliability use it)."""

    def set_options(self, task_keys=None, var_options=None, direct=None):
        self._given = dict({'live': [], 'kubeconfig': None, 'context': None}, **(direct or {}))

    def get_option(self, option, hostvars=None):
        return self._given[option]


class Live:
    """Stands in for kubernetes.core's client: serves the given live objects and records each read."""

    def __init__(self, objects):
        self.objects = dict((obj['metadata']['name'], obj) for obj in objects)
        self.reads = []

    def resource(self, kind, api_version):
        return (kind, api_version)

    def get(self, resource, name, namespace):
        self.reads.append((resource[0], namespace, name))
        if name not in self.objects:
            raise NotFoundError(type('E', (), {'status': 404, 'reason': 'Not Found', 'body': '', 'headers': {}})())
        return type('Instance', (), {'to_dict': lambda _self, obj=self.objects[name]: copy.deepcopy(obj)})()


@pytest.fixture
def live(monkeypatch):
    client = Live([config_map('same', '1'), config_map('other', '1')])
    monkeypatch.setattr(k8s_client, 'get_api_client', lambda **auth: client)
    return client


def pending(*terms, **options):
    options.setdefault('field_manager', MANAGER)
    return Lookup().run(list(terms), variables={}, **options)


def test_returns_only_the_objects_an_apply_would_change(live):
    wanted = [config_map('same', '1', owned=False), config_map('other', '2', owned=False), config_map('new', '1', owned=False)]
    assert [obj['metadata']['name'] for obj in pending(wanted)] == ['other', 'new']
    assert live.reads == [('ConfigMap', 'immich', 'same'), ('ConfigMap', 'immich', 'other'), ('ConfigMap', 'immich', 'new')]


def test_objects_already_read_are_not_read_again(live):
    wanted = [config_map('same', '1', owned=False), config_map('other', '1', owned=False)]
    assert pending(wanted, live=[config_map('same', '1'), {}]) == []
    assert live.reads == [('ConfigMap', 'immich', 'other')]


def test_no_connection_when_every_object_was_read_before(monkeypatch):
    connects = []
    monkeypatch.setattr(k8s_client, 'get_api_client', lambda **auth: connects.append(auth))
    wanted = [config_map('same', '1', owned=False), config_map('other', '2', owned=False)]
    assert pending(wanted, live=[config_map('same', '1'), config_map('other', '1')]) == [wanted[1]]
    assert connects == []


def test_empty_documents_are_skipped_and_lists_flattened(live):
    assert pending([None, [config_map('new', '1', owned=False)]], {}) == [config_map('new', '1', owned=False)]


def test_an_object_without_a_name_is_refused(live):
    with pytest.raises(AnsibleLookupError, match='kind and metadata.name'):
        pending({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {}})
