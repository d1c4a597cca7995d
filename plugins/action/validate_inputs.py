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
    _VALID_ARGS = frozenset(('entry_point', 'argument_spec', 'checks'))

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        # The checks are left to run(), which evaluates them only once every type is right: a rule never meets
        # a value of the wrong type (e.g. a length test on a number). Should this hook go, they are evaluated
        # before run() instead, with the same results for inputs of the right types.
        if name == 'checks':
            return value
        return super(ActionModule, cls).finalize_task_arg(name, value, templar, context)

    def _check_errors(self, checks):
        """The message of each check (a mapping with ok and msg) whose ok is false."""
        checks = self._templar.template(checks)
        if not isinstance(checks, list) or not all(isinstance(c, dict) and 'ok' in c and 'msg' in c for c in checks):
            raise AnsibleError('homelab.immich.validate_inputs: checks must be a list of mappings with ok and msg')
        errors = []
        for check in checks:
            if not isinstance(check['ok'], bool):
                raise AnsibleError('homelab.immich.validate_inputs: the check of %r is %r, not true or false'
                                   % (check.get('var', check['msg']), check['ok']))
            if not check['ok']:
                errors.append(to_text(check['msg']).strip())
        return errors

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
        stage = 'types'
        if not errors and args.get('checks'):
            stage = 'checks'
            errors = self._check_errors(args['checks'])

        result['changed'] = False
        if errors:
            result['failed'] = True
            result['stage'] = stage
            result['errors'] = errors
            result['msg'] = 'Invalid input for %s (nothing was changed): %s' % (owner, ' '.join(errors))
        else:
            result['checked'] = sorted(values)
            result['msg'] = 'All %d inputs of %s have the declared types and values and pass its checks.' % (len(values), owner)
        return result
