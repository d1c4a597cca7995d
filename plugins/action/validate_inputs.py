# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of homelab.immich.validate_inputs: runs on the controller, reads the calling role's argument spec."""

from __future__ import annotations

import os

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.homelab.immich.plugins.plugin_utils.role_inputs import input_errors


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(('entry_point', 'argument_spec'))

    def _role_spec(self, entry_point):
        role = self._task._role  # pylint: disable=protected-access
        if role is None:
            raise AnsibleError('homelab.immich.validate_inputs runs inside a role, or takes argument_spec')
        path = os.path.join(role._role_path, 'meta', 'argument_specs.yml')  # pylint: disable=protected-access
        with open(path, encoding='utf-8') as stream:
            specs = (yaml.safe_load(stream) or {}).get('argument_specs') or {}
        if entry_point not in specs:
            raise AnsibleError('%s has no entry point %r' % (path, entry_point))
        return role.get_name(), specs[entry_point].get('options') or {}

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self._task.args
        entry_point = args.get('entry_point', 'main')
        if args.get('argument_spec') is not None:
            owner, spec = 'argument_spec', args['argument_spec']
        else:
            owner, spec = self._role_spec(entry_point)

        values, errors = {}, []
        for name in spec:
            if name not in task_vars:
                continue
            try:
                values[name] = self._templar.template(task_vars[name])
            except AnsibleError as error:
                # A value that cannot even be evaluated (an undefined variable inside it) is reported by name.
                errors.append('%s could not be evaluated: %s' % (name, to_text(getattr(error, 'message', error))))
        if not errors:
            errors = input_errors(spec, values)

        result['changed'] = False
        if errors:
            result['failed'] = True
            result['errors'] = errors
            result['msg'] = 'Invalid input for %s (nothing was changed): %s' % (owner, ' '.join(errors))
        else:
            result['checked'] = sorted(values)
            result['msg'] = 'All %d inputs of %s have the declared types and values.' % (len(values), owner)
        return result
