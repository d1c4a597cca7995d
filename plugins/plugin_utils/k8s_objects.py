# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small accessors of Kubernetes objects (plain mappings) that the actions, filters and tests share."""

from __future__ import annotations

import copy

# What a shown Secret value reads instead.
MASK = '(hidden: secret value)'


def field(obj, *path):
    """The value at ``path`` (None where a step is missing or not a mapping)."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def identity(obj):
    """(kind, namespace or '', name): what names one object in a cluster."""
    metadata = obj.get('metadata') or {}
    return obj.get('kind'), metadata.get('namespace') or '', metadata.get('name')


def label(obj):
    """Kind namespace/name, as the messages and diff headers name an object."""
    metadata = obj.get('metadata') or {}
    where = '%s/' % metadata['namespace'] if metadata.get('namespace') else ''
    return '%s %s%s' % (obj.get('kind'), where, metadata.get('name'))


def masked(obj, kind=None):
    """A copy of the object with the values of a Secret's data and stringData replaced; ``kind`` for a part of an
    object that does not say its kind (a diff's side)."""
    obj = copy.deepcopy(obj)
    if (kind or obj.get('kind')) == 'Secret':
        for key in ('data', 'stringData'):
            if isinstance(obj.get(key), dict):
                obj[key] = dict((name, MASK) for name in obj[key])
    return obj
