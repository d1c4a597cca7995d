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
        metadata.managedFields). A given object found here by kind, namespace and name is not read again.
      - An object read earlier in the same run is as good as a fresh read only if nothing wrote it since.
    type: list
    elements: dict
    default: []
  kubeconfig:
    description:
      - Path to a kubeconfig, or its content as a mapping. Unset, kubernetes.core's defaults apply
        (E(K8S_AUTH_KUBECONFIG), then C(~/.kube/config)).
    type: raw
  context:
    description: The kubeconfig context. Unset, the current context.
    type: str
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
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.homelab.immich.plugins.module_utils.k8s_apply_state import apply_change_reason

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError
except ImportError as import_error:  # pragma: no cover - reported when the lookup runs
    get_api_client = None
    IMPORT_ERROR = import_error
else:
    IMPORT_ERROR = None

display = Display()


def _identity(obj):
    metadata = obj.get('metadata') or {}
    return obj.get('kind'), metadata.get('namespace') or '', metadata.get('name')


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
        if get_api_client is None:
            raise AnsibleLookupError('k8s_apply_pending needs kubernetes.core and the kubernetes Python client: %s'
                                     % to_native(IMPORT_ERROR))
        field_manager = self.get_option('field_manager')
        auth = dict((name, self.get_option(name)) for name in ('kubeconfig', 'context') if self.get_option(name) is not None)
        try:
            client = get_api_client(**auth)
        except Exception as error:
            raise AnsibleLookupError('k8s_apply_pending: cannot reach the cluster: %s' % to_native(error))

        known = dict((_identity(obj), obj) for obj in self.get_option('live') or [] if obj)
        pending = []
        for obj in _objects(terms):
            label = '%s/%s' % (obj['kind'], obj['metadata']['name'])
            if _identity(obj) in known:
                live = known[_identity(obj)]
            else:
                live = self._read(client, obj, label)
            reason = apply_change_reason(obj, live, field_manager)
            if reason:
                display.vvv('k8s_apply_pending: %s would change (%s)' % (label, reason))
                pending.append(obj)
        return pending

    @staticmethod
    def _read(client, obj, label):
        """The live object, or None when it (or its API) does not exist."""
        try:
            resource = client.resource(obj['kind'], obj.get('apiVersion', 'v1'))
            return client.get(resource, name=obj['metadata']['name'], namespace=obj['metadata'].get('namespace')).to_dict()
        except NotFoundError:
            return None
        except ResourceNotFoundError:
            # The API is not served (yet): the apply reports that with the module's own message.
            return None
        except Exception as error:
            raise AnsibleLookupError('k8s_apply_pending: reading %s failed: %s' % (label, to_native(error)))
