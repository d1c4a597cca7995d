# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The cluster connection of the collection's Kubernetes actions (k8s_read, k8s_apply): the same two site
    # variables that site.yml hands kubernetes.core's modules through module_defaults, which do not reach the
    # actions' own calls.
    DOCUMENTATION = r'''
options:
  kubeconfig:
    description:
      - Path to a kubeconfig, or its content as a mapping.
      - Unset, the site variable C(homelab_immich_kubeconfig); unset too, kubernetes.core's defaults
        (E(K8S_AUTH_KUBECONFIG), then C(~/.kube/config)).
    type: raw
  context:
    description: The kubeconfig context. Unset, the site variable C(homelab_immich_kube_context), else the current context.
    type: str
'''
