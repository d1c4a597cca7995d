# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of homelab.immich.k8s_plan: reports objects as they would be created, as a diff, secrets masked."""

from __future__ import annotations

import copy

import yaml

from ansible.parsing.yaml.dumper import AnsibleDumper
from ansible.plugins.action import ActionBase

MASK = '(hidden: secret value)'


def masked(obj):
    """A copy of the object with the values of a Secret's data and stringData replaced."""
    obj = copy.deepcopy(obj)
    if obj.get('kind') == 'Secret':
        for key in ('data', 'stringData'):
            if isinstance(obj.get(key), dict):
                obj[key] = dict((name, MASK) for name in obj[key])
    return obj


def label(obj):
    metadata = obj.get('metadata') or {}
    where = '%s/' % metadata['namespace'] if metadata.get('namespace') else ''
    return '%s %s%s' % (obj.get('kind'), where, metadata.get('name'))


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(('objects', 'reason'))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        objects = [obj for obj in self._task.args.get('objects') or [] if obj]
        reason = self._task.args.get('reason') or 'the server cannot dry-run them yet'
        result['changed'] = bool(objects)
        result['objects'] = [label(obj) for obj in objects]
        result['msg'] = ('Would create %s (%s).' % (', '.join(result['objects']), reason)) if objects else 'Nothing to create.'
        result['diff'] = [{'before': '', 'before_header': '%s (absent)' % label(obj), 'after_header': '%s (would be created)' % label(obj),
                           'after': yaml.dump(masked(obj), Dumper=AnsibleDumper, default_flow_style=False, sort_keys=False)} for obj in objects]
        return result
