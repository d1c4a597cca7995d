# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of homelab.immich.k8s_read: a role's whole read of live Kubernetes objects, in the controller process."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.homelab.immich.plugins.plugin_utils import k8s_client

try:
    # Imported with this class, which Ansible's strategy loads in its own process before it forks the worker of
    # the task: the worker of every later task inherits the loaded client instead of importing it anew (0.3 s
    # each). Without the client, run() says what is missing.
    import kubernetes.dynamic  # noqa: F401  pylint: disable=unused-import
except ImportError:
    pass


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(('objects', 'kubeconfig', 'context'))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        objects = self._task.args.get('objects')
        if not isinstance(objects, list):
            result.update(failed=True, msg='homelab.immich.k8s_read: objects must be a list, got %r' % (objects,))
            return result
        connection = k8s_client.site_connection(self._task.args, task_vars, self._templar)
        result['found'] = k8s_client.read_terms('homelab.immich.k8s_read', objects, *connection)
        result['changed'] = False
        return result
