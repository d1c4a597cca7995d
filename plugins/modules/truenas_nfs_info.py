#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: truenas_nfs_info
short_description: Read what an NFS export of a TrueNAS 25.04, 25.10 or 26.0 system depends on
version_added: 0.1.0
author:
  - homelab.immich developers (@homelab)
description:
  - Read-only. Reports the release, where a path lives (pool, dataset, file type), the NFS shares of
    that path, the NFS service and the NFS server configuration.
  - Meant for preflight checks (does the dataset exist, is the path inside a pool) and for waiting
    until the service runs and the share is visible. Never fails because something is missing;
    it reports it (except when O(wait_for_export) runs out of attempts).
  - O(wait_for_export) polls inside the module's one API session, so waiting costs a single login
    however long it takes; a task-level C(until) loop would log in on every attempt and can run into
    TrueNAS's limit of 20 logins per minute.
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
  wait_for_export:
    description:
      - Poll until the C(nfs) service is RUNNING and exactly one enabled share exports O(path);
        fail when that is not so after O(wait_retries) attempts. Needs O(path).
    type: bool
    default: false
  wait_retries:
    description:
      - Attempts of O(wait_for_export), the first included.
    type: int
    default: 30
  wait_delay:
    description:
      - Seconds between two attempts of O(wait_for_export).
    type: float
    default: 2
extends_documentation_fragment:
  - homelab.immich.truenas
  - homelab.immich.truenas.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  diff_mode:
    support: none
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
attempts:
  description: How many times O(wait_for_export) read the service and the shares.
  returned: when O(wait_for_export) is true
  type: int
'''

import time

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
    if module.params['wait_for_export']:
        wait_for_export(module, client, result)


def export_ready(result):
    return (result['nfs_service'].get('state') == 'RUNNING'
            and len([share for share in result['shares'] if share.get('enabled')]) == 1)


def wait_for_export(module, client, result):
    """Re-read the service and the shares of the path in the same session until the export is ready."""
    params = module.params
    attempts = 1
    while not export_ready(result):
        if attempts >= params['wait_retries']:
            enabled = len([share for share in result['shares'] if share.get('enabled')])
            module.fail_json(msg='after %d attempts %g s apart, the nfs service is %s and %d enabled share(s) '
                             'export %s (expected RUNNING and exactly 1)'
                             % (attempts, params['wait_delay'], result['nfs_service'].get('state') or 'missing',
                                enabled, params['path']), attempts=attempts, **result)
        time.sleep(params['wait_delay'])
        attempts += 1
        result['shares'] = client.call('sharing.nfs.query', [['path', '=', params['path']]])
        result['nfs_service'] = client.get_service('nfs') or {}
    result['attempts'] = attempts


def main():
    argument_spec = truenas_argument_spec()
    argument_spec.update(path=dict(type='str'), dataset=dict(type='str'),
                         wait_for_export=dict(type='bool', default=False),
                         wait_retries=dict(type='int', default=30), wait_delay=dict(type='float', default=2.0))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[('wait_for_export', True, ('path',))])
    if module.params['wait_retries'] < 1 or module.params['wait_delay'] < 0:
        module.fail_json(msg='wait_retries must be at least 1 and wait_delay not negative (got %s and %s)'
                         % (module.params['wait_retries'], module.params['wait_delay']))
    run_truenas_module(module, read_nfs_state, dict(changed=False))


if __name__ == '__main__':
    main()
