# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over Kubernetes objects: which rendered ones the server cannot dry-run, the newest copy of each, and
the references of live ones (what a delete needs)."""

from __future__ import annotations

from ansible_collections.homelab.immich.plugins.plugin_utils.k8s_objects import field, identity


def k8s_unplannable(objects, namespaces, api_groups):
    """The objects a server dry run cannot take: those in a namespace that is not in ``namespaces`` (the ones that
    exist: a Namespace object dry-run in the same list creates nothing) and those of an API group the cluster
    does not serve (a CRD an earlier role would install)."""
    served = set(api_groups or [])
    existing = set(namespaces or [])
    out = []
    for obj in objects or []:
        api_version = obj.get('apiVersion', 'v1')
        group = api_version.split('/', 1)[0] if '/' in api_version else None  # None: the core group, always served
        namespace = field(obj, 'metadata', 'namespace')
        if (group is not None and group not in served) or (namespace and namespace not in existing):
            out.append(obj)
    return out


def k8s_newest(applied, live):
    """The objects an apply returned (a kubernetes.core.k8s result: one object, or several under results) over the
    same objects as read before it: the newest copy of each, the applied ones first."""
    returned = []
    if isinstance(applied, dict) and not applied.get('skipped'):
        result = applied.get('result')
        if isinstance(result, dict) and isinstance(result.get('results'), list):
            returned = [r.get('result') for r in result['results'] if isinstance(r, dict)]
        elif isinstance(result, dict):
            returned = [result]
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
        return {'k8s_unplannable': k8s_unplannable, 'k8s_newest': k8s_newest, 'k8s_references': k8s_references}
