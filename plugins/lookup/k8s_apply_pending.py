# -*- coding: utf-8 -*-
# Copyright: (c) 2026, homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: k8s_apply_pending
author:
  - homelab.immich developers (@homelab)
short_description: The objects that a server-side apply would change
description:
  - Reads the live copy of each given Kubernetes object and returns the objects that a server-side apply by
    O(field_manager) would change. An object is left out only when the fields that field manager owns in the
    live object are exactly the object's fields and all of them already hold its values.
  - Unsure cases (a list the server extended, a quantity it canonicalised) count as changed, so applying what
    this returns is always as correct as applying everything; a no-op run then sends no write at all.
  - The reads go through the kubernetes.core client, in the controller process.
options:
  _terms:
    description: Kubernetes objects (mappings with apiVersion, kind and metadata.name); lists are flattened and empty items skipped.
    required: true
    type: list
    elements: raw
  field_manager:
    description: The field manager the objects are applied with.
    required: true
    type: str
  live:
    description:
      - Live objects already read (as the API server or the kubernetes.core.k8s lookup returned them, with
        metadata.managedFields). A given object found here by kind, namespace and name is not read again; when
        every given object is found here, the lookup does not connect to the cluster at all.
      - An object read earlier in the same run is as good as a fresh read only if nothing wrote it since.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - homelab.immich.k8s_connection
requirements:
  - kubernetes.core
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Apply only the objects that would change
  vars:
    objects: "{{ lookup('ansible.builtin.template', 'objects.yaml.j2') | ansible.builtin.from_yaml_all | select | list }}"
    pending: "{{ query('homelab.immich.k8s_apply_pending', objects, field_manager='homelab.immich') }}"
  kubernetes.core.k8s:
    definition: "{{ pending }}"
    apply: true
    server_side_apply:
      field_manager: homelab.immich
  when: pending | length > 0
"""

RETURN = r"""
_list:
  description: The given objects that a server-side apply would change, in their given order.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.homelab.immich.plugins.module_utils.k8s_apply_state import apply_change_reason
from ansible_collections.homelab.immich.plugins.plugin_utils import k8s_client
from ansible_collections.homelab.immich.plugins.plugin_utils.k8s_objects import identity

display = Display()


def _objects(terms):
    for term in terms:
        if isinstance(term, list):
            yield from _objects(term)
        elif term:
            if not isinstance(term, dict) or not term.get('kind') or not (term.get('metadata') or {}).get('name'):
                raise AnsibleLookupError('k8s_apply_pending: every object needs kind and metadata.name, got %r' % (term,))
            yield term


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        field_manager = self.get_option('field_manager')
        # Connected only for an object without a live copy: loading the Kubernetes client is most of a lookup's
        # cost, and a role that read all its objects before (every object of a no-op run) does not pay it.
        client = None

        known = dict((identity(obj), obj) for obj in self.get_option('live') or [] if obj)
        pending = []
        for obj in _objects(terms):
            label = '%s/%s' % (obj['kind'], obj['metadata']['name'])
            if identity(obj) in known:
                live = known[identity(obj)]
            else:
                client = client or k8s_client.connect('k8s_apply_pending', *k8s_client.connection_options(self))
                live = k8s_client.read(client, 'k8s_apply_pending', obj.get('apiVersion', 'v1'), obj['kind'],
                                       name=obj['metadata']['name'], namespace=obj['metadata'].get('namespace'))
            reason = apply_change_reason(obj, live, field_manager)
            if reason:
                display.vvv('k8s_apply_pending: %s would change (%s)' % (label, reason))
                pending.append(obj)
        return pending
