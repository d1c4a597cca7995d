# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the collection's actions run a module (the API modules their own; k8s_apply kubernetes.core.k8s): on a local
connection run by the controller's own Python, in the worker process Ansible forked for the task instead of in a
new interpreter; anywhere else as usual.

A module run costs most of a second here (a new interpreter compiling ansible.module_utils from the AnsiballZ zip);
in the worker, where Ansible is loaded already, a few hundredths. The module is the same: its arguments go through
the same serialization profile and AnsibleModule's own validation, module_utils work as on a target (warnings
go into the result), and the result goes through the same parsing, so check mode, diff, no_log masking and
warnings behave as in a module run. ansible.netcommon runs its network modules this way (its "direct
execution", plugins/action/network.py).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys

from ansible.module_utils import _internal as module_utils_internal, basic
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

# The profile Ansible serializes a module's arguments and result with, unless the module declares another.
PROFILE = 'legacy'


class InWorkerModules(ActionBase):
    """An action that runs modules."""

    _supports_check_mode = True
    _supports_async = True
    # True while a module runs that must not log its arguments whatever the task's no_log says.
    _module_no_log = False

    def _run_module(self, module_name, module_args, task_vars, no_log=False):
        """The result of the module with these arguments: in the worker where that is the same as a module run,
        else as ansible.builtin's normal action runs any module."""
        self._module_no_log = no_log
        try:
            if self._in_worker(task_vars):
                return self._run_in_worker(module_name, module_args, task_vars)
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars, wrap_async=wrap_async)
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        finally:
            self._module_no_log = False

    def _update_module_args(self, module_name, module_args, task_vars, *args, **kwargs):
        super()._update_module_args(module_name, module_args, task_vars, *args, **kwargs)
        if self._module_no_log:
            module_args['_ansible_no_log'] = True

    def _in_worker(self, task_vars):
        """Only where a module run would be this very Python on this machine, as the same user."""
        if self._connection.transport not in ('local', 'ansible.builtin.local') or self._task.async_val or self._play_context.become:
            return False
        interpreter = task_vars.get('ansible_python_interpreter')
        if interpreter is None:
            return False
        interpreter = self._templar.template(interpreter)
        return isinstance(interpreter, str) and os.path.abspath(os.path.expanduser(interpreter)) == os.path.abspath(sys.executable)

    def _run_in_worker(self, module_name, args, task_vars):
        context = self._shared_loader_obj.module_loader.find_plugin_with_context(module_name, collection_list=self._task.collections)
        module = importlib.import_module(context.plugin_resolved_name)
        self._update_module_args(module_name, args, task_vars)
        # What the module reads instead of its stdin: the arguments as a module run receives them.
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}, cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)).encode()
        basic._ANSIBLE_PROFILE = PROFILE
        stdout, stderr = io.StringIO(), io.StringIO()
        # A module process starts with no warnings; the items of a loop run in one worker, one after another.
        module_warnings._global_warnings.clear()  # pylint: disable=protected-access
        module_warnings._global_deprecations.clear()  # pylint: disable=protected-access
        # module_utils as in a module process: its warnings go into the result, its JSON is the target side's.
        was_controller, module_utils_internal.is_controller = module_utils_internal.is_controller, False
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                module.main()
        except SystemExit:
            pass  # exit_json and fail_json end the module this way; the result is on its stdout
        finally:
            module_utils_internal.is_controller = was_controller
            basic._ANSIBLE_ARGS = basic._ANSIBLE_PROFILE = None
        data = self._parse_returned_data({'stdout': stdout.getvalue(), 'stderr': stderr.getvalue(), 'rc': 0}, PROFILE)
        remove_internal_keys(data)
        return data


class InWorkerModuleAction(InWorkerModules):
    """The action of a module of the collection: runs the task's own module."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        return merge_hash(result, self._run_module(self._task.action, dict(self._task.args), task_vars or {}))
