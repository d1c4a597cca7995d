"""The k8s_apply action: which objects it reads, which it applies and how, what check mode shows, and that Secret
values never leave it unmasked.

The cluster client is replaced by a recorder and kubernetes.core.k8s by a stand-in that returns what it was given
(the comparison itself is tested in tests/unit/kubernetes/test_k8s_apply_state.py; the action against a real
kube-apiserver in every role, tests/reliability and molecule).
"""
import copy
import types

import pytest
from ansible.errors import AnsibleActionFail
from kubernetes.dynamic.exceptions import NotFoundError

from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.homelab.immich.plugins.action import k8s_apply
from ansible_collections.homelab.immich.plugins.plugin_utils import k8s_client
from ansible_collections.homelab.immich.plugins.plugin_utils.k8s_objects import MASK

MANAGER = 'homelab.immich'


def config_map(name, value, owned=True, namespace='immich'):
    obj = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': name, 'namespace': namespace}, 'data': {'a': value}}
    if owned:
        obj = copy.deepcopy(obj)
        obj['metadata']['managedFields'] = [{'manager': MANAGER, 'operation': 'Apply', 'fieldsV1': {'f:data': {'f:a': {}}}}]
    return obj


def secret(name='s', value='c2VjcmV0'):
    return {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': name, 'namespace': 'immich'}, 'data': {'password': value}}


class Live:
    """Stands in for kubernetes.core's client: serves the given live objects and namespaces, records each read."""

    def __init__(self, objects, namespaces=('immich',), groups=('', 'apps')):
        self.objects = dict((obj['metadata']['name'], obj) for obj in objects)
        self.namespaces = namespaces
        self.reads = []
        self.resources = types.SimpleNamespace(api_groups=dict.fromkeys(groups).keys())

    def resource(self, kind, api_version):
        return (kind, api_version)

    def get(self, resource, name=None, namespace=None, **options):
        self.reads.append((resource[0], namespace, name))
        if resource[0] == 'Namespace' and not name:
            return types.SimpleNamespace(to_dict=lambda: {'items': [{'metadata': {'name': ns}} for ns in self.namespaces]})
        if name not in self.objects:
            raise NotFoundError(type('E', (), {'status': 404, 'reason': 'Not Found', 'body': '', 'headers': {}})())
        return types.SimpleNamespace(to_dict=lambda obj=self.objects[name]: copy.deepcopy(obj))


@pytest.fixture
def live(monkeypatch):
    client = Live([config_map('same', '1'), config_map('other', '1')])
    client.auth = []
    monkeypatch.setattr(k8s_client, 'get_api_client', lambda **auth: client.auth.append(auth) or client)
    return client


def action(args, check_mode=False, diff=False, module=None):
    """The action as a task would run it, with kubernetes.core.k8s replaced by ``module`` (default: applies and
    returns each object with a diff, as the real module does with several definitions)."""
    task = Task()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir='unused'))
    plugin = k8s_apply.ActionModule(task, connection=connection, play_context=None, loader=None, templar=Templar(loader=None),
                                    shared_loader_obj=None)
    plugin.module_runs = []

    def applied(module_name, module_args, task_vars, no_log=False):
        plugin.module_runs.append((module_name, copy.deepcopy(module_args), no_log))
        if module:
            return module(module_args)
        return {'changed': True, 'result': {'results': [
            {'changed': True, 'result': dict(obj, metadata=dict(obj['metadata'], uid='u')), 'diff': {'before': {}, 'after': obj}}
            for obj in module_args['definition']]}}
    plugin._run_module = applied
    return plugin


def run(objects, task_vars=None, **options):
    plugin = action(dict(objects=objects, **options.pop('args', {})), **options)
    result = plugin.run(task_vars=task_vars or {})
    result['module_runs'] = plugin.module_runs
    return result


def test_only_the_objects_an_apply_would_change_are_applied_in_their_order(live):
    wanted = [config_map('same', '1', owned=False), config_map('other', '2', owned=False), config_map('new', '1', owned=False)]
    result = run(wanted)
    assert live.reads == [('ConfigMap', 'immich', 'same'), ('ConfigMap', 'immich', 'other'), ('ConfigMap', 'immich', 'new')]
    assert result['pending'] == ['ConfigMap immich/other', 'ConfigMap immich/new']
    [(name, args, no_log)] = result['module_runs']
    assert name == 'kubernetes.core.k8s' and no_log is True
    assert args['definition'] == wanted[1:]
    assert args['state'] == 'present' and args['apply'] is True
    assert args['server_side_apply'] == {'field_manager': MANAGER, 'force_conflicts': True}
    assert result['changed'] is True and [r['metadata']['name'] for r in result['resources']] == ['other', 'new']


def test_a_no_op_neither_connects_nor_runs_the_module_when_every_object_was_read_before(live):
    wanted = [config_map('same', '1', owned=False), config_map('other', '1', owned=False)]
    result = run(wanted, args={'live': [config_map('same', '1'), {}, config_map('other', '1')]})
    assert live.auth == [] and live.reads == []
    assert result['module_runs'] == []
    assert result['changed'] is False and result['pending'] == [] and result['resources'] == []
    assert result['msg'] == 'Nothing to change.'


def test_objects_already_read_are_not_read_again(live):
    wanted = [config_map('same', '1', owned=False), config_map('other', '1', owned=False)]
    run(wanted, args={'live': [config_map('same', '1')]})
    assert live.reads == [('ConfigMap', 'immich', 'other')]


def test_empty_documents_are_skipped_and_lists_flattened(live):
    result = run([None, [config_map('new', '1', owned=False)], {}])
    assert result['module_runs'][0][1]['definition'] == [config_map('new', '1', owned=False)]


@pytest.mark.parametrize('objects', [[{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {}}], [{'metadata': {'name': 'x'}}], ['text']])
def test_an_object_without_kind_or_name_is_refused_before_any_read(live, objects):
    with pytest.raises(AnsibleActionFail, match='every object needs kind and metadata.name'):
        run(objects)
    assert live.reads == []


@pytest.mark.parametrize('args', [{'objects': {'kind': 'ConfigMap'}}, {'objects': [], 'live': {}}])
def test_objects_and_live_must_be_lists(live, args):
    with pytest.raises(AnsibleActionFail, match='objects and live must be lists'):
        action(args).run(task_vars={})


def test_the_site_variables_are_the_connection_of_the_reads_and_the_module(live):
    site = {'homelab_immich_kubeconfig': '/tmp/site-kubeconfig', 'homelab_immich_kube_context': 'site'}
    result = run([config_map('new', '1', owned=False)], task_vars=site)
    assert live.auth == [{'kubeconfig': '/tmp/site-kubeconfig', 'context': 'site'}]
    args = result['module_runs'][0][1]
    assert (args['kubeconfig'], args['context']) == ('/tmp/site-kubeconfig', 'site')
    unset = run([config_map('new', '1', owned=False)])['module_runs'][0][1]
    assert 'kubeconfig' not in unset and 'context' not in unset, 'unset, the module keeps its own defaults'


def test_a_field_manager_of_its_own(live):
    result = run([config_map('same', '1', owned=False)], args={'field_manager': 'someone-else'})
    assert result['pending'] == ['ConfigMap immich/same'], 'the live entry belongs to homelab.immich, not to this manager'
    assert result['module_runs'][0][1]['server_side_apply']['field_manager'] == 'someone-else'


def test_a_failed_apply_names_the_objects(live):
    result = run([config_map('new', '1', owned=False)], module=lambda args: {'failed': True, 'msg': 'admission webhook denied it'})
    assert result['failed'] is True
    assert result['msg'] == 'homelab.immich.k8s_apply: applying ConfigMap immich/new failed: admission webhook denied it'


def test_one_object_applied_returns_its_copy(live):
    """kubernetes.core.k8s answers with the object itself (not under results) when it was given one."""
    new = config_map('new', '1', owned=False)
    result = run([new], module=lambda args: {'changed': True, 'result': dict(new, metadata=dict(new['metadata'], uid='u'))})
    assert [r['metadata']['uid'] for r in result['resources']] == ['u']


def test_secret_values_are_masked_in_what_it_returns_and_in_the_diff(live):
    result = run([secret()], diff=True)
    assert result['resources'][0]['data'] == {'password': MASK}
    [diff] = result['diff']
    assert (diff['before_header'], diff['after_header']) == ('Secret immich/s (absent)', 'Secret immich/s (created)')
    assert diff['before'] == ''
    assert 'c2VjcmV0' not in diff['after'] and MASK in diff['after'] and 'password' in diff['after']
    assert result['module_runs'][0][1]['definition'][0]['data'] == {'password': 'c2VjcmV0'}, 'the cluster gets the real value'


def test_the_diff_of_a_changed_object_names_it_and_leaves_out_the_managed_fields(live):
    before, after = config_map('other', '1'), config_map('other', '2')
    result = run([config_map('other', '2', owned=False)], diff=True,
                 module=lambda args: {'changed': True, 'result': after, 'diff': {'before': before, 'after': after}})
    [diff] = result['diff']
    assert (diff['before_header'], diff['after_header']) == ('ConfigMap immich/other', 'ConfigMap immich/other')
    assert "a: '1'" in diff['before'] and "a: '2'" in diff['after'] and 'managedFields' not in diff['before'] + diff['after']


def test_no_diff_without_diff_mode(live):
    assert 'diff' not in run([config_map('new', '1', owned=False)])


def test_check_mode_shows_what_the_server_cannot_dry_run_and_dry_runs_the_rest(monkeypatch):
    """A fresh cluster: no immich namespace yet, no CNPG API; the cluster-wide StorageClass can be dry-run."""
    client = Live([], namespaces=('default',), groups=('', 'storage.k8s.io'))
    monkeypatch.setattr(k8s_client, 'get_api_client', lambda **auth: client)
    cluster = {'apiVersion': 'postgresql.cnpg.io/v1', 'kind': 'Cluster', 'metadata': {'name': 'db', 'namespace': 'other'}}
    sc = {'apiVersion': 'storage.k8s.io/v1', 'kind': 'StorageClass', 'metadata': {'name': 'nfs'}}
    result = run([secret(), cluster, sc], check_mode=True, diff=True)
    assert result['planned'] == ['Secret immich/s', 'Cluster other/db']
    assert [args['definition'] for _name, args, _no_log in result['module_runs']] == [[sc]], 'only the StorageClass is dry-run'
    assert result['changed'] is True
    headers = [(d['before_header'], d['after_header']) for d in result['diff']]
    assert headers[:2] == [('Secret immich/s (absent)', 'Secret immich/s (would be created)'),
                           ('Cluster other/db (absent)', 'Cluster other/db (would be created)')]
    assert 'c2VjcmV0' not in result['diff'][0]['after'] and MASK in result['diff'][0]['after']
    assert result['msg'].startswith('Would create Secret immich/s, Cluster other/db (')
    assert result['msg'].endswith('Would apply StorageClass nfs.')


def test_check_mode_on_a_converged_cluster_dry_runs_everything(monkeypatch):
    client = Live([], namespaces=('immich',), groups=('', 'postgresql.cnpg.io'))
    monkeypatch.setattr(k8s_client, 'get_api_client', lambda **auth: client)
    cluster = {'apiVersion': 'postgresql.cnpg.io/v1', 'kind': 'Cluster', 'metadata': {'name': 'db', 'namespace': 'immich'}}
    result = run([secret(), cluster], check_mode=True)
    assert result['planned'] == []
    assert result['module_runs'][0][1]['definition'] == [secret(), cluster]


def test_check_mode_runs_no_module_when_everything_is_shown(monkeypatch):
    client = Live([], namespaces=('default',))
    monkeypatch.setattr(k8s_client, 'get_api_client', lambda **auth: client)
    result = run([secret()], check_mode=True)
    assert result['module_runs'] == [] and result['planned'] == ['Secret immich/s'] and result['changed'] is True


def test_check_mode_of_a_no_op_reads_no_namespaces(live):
    result = run([config_map('same', '1', owned=False)], check_mode=True)
    assert ('Namespace', None, None) not in live.reads
    assert result['msg'] == 'Nothing would change.' and result['changed'] is False


def test_unplannable_objects():
    ns = {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'immich'}}
    a_secret = {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 's', 'namespace': 'immich'}}
    cluster = {'apiVersion': 'postgresql.cnpg.io/v1', 'kind': 'Cluster', 'metadata': {'name': 'db', 'namespace': 'other'}}
    sc = {'apiVersion': 'storage.k8s.io/v1', 'kind': 'StorageClass', 'metadata': {'name': 'nfs'}}
    objects = [ns, a_secret, cluster, sc]
    # Fresh cluster: no immich namespace, no CNPG API.
    assert k8s_apply.unplannable(objects, ['default', 'other'], ['apps', 'storage.k8s.io']) == [a_secret, cluster]
    # Converged: everything can be dry-run.
    assert k8s_apply.unplannable(objects, ['immich', 'other'], ['postgresql.cnpg.io', 'storage.k8s.io']) == []
    # The namespace exists but the CRD does not.
    assert k8s_apply.unplannable(objects, ['immich', 'other'], ['storage.k8s.io']) == [cluster]
