# -*- coding: utf-8 -*-
# Copyright: (c) 2026, homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: k8s_read
author:
  - homelab.immich developers (@homelab)
short_description: Read several Kubernetes objects in one lookup, with the collection's cluster connection
description:
  - Reads each described object (or list of objects) through the kubernetes.core client, in the controller process,
    and returns one result per term, in order. A read costs a few milliseconds, where a C(k8s_info) task costs most
    of a second.
  - The connection comes from the site variables C(homelab_immich_kubeconfig) and C(homelab_immich_kube_context) (or
    E(K8S_AUTH_KUBECONFIG), E(K8S_AUTH_CONTEXT)), so roles pass nothing but what to read.
options:
  _terms:
    description:
      - What to read, each a mapping with C(api_version), C(kind) and optionally C(name), C(namespace) and
        C(label_selector); with a C(name), the result is the object or C({}) when it (or its API) does not exist;
        without one, the list of objects (C([]) likewise).
      - The string C(api_groups) instead returns the names of the API groups the cluster serves.
    required: true
    type: list
    elements: raw
extends_documentation_fragment:
  - homelab.immich.k8s_connection
requirements:
  - kubernetes.core
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Read the Valkey Deployment, the Secrets of the namespace and the served API groups
  ansible.builtin.set_fact:
    valkey__live: >-
      {{ dict(['deployment', 'secrets', 'groups'] | zip(query('homelab.immich.k8s_read',
         {'api_version': 'apps/v1', 'kind': 'Deployment', 'name': 'immich-valkey', 'namespace': 'immich'},
         {'api_version': 'v1', 'kind': 'Secret', 'namespace': 'immich'}, 'api_groups'))) }}
"""

RETURN = r"""
_list:
  description: One result per term; an object ({} when absent), a list of objects, or the list of API group names.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.homelab.immich.plugins.plugin_utils import k8s_client

NAME = 'k8s_read'
KEYS = ('api_version', 'kind', 'name', 'namespace', 'label_selector')


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        reads = []
        for term in terms:
            if term == 'api_groups':
                reads.append(term)
            elif isinstance(term, dict) and term.get('kind') and set(term) <= set(KEYS):
                reads.append(term)
            else:
                raise AnsibleLookupError('%s: each term is api_groups or a mapping of %s with kind, got %r' % (NAME, ', '.join(KEYS), term))
        client = k8s_client.connect(NAME, *k8s_client.connection_options(self))
        results = []
        for term in reads:
            if term == 'api_groups':
                results.append(k8s_client.api_groups(client))
                continue
            found = k8s_client.read(client, NAME, term.get('api_version', 'v1'), term['kind'], name=term.get('name') or None,
                                    namespace=term.get('namespace') or None, label_selector=term.get('label_selector'))
            results.append({} if found is None else found)
        return results
