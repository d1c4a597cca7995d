# -*- coding: utf-8 -*-
# Copyright: (c) 2026, homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a server-side apply of an object would change the live object.

A server-side apply by field manager M changes nothing when the fields M owns in the live object
(its ``Apply`` managedFields entry) are exactly the fields of the applied object and every one of
them already holds the applied value. This module answers that from the live object alone, so a
no-op run sends no PATCH at all.

The answer errs on the side of applying: a list the server extended or reordered, a quantity the
server canonicalised (``0.5`` -> ``500m``), a field another manager also set to another value, all
read as "would change". Only an exact match reads as unchanged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# Top-level and metadata fields that identify an object: never listed in managedFields.
_IDENTITY = ('apiVersion', 'kind')
_METADATA_IDENTITY = ('name', 'namespace')


def owned_fields(live, field_manager):
    """The fieldsV1 tree of field_manager's Apply entry on the live object (None without one)."""
    entries = [
        entry for entry in (live.get('metadata') or {}).get('managedFields') or []
        if entry.get('manager') == field_manager and entry.get('operation') == 'Apply'
        and not entry.get('subresource')
    ]
    if len(entries) != 1:
        return None
    return entries[0].get('fieldsV1') or {}


def _is_leaf(node):
    """A fieldsV1 node without children: the field is owned as a whole (scalar or atomic)."""
    return not any(key[:2] in ('f:', 'k:', 'v:', 'i:') for key in node)


def _diff_map(applied, live, node, path):
    if not isinstance(live, dict):
        return '%s is not a map in the live object' % path
    wanted = set(applied)
    owned = set(key[2:] for key in node if key.startswith('f:'))
    if wanted != owned:
        return '%s: applied fields %s, owned fields %s' % (path, sorted(wanted), sorted(owned))
    for key in sorted(wanted):
        reason = _diff_value(applied[key], live.get(key), node['f:' + key], '%s.%s' % (path, key))
        if reason:
            return reason
    return None


def _diff_list(applied, live, node, path):
    if not isinstance(live, list) or len(live) != len(applied):
        return '%s: the live list differs in length' % path
    keyed = dict((key[2:], child) for key, child in node.items() if key.startswith('k:'))
    values = set(key[2:] for key in node if key.startswith('v:'))
    if values and not keyed:
        # A set list: the owned values are the applied ones, in the live order.
        if set(json.dumps(item, sort_keys=True, separators=(',', ':')) for item in applied) != values:
            return '%s: owned values differ' % path
        return None if applied == live else '%s: values differ' % path
    if not keyed or len(keyed) != len(applied):
        return '%s: owned items differ in number' % path
    for index, (applied_item, live_item) in enumerate(zip(applied, live)):
        child = _find_keyed(keyed, live_item)
        if child is None:
            return '%s[%d] is not owned' % (path, index)
        child = dict((key, value) for key, value in child.items() if key != '.')
        reason = _diff_value(applied_item, live_item, child, '%s[%d]' % (path, index))
        if reason:
            return reason
    return None


def _find_keyed(keyed, live_item):
    """The fieldsV1 node whose key fields (k:{...}) all match the live item."""
    if not isinstance(live_item, dict):
        return None
    for key, child in keyed.items():
        try:
            fields = json.loads(key)
        except ValueError:
            return None
        if all(live_item.get(name) == value for name, value in fields.items()):
            return child
    return None


def _diff_value(applied, live, node, path):
    if _is_leaf(node):
        return None if applied == live else '%s differs' % path
    if isinstance(applied, dict):
        return _diff_map(applied, live, node, path)
    if isinstance(applied, list):
        return _diff_list(applied, live, node, path)
    return '%s: a scalar owned as a tree' % path


def apply_change_reason(applied, live, field_manager):
    """Why a server-side apply of ``applied`` by field_manager would change ``live``; None when it would not.

    ``live`` is the object as the API server returns it (with metadata.managedFields), or a false value
    when the object does not exist.
    """
    if not live:
        return 'does not exist'
    node = owned_fields(live, field_manager)
    if node is None:
        return 'has no single apply entry of field manager %s' % field_manager
    applied = dict((key, value) for key, value in applied.items() if key not in _IDENTITY)
    metadata = dict((key, value) for key, value in (applied.get('metadata') or {}).items()
                    if key not in _METADATA_IDENTITY)
    if metadata:
        applied['metadata'] = metadata
    else:
        applied.pop('metadata', None)
    return _diff_map(applied, live, node, '')
