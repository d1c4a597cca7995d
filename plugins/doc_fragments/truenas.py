# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options of the truenas_* modules (module_utils/truenas.py truenas_argument_spec)."""

    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address or name of the TrueNAS system. The modules talk to its JSON-RPC 2.0 API at
        C(<scheme>://<host>[:<port>]/api/current), which exists from TrueNAS 25.04 on (25.04, 25.10 and
        26.0 are supported).
      - If not set, the value of the E(TRUENAS_HOST) environment variable is used.
    type: str
    required: true
  api_key:
    description:
      - TrueNAS API key (C(<id>-<secret>)). Sent with C(auth.login_ex) (mechanism C(API_KEY_PLAIN)) when
        O(api_user) is set, else with C(auth.login_with_api_key).
      - Each module run is one session with one login; TrueNAS allows 20 calls before login (logins included)
        per method and client address in 60 seconds and answers C(EBUSY) "Rate Limit Exceeded" beyond that,
        which the modules report as such.
      - TrueNAS revokes a user-linked key presented over plain HTTP/WS, so the modules refuse
        O(scheme=ws) unless O(host) is a loopback address (test servers).
      - If not set, the value of the E(TRUENAS_API_KEY) environment variable is used.
    type: str
    required: true
  api_user:
    description:
      - Name of the TrueNAS user the API key belongs to. With it the modules log in with C(auth.login_ex),
        which says why a login fails (key expired or revoked, account without API access, HA standby
        controller); without it with C(auth.login_with_api_key), which only answers true or false (and is
        scheduled for removal in a later TrueNAS major release).
      - If not set, the value of the E(TRUENAS_API_USER) environment variable is used.
    type: str
  scheme:
    description:
      - V(wss) (TLS) for a real NAS; V(ws) only for loopback test servers.
    type: str
    choices: [wss, ws]
    default: wss
  port:
    description:
      - TCP port of the API. Defaults to the scheme's port (443 for V(wss), 80 for V(ws)).
    type: int
  validate_certs:
    description:
      - Verify the NAS's TLS certificate and host name. Set to V(false) only on a trusted network
        for a NAS with a self-signed certificate; prefer O(ca_path).
      - If not set, the value of the E(TRUENAS_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the NAS's certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for the connection to open and for each API answer.
    type: float
    default: 30
requirements:
  - websockets >= 14 (Python library, on the host that runs the module; usually the controller)
notes:
  - The API key is a module option with C(no_log), so Ansible masks it in results and logs.
'''

    # The attributes every TrueNAS module shares (action_common_attributes describes them); a module states only where
    # it differs (diff_mode of the modules that change nothing).
    ATTRIBUTES = r'''
attributes:
  action_group:
    support: full
    membership:
      - homelab.immich.truenas
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
'''
