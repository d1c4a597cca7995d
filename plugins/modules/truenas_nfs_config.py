#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: truenas_nfs_config
short_description: Set the NFS server configuration of a TrueNAS 25.04+ system
version_added: 0.1.0
author:
  - homelab.immich developers (@homelab)
description:
  - Reads C(nfs.config) and sends C(nfs.update) with only the options given that differ.
    Options left unset are neither compared nor changed.
  - TrueNAS restarts a running NFS server when its configuration changes, so clients may see
    a short interruption when something changes (never on a re-run with the same input).
options:
  protocols:
    description:
      - NFS protocol versions to serve; at least one. Compared as a set.
    type: list
    elements: str
    choices: [NFSV3, NFSV4]
  v4_domain:
    description:
      - NFSv4 ID-mapping domain (C(Domain) in idmapd.conf). Only valid with V(NFSV4) served.
    type: str
  allow_nonroot:
    description:
      - Serve mount requests from non-reserved client ports (the C(insecure) export option).
    type: bool
extends_documentation_fragment:
  - homelab.immich.truenas
  - homelab.immich.truenas.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
seealso:
  - module: homelab.immich.truenas_nfs_share
'''

EXAMPLES = r'''
- name: Serve NFSv4 only
  homelab.immich.truenas_nfs_config:
    host: 192.168.10.133
    api_key: "{{ vault_truenas_api_key }}"
    protocols: [NFSV4]
'''

RETURN = r'''
config:
  description: The NFS configuration as C(nfs.config) reports it after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {protocols: [NFSV4], v4_domain: "", allow_nonroot: false}
truenas_version:
  description: Release the NAS runs, as C(system.version) reports it.
  returned: when connected
  type: str
  sample: TrueNAS-25.10.1
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.truenas import run_truenas_module, truenas_argument_spec

PROTOCOL_ORDER = ('NFSV3', 'NFSV4')


def ensure_config(module, client, result, desired):
    """Compare the NFS configuration with ``desired`` and update what differs."""
    current = client.call('nfs.config')
    comparable = dict(current)
    # Early 25.04 API models spelled protocols NFSv3/NFSv4; compare case-insensitively.
    comparable['protocols'] = [p for p in PROTOCOL_ORDER if p in [str(x).upper() for x in current.get('protocols', [])]]
    changes = dict((key, value) for key, value in desired.items() if comparable.get(key) != value)
    before = dict((key, comparable.get(key)) for key in desired)
    after = dict(before, **changes)
    result['config'] = dict(current, **changes)
    if changes and not module.check_mode:
        result['config'] = client.call('nfs.update', changes)
    result['changed'] = bool(changes)
    if module._diff:
        result['diff'] = dict(before=before, after=after)


def main():
    argument_spec = truenas_argument_spec()
    argument_spec.update(
        protocols=dict(type='list', elements='str', choices=list(PROTOCOL_ORDER)),
        v4_domain=dict(type='str'),
        allow_nonroot=dict(type='bool'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = dict(changed=False, config={})

    desired = dict((key, params[key]) for key in ('v4_domain', 'allow_nonroot') if params[key] is not None)
    if params['protocols'] is not None:
        if not params['protocols']:
            module.fail_json(msg='protocols needs at least one of NFSV3, NFSV4', **result)
        desired['protocols'] = [p for p in PROTOCOL_ORDER if p in params['protocols']]
    wanted_protocols = desired.get('protocols')
    if desired.get('v4_domain') and wanted_protocols is not None and 'NFSV4' not in wanted_protocols:
        module.fail_json(msg='v4_domain only applies when NFSV4 is in protocols', **result)

    run_truenas_module(module, ensure_config, result, desired)


if __name__ == '__main__':
    main()
