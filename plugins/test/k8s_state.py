# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests over live Kubernetes objects."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.immich.plugins.plugin_utils.k8s_objects import field


def k8s_rolled_out(obj):
    """True when a Deployment or DaemonSet is rolled out and available, as kubernetes.core's waiter decides
    (waiter.deployment_ready / daemonset_ready); an empty object (not read, not there) is not."""
    if not isinstance(obj, dict) or not obj:
        return False
    status = obj.get('status') or {}
    if not status or field(obj, 'metadata', 'generation') != status.get('observedGeneration') or status.get('unavailableReplicas'):
        return False
    kind = obj.get('kind')
    if kind == 'Deployment':
        spec_replicas = field(obj, 'spec', 'replicas')
        return (1 if spec_replicas is None else spec_replicas) == (status.get('replicas') or 0) \
            and status.get('availableReplicas') == status.get('replicas')
    if kind == 'DaemonSet':
        desired = status.get('desiredNumberScheduled')
        return desired is not None and (status.get('updatedNumberScheduled') or 0) == desired and status.get('numberReady') == desired
    raise AnsibleFilterError('k8s_rolled_out: a %s has no rollout (Deployment or DaemonSet)' % kind)


class TestModule(object):

    def tests(self):
        return {'k8s_rolled_out': k8s_rolled_out}
