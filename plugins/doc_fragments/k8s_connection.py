# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The cluster connection of the collection's Kubernetes lookups: the same two site variables that site.yml
    # hands kubernetes.core's modules through module_defaults (which do not reach lookups).
    DOCUMENTATION = r'''
options:
  kubeconfig:
    description:
      - Path to a kubeconfig, or its content as a mapping.
      - Unset, kubernetes.core's defaults apply (E(K8S_AUTH_KUBECONFIG) is read here too, then C(~/.kube/config)).
    type: raw
    vars:
      - name: homelab_immich_kubeconfig
    env:
      - name: K8S_AUTH_KUBECONFIG
  context:
    description: The kubeconfig context. Unset, the current context.
    type: str
    vars:
      - name: homelab_immich_kube_context
    env:
      - name: K8S_AUTH_CONTEXT
'''
