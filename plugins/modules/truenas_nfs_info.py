#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: truenas_nfs_info
short_description: Read what an NFS export of a TrueNAS 25.04+ system depends on
version_added: 0.1.0
author:
  - homelab.immich developers (@homelab)
description:
  - Read-only. Reports the release, where a path lives (pool, dataset, file type), the NFS shares of
    that path, the NFS service and the NFS server configuration.
  - Meant for preflight checks (does the dataset exist, is the path inside a pool) and for waiting
    until the service runs and the share is visible. Never fails because something is missing;
    it reports it.
options:
  path:
    description:
      - Path to look up. Without it, RV(path) is not returned and RV(shares) lists every NFS share.
    type: str
  dataset:
    description:
      - Dataset expected to hold O(path), e.g. V(BigTank/photos). Without it the dataset is derived
        from O(path) (the deepest dataset whose mountpoint contains it).
    type: str
extends_documentation_fragment:
  - homelab.immich.truenas
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: homelab.immich.truenas_nfs_share
'''

EXAMPLES = r'''
- name: Where does the photos path live?
  homelab.immich.truenas_nfs_info:
    host: 192.168.10.133
    api_key: "{{ vault_truenas_api_key }}"
    path: /mnt/BigTank/photos/All
  register: nas

- name: The dataset must exist
  ansible.builtin.assert:
    that: nas.path.dataset is not none
'''

RETURN = r'''
truenas_version:
  description: Release string from C(system.version).
  returned: always
  type: str
  sample: TrueNAS-25.10.1
release:
  description: Release number parsed from RV(truenas_version).
  returned: always
  type: str
  sample: "25.10.1"
service_control:
  description: Whether this release starts services with the C(service.control) job (25.10+).
  returned: always
  type: bool
path:
  description: Where O(path) lives.
  returned: when O(path) is given
  type: dict
  contains:
    path: {description: The path looked up., type: str, returned: always}
    exists: {description: Whether the path exists., type: bool, returned: always}
    type: {description: "DIRECTORY, FILE, SYMLINK or OTHER; null when missing.", type: str, returned: always}
    realpath: {description: The path with a final symbolic link resolved., type: str, returned: always}
    pool: {description: Name of the pool holding the path; null when none., type: str, returned: always}
    in_pool: {description: Whether the (resolved) path lies inside an existing pool., type: bool, returned: always}
    dataset:
      description: The dataset holding the path (id, name, pool, mountpoint, locked, encrypted); null when none.
      type: dict
      returned: always
shares:
  description: NFS shares of O(path) (all shares without O(path)).
  returned: always
  type: list
  elements: dict
nfs_service:
  description: The C(nfs) entry of C(service.query) (enable, state, ...).
  returned: always
  type: dict
nfs_config:
  description: The NFS server configuration from C(nfs.config).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.truenas import (
    TrueNASError, format_version, run_truenas_module, truenas_argument_spec,
)

DATASET_FIELDS = ('id', 'name', 'pool', 'type', 'mountpoint', 'locked', 'encrypted')


def read_nfs_state(module, client, result):
    """What the NAS has for the path (or every share): the path, its dataset, the shares, the NFS service and config."""
    path, dataset_name = module.params['path'], module.params['dataset']
    result.update(release=format_version(client.version), service_control=client.has_service_control)
    if path:
        info = dict(path=path, exists=False, type=None, realpath=path, pool=None, in_pool=False, dataset=None)
        try:
            stat = client.call('filesystem.stat', path)
            info.update(exists=True, type=stat['type'], realpath=stat['realpath'])
        except TrueNASError as exc:
            if exc.errname not in ('ENOENT', 'EINVAL', 'EXDEV'):
                raise
        parts = info['realpath'].split('/')
        if info['realpath'].startswith('/mnt/') and len(parts) > 2:
            if client.call('pool.query', [['name', '=', parts[2]]], {'select': ['name']}):
                info.update(pool=parts[2], in_pool=True)
        # Candidate datasets: the given one, else every prefix of the path below /mnt.
        relative = path[len('/mnt/'):].split('/') if path.startswith('/mnt/') else []
        candidates = [dataset_name] if dataset_name else ['/'.join(relative[:n]) for n in range(1, len(relative) + 1)]
        found = client.call('pool.dataset.query', [['id', 'in', candidates]]) if candidates else []
        holding = [d for d in found if path == d.get('mountpoint') or path.startswith((d.get('mountpoint') or '') + '/')]
        if holding:
            deepest = max(holding, key=lambda d: len(d['mountpoint']))
            info['dataset'] = dict((key, deepest.get(key)) for key in DATASET_FIELDS)
        result['path'] = info
        result['shares'] = client.call('sharing.nfs.query', [['path', '=', path]])
    else:
        result['shares'] = client.call('sharing.nfs.query')
    result['nfs_service'] = client.get_service('nfs') or {}
    result['nfs_config'] = client.call('nfs.config')


def main():
    argument_spec = truenas_argument_spec()
    argument_spec.update(path=dict(type='str'), dataset=dict(type='str'))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_truenas_module(module, read_nfs_state, dict(changed=False))


if __name__ == '__main__':
    main()
