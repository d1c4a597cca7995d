# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small accessors of Kubernetes objects (plain mappings) that the lookups, filters and tests share."""

from __future__ import annotations


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
