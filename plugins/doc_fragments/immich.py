# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options, shared by every homelab.immich.immich_* module.
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the Immich server, with or without the trailing C(/api), for example C(https://photos.example.com).
      - If not set, the value of the E(IMMICH_URL) environment variable is used.
      - Exactly one of O(api_url) and O(api_service) is required.
    type: str
  api_service:
    description:
      - The Kubernetes Service of an Immich server running in a cluster, reached through the API server's service
        proxy (C(/api/v1/namespaces/NAMESPACE/services/SCHEME:NAME:PORT/proxy)) with the credentials of O(kubeconfig);
        no DNS name, Ingress, TLS certificate or open port is needed, only access to the API server and the
        C(services/proxy) permission in that namespace.
      - The API server removes the C(Authorization) header; Immich's credentials travel in C(x-api-key) and
        C(x-immich-user-token), which it passes on, like every other header.
      - O(validate_certs) and O(ca_path) do not apply; the kubeconfig says how the API server is verified.
    type: dict
    suboptions:
      namespace:
        description: Namespace of the Service.
        type: str
        required: true
      name:
        description: Name of the Service.
        type: str
        required: true
      port:
        description: The Service port of Immich's API.
        type: int
        default: 2283
      scheme:
        description: Protocol of that port.
        type: str
        choices: [http, https]
        default: http
  kubeconfig:
    description:
      - With O(api_service), a path to a kubeconfig, or its content as a mapping.
      - If not set, the value of the E(K8S_AUTH_KUBECONFIG) environment variable is used, then C(~/.kube/config),
        then the pod's service account (as kubernetes.core does).
    type: raw
  context:
    description:
      - With O(api_service), the kubeconfig context; unset, the current one.
      - If not set, the value of the E(K8S_AUTH_CONTEXT) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate.
      - Set to V(false) only for a server with a self-signed certificate you trust; prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the server certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP response.
    type: int
    default: 30
  retries:
    description:
      - How many times to retry a request that failed with a connection error or HTTP 502, 503 or 504,
        waiting 1, 2, 4, ... seconds (at most 30) in between. Other HTTP errors are never retried.
      - A retried C(POST) that reached the server before the connection dropped may have taken effect.
    type: int
    default: 3
requirements:
  - The C(kubernetes) Python library, with O(api_service) only.
notes:
  - All requests go from the host the task runs on (usually the controller) to O(api_url), or to the Kubernetes API
    server with O(api_service).
'''

    # Credentials, for modules acting as an Immich user.
    AUTH = r'''
options:
  api_key:
    description:
      - Immich API key, sent as the C(x-api-key) header. It needs the permissions of the endpoints the module calls
        (V(all) covers them all).
      - If not set, the value of the E(IMMICH_API_KEY) environment variable is used.
      - Used instead of O(email) and O(password) when both are set.
    type: str
  email:
    description:
      - Email of an Immich user to log in as (C(POST /api/auth/login)), used when O(api_key) is not set. The session
        token is sent as C(x-immich-user-token).
      - The session is closed (C(POST /api/auth/logout)) when the module ends.
    type: str
  password:
    description:
      - Password for O(email).
    type: str
'''

    # The attributes every Immich module shares (action_common_attributes describes them); a module states only where
    # it differs (diff_mode of the modules that change nothing).
    ATTRIBUTES = r'''
attributes:
  action_group:
    support: full
    membership:
      - homelab.immich.immich
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
'''
