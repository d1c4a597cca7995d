# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over Kubernetes objects: the newest copy of each, and the references of live ones (what a delete needs)."""

from __future__ import annotations

from ansible_collections.homelab.immich.plugins.plugin_utils.k8s_objects import field, identity


def k8s_newest(applied, live):
    """The objects a homelab.immich.k8s_apply returned (its resources; none when it was skipped) over the same
    objects as read before it: the newest copy of each, the applied ones first."""
    returned = applied.get('resources') or [] if isinstance(applied, dict) else []
    out, seen = [], set()
    for obj in [o for o in returned if isinstance(o, dict) and o.get('kind')] + [o for o in live or [] if isinstance(o, dict) and o.get('kind')]:
        if identity(obj) not in seen:
            seen.add(identity(obj))
            out.append(obj)
    return out


def k8s_references(found):
    """apiVersion, kind, name and namespace of each object in ``found`` (k8s_read results: objects, lists of objects,
    {} for an absent one), the absent ones and repeats left out: what a kubernetes.core.k8s delete needs, without the
    objects' contents (a Secret's data stays out of the task's arguments)."""
    out, seen = [], set()
    for item in found or []:
        for obj in item if isinstance(item, list) else [item]:
            if isinstance(obj, dict) and obj.get('kind') and identity(obj) not in seen:
                seen.add(identity(obj))
                metadata = {'name': field(obj, 'metadata', 'name')}
                if field(obj, 'metadata', 'namespace'):
                    metadata['namespace'] = field(obj, 'metadata', 'namespace')
                out.append({'apiVersion': obj.get('apiVersion', 'v1'), 'kind': obj['kind'], 'metadata': metadata})
    return out


class FilterModule(object):

    def filters(self):
        return {'k8s_newest': k8s_newest, 'k8s_references': k8s_references}
