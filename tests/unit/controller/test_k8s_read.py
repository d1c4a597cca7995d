"""The k8s_read action: one result per term, absent objects and APIs as {} / [], and the connection options.

The cluster client is replaced by a recorder; the action runs against a real kube-apiserver in every role's
preflight (tests/reliability, molecule).
"""
import types

import pytest
from ansible.errors import AnsibleActionFail
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.homelab.immich.plugins.action import k8s_read
from ansible_collections.homelab.immich.plugins.plugin_utils import k8s_client


def _not_found():
    return NotFoundError(type('E', (), {'status': 404, 'reason': 'Not Found', 'body': '', 'headers': {}})())


class Result:
    def __init__(self, data):
        self.data = data

    def to_dict(self):
        return self.data


class Cluster:
    """Serves objects by (kind, namespace, name); kinds of the group 'absent.io' are not served."""

    def __init__(self, objects):
        self.objects = objects
        self.calls = []
        self.resources = type('Resources', (), {'api_groups': {'': None, 'apps': None, 'postgresql.cnpg.io': None}.keys()})()

    def resource(self, kind, api_version):
        if api_version.startswith('absent.io/'):
            raise ResourceNotFoundError('no %s' % kind)
        return kind

    def get(self, kind, name=None, namespace=None, **options):
        self.calls.append((kind, namespace, name, options))
        if name:
            if (kind, namespace, name) not in self.objects:
                raise _not_found()
            return Result(self.objects[(kind, namespace, name)])
        return Result({'items': [obj for (k, ns, _n), obj in sorted(self.objects.items()) if k == kind and ns == namespace]})


def action(args):
    """The action as a task would run it: no connection is used (it runs in the controller process)."""
    task = Task()
    task.args = args
    connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir='unused'))
    return k8s_read.ActionModule(task, connection=connection, play_context=None, loader=None, templar=Templar(loader=None),
                                 shared_loader_obj=None)


@pytest.fixture
def cluster(monkeypatch):
    objects = {('Deployment', 'immich', 'immich-valkey'): {'kind': 'Deployment', 'metadata': {'name': 'immich-valkey'}},
               ('Secret', 'immich', 'a'): {'kind': 'Secret', 'metadata': {'name': 'a'}},
               ('Secret', 'immich', 'b'): {'kind': 'Secret', 'metadata': {'name': 'b'}}}
    fake = Cluster(objects)
    auth = {}
    monkeypatch.setattr(k8s_client, 'get_api_client', lambda **given: auth.update(given) or fake)
    fake.auth = auth
    return fake


def read(*terms, task_vars=None, **options):
    result = action(dict(options, objects=list(terms))).run(task_vars=task_vars or {})
    assert not result.get('failed'), result
    assert result['changed'] is False
    return result['found']


def test_one_result_per_term_in_order(cluster):
    results = read({'api_version': 'apps/v1', 'kind': 'Deployment', 'name': 'immich-valkey', 'namespace': 'immich'},
                   {'kind': 'Secret', 'namespace': 'immich'}, 'api_groups')
    assert results[0]['metadata']['name'] == 'immich-valkey'
    assert [s['metadata']['name'] for s in results[1]] == ['a', 'b']
    assert results[2] == ['', 'apps', 'postgresql.cnpg.io']


def test_absent_objects_and_apis_read_as_empty(cluster):
    assert read({'api_version': 'apps/v1', 'kind': 'Deployment', 'name': 'nope', 'namespace': 'immich'},
                {'api_version': 'absent.io/v1', 'kind': 'Thing', 'name': 'x'},
                {'api_version': 'absent.io/v1', 'kind': 'Thing'}) == [{}, {}, []]


def test_a_label_selector_is_passed_on(cluster):
    read({'kind': 'Secret', 'namespace': 'immich', 'label_selector': 'app=valkey'})
    assert cluster.calls[-1] == ('Secret', 'immich', None, {'label_selector': 'app=valkey'})


def test_the_connection_options_reach_the_client(cluster):
    read('api_groups', kubeconfig='/tmp/kubeconfig', context='testbed')
    assert cluster.auth == {'kubeconfig': '/tmp/kubeconfig', 'context': 'testbed'}


def test_the_site_variables_are_the_default_connection(cluster):
    read('api_groups', task_vars={'homelab_immich_kubeconfig': '/tmp/site-kubeconfig', 'homelab_immich_kube_context': 'site'})
    assert cluster.auth == {'kubeconfig': '/tmp/site-kubeconfig', 'context': 'site'}
    cluster.auth.clear()
    read('api_groups', kubeconfig='/tmp/given', task_vars={'homelab_immich_kubeconfig': '/tmp/site-kubeconfig'})
    assert cluster.auth == {'kubeconfig': '/tmp/given'}


def test_unset_the_client_picks_its_own_defaults(cluster):
    read('api_groups')
    assert cluster.auth == {}


def test_objects_that_are_not_a_list_are_refused(cluster):
    result = action({'objects': {'kind': 'Secret'}}).run(task_vars={})
    assert result['failed'] and 'objects must be a list' in result['msg']
    assert cluster.calls == []


@pytest.mark.parametrize('term', ['pods', {'api_version': 'v1'}, {'kind': 'Secret', 'nmae': 'typo'}])
def test_a_malformed_term_is_refused_before_any_read(cluster, term):
    with pytest.raises(AnsibleActionFail, match='each term is api_groups or a mapping'):
        read(term)
    assert cluster.calls == []


def test_a_failed_read_names_the_object(cluster, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError('connection reset')
    monkeypatch.setattr(cluster, 'get', broken)
    with pytest.raises(AnsibleActionFail, match='reading Secret immich/a failed: connection reset'):
        read({'kind': 'Secret', 'name': 'a', 'namespace': 'immich'})
