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
    type: str
    required: true
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
notes:
  - All requests go from the host the task runs on (usually the controller) to O(api_url).
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
      - Email of an Immich user to log in as (C(POST /api/auth/login)), used when O(api_key) is not set.
      - The session is closed (C(POST /api/auth/logout)) when the module ends.
    type: str
  password:
    description:
      - Password for O(email).
    type: str
'''
