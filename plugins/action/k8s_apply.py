# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of homelab.immich.k8s_apply: the collection's one apply step. Of the rendered objects, only those a
server-side apply would change go to kubernetes.core.k8s (a no-op run sends nothing); in check mode, those the
server cannot dry-run yet are shown as they would be created. Secret values never leave it unmasked."""

from __future__ import annotations

import yaml

from ansible.errors import AnsibleActionFail
from ansible.parsing.yaml.dumper import AnsibleDumper
from ansible.utils.display import Display

from ansible_collections.homelab.immich.plugins.module_utils.k8s_apply_state import apply_change_reason
from ansible_collections.homelab.immich.plugins.plugin_utils import k8s_client
from ansible_collections.homelab.immich.plugins.plugin_utils.in_worker import InWorkerModules
from ansible_collections.homelab.immich.plugins.plugin_utils.k8s_objects import field, identity, label, masked

try:
    # As in k8s_read: loaded with this class in Ansible's own process, before the task's worker is forked.
    import kubernetes.dynamic  # noqa: F401  pylint: disable=unused-import
except ImportError:
    pass

PLUGIN = 'homelab.immich.k8s_apply'
APPLY_MODULE = 'kubernetes.core.k8s'
DEFAULT_FIELD_MANAGER = 'homelab.immich'

display = Display()


def rendered(objects):
    """The objects in order, lists flattened and empty documents left out; each must have a kind and a name."""
    for obj in objects:
        if isinstance(obj, list):
            yield from rendered(obj)
        elif obj:
            if not isinstance(obj, dict) or not obj.get('kind') or not field(obj, 'metadata', 'name'):
                raise AnsibleActionFail('%s: every object needs kind and metadata.name, got %r' % (PLUGIN, label(obj) if isinstance(obj, dict) else obj))
            yield obj


def pending(objects, live, field_manager, connection):
    """(object, reason) for each object that a server-side apply by field_manager would change. An object with
    no copy in ``live`` (found by kind, namespace and name) is read; the cluster is contacted only then."""
    known = dict((identity(obj), obj) for obj in live if obj)
    client = None
    out = []
    for obj in objects:
        if identity(obj) in known:
            current = known[identity(obj)]
        else:
            client = client or k8s_client.connect(PLUGIN, *connection)
            current = k8s_client.read(client, PLUGIN, obj.get('apiVersion', 'v1'), obj['kind'],
                                      name=obj['metadata']['name'], namespace=obj['metadata'].get('namespace'))
        reason = apply_change_reason(obj, current, field_manager)
        if reason:
            out.append((obj, reason))
    return out


def unplannable(objects, namespaces, api_groups):
    """The objects a server dry run cannot take: those in a namespace that is not in ``namespaces`` (the ones that
    exist: a Namespace object dry-run in the same list creates nothing) and those of an API group the cluster
    does not serve (a CRD an earlier role would install)."""
    served = set(api_groups or [])
    existing = set(namespaces or [])
    out = []
    for obj in objects or []:
        api_version = obj.get('apiVersion', 'v1')
        group = api_version.split('/', 1)[0] if '/' in api_version else None  # None: the core group, always served
        namespace = field(obj, 'metadata', 'namespace')
        if (group is not None and group not in served) or (namespace and namespace not in existing):
            out.append(obj)
    return out


def _yaml(value):
    return yaml.dump(value, Dumper=AnsibleDumper, default_flow_style=False, sort_keys=False)


def module_results(module_result):
    """kubernetes.core.k8s's result per object: the result itself for one object, result.results for several."""
    result = module_result.get('result')
    if isinstance(result, dict) and isinstance(result.get('results'), list):
        return [r for r in result['results'] if isinstance(r, dict)]
    return [module_result]


def object_diff(obj, before, after, check_mode):
    """One object's diff: headers that name it (and say when it is created), Secret values masked, the
    managedFields bookkeeping left out. Serves the plan (nothing before, the rendered object after) and the
    diffs kubernetes.core.k8s returns."""
    sides = {}
    for side, value in (('before', before), ('after', after)):
        shown = masked(value or {}, kind=obj['kind'])
        (shown.get('metadata') or {}).pop('managedFields', None)
        sides[side] = _yaml(shown) if shown else ''
    if sides['before']:
        return dict(sides, before_header=label(obj), after_header=label(obj))
    return dict(sides, before_header='%s (absent)' % label(obj), after_header='%s (%s)' % (label(obj), 'would be created' if check_mode else 'created'))


class ActionModule(InWorkerModules):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('objects', 'live', 'field_manager', 'kubeconfig', 'context'))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self._task.args
        if not isinstance(args.get('objects'), list) or not isinstance(args.get('live', []), list):
            raise AnsibleActionFail('%s: objects and live must be lists' % PLUGIN)
        objects = list(rendered(args['objects']))
        field_manager = args.get('field_manager') or DEFAULT_FIELD_MANAGER
        connection = k8s_client.site_connection(args, task_vars, self._templar)
        changes = pending(objects, args.get('live') or [], field_manager, connection)
        for obj, reason in changes:
            display.vvv('%s: %s would change (%s)' % (PLUGIN, label(obj), reason))
        to_apply = [obj for obj, _reason in changes]
        result.update(changed=False, pending=[label(obj) for obj in to_apply], planned=[], resources=[])
        diffs = []
        if to_apply and self._task.check_mode:
            groups, namespaces = k8s_client.read_terms(PLUGIN, ['api_groups', {'kind': 'Namespace'}], *connection)
            shown = unplannable(to_apply, [field(ns, 'metadata', 'name') for ns in namespaces], groups)
            to_apply = [obj for obj in to_apply if obj not in shown]
            result.update(changed=bool(shown), planned=[label(obj) for obj in shown])
            diffs.extend(object_diff(obj, None, obj, check_mode=True) for obj in shown)
        if to_apply:
            per_object = self._apply(to_apply, field_manager, connection, task_vars, result)
            if result.get('failed'):
                return result
            result['resources'] = [masked(r['result']) for r in per_object if isinstance(r.get('result'), dict) and r['result'].get('kind')]
            diffs.extend(object_diff(obj, r['diff'].get('before'), r['diff'].get('after'), self._task.check_mode)
                         for obj, r in zip(to_apply, per_object) if r.get('diff'))
        if diffs and self._task.diff:
            result['diff'] = diffs
        result['msg'] = self._message(result)
        return result

    def _apply(self, objects, field_manager, connection, task_vars, result):
        """Server-side applies the objects in one kubernetes.core.k8s run (a server dry run in check mode); returns
        its result per object, or fails ``result`` naming them."""
        module_args = dict(state='present', definition=objects, apply=True,
                           server_side_apply=dict(field_manager=field_manager, force_conflicts=True))
        module_args.update((name, value) for name, value in zip(('kubeconfig', 'context'), connection) if value is not None)
        # The module sees Secret values: it logs nothing of its arguments, and its own result stays in here.
        module_result = self._run_module(APPLY_MODULE, module_args, task_vars, no_log=True)
        for key in ('warnings', 'deprecations'):
            if module_result.get(key):
                result[key] = module_result[key]
        if module_result.get('failed'):
            result.update(failed=True, msg='%s: applying %s failed: %s' % (PLUGIN, ', '.join(label(obj) for obj in objects), module_result.get('msg')))
            return []
        result['changed'] = result['changed'] or bool(module_result.get('changed'))
        return module_results(module_result)

    def _message(self, result):
        if not self._task.check_mode:
            return ('Applied %s.' % ', '.join(result['pending'])) if result['pending'] else 'Nothing to change.'
        dry_run = [name for name in result['pending'] if name not in result['planned']]
        parts = (['Would create %s (their namespace or API does not exist yet; an earlier role creates it).' % ', '.join(result['planned'])]
                 if result['planned'] else []) + (['Would apply %s.' % ', '.join(dry_run)] if dry_run else [])
        return ' '.join(parts) or 'Nothing would change.'
