# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: one JSON line per task start, task result and final recap.

Enabled by tests/lib/testbed.py (ANSIBLE_CALLBACK_PLUGINS + ANSIBLE_CALLBACKS_ENABLED) and
written to the file named by HOMELAB_RECORD_FILE, flushed line by line so a test can follow a run
while it goes (e.g. kill kube-apiserver when a given task starts). It records names, timings and
statuses only, never task arguments or results, so it cannot leak a secret.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: homelab_recorder
type: aggregate
short_description: Record task starts, results and the recap as JSON lines (tests only)
description:
  - Writes to the file named by the E(HOMELAB_RECORD_FILE) environment variable; does nothing without it.
requirements:
  - enable in configuration
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'homelab_recorder'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        path = os.environ.get('HOMELAB_RECORD_FILE')
        self._out = open(path, 'a', encoding='utf-8') if path else None  # pylint: disable=consider-using-with

    def _write(self, **event):
        if self._out is None:
            return
        event['t'] = time.time()
        self._out.write(json.dumps(event, sort_keys=True) + '\n')
        self._out.flush()

    @staticmethod
    def _name(task):
        return task.name or task.action

    @staticmethod
    def _role(task):
        role = getattr(task, '_role', None)
        return role.get_name(include_role_fqcn=False) if role else None

    def v2_playbook_on_play_start(self, play):
        self._write(event='play', name=play.get_name())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write(event='task', name=self._name(task), role=self._role(task), action=task.action)

    def v2_playbook_on_handler_task_start(self, task):
        self._write(event='task', name=self._name(task), role=self._role(task), action=task.action, handler=True)

    def _result(self, status, result):
        task = result._task
        self._write(event='result', status=status, host=result._host.get_name(), name=self._name(task),
                    role=self._role(task), action=task.action, changed=bool(result._result.get('changed', False)))

    def v2_runner_on_ok(self, result):
        self._result('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result('ignored' if ignore_errors else 'failed', result)

    def v2_runner_on_skipped(self, result):
        self._result('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._result('unreachable', result)

    def _item(self, status, result):
        task = result._task
        self._write(event='item', status=status, host=result._host.get_name(), name=self._name(task),
                    role=self._role(task), action=task.action)

    def v2_runner_item_on_ok(self, result):
        self._item('ok', result)

    def v2_runner_item_on_failed(self, result):
        self._item('failed', result)

    def v2_runner_item_on_skipped(self, result):
        self._item('skipped', result)

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for host in sorted(stats.processed.keys()):
            hosts[host] = stats.summarize(host)
        self._write(event='stats', hosts=hosts)
        if self._out is not None:
            self._out.close()
            self._out = None
