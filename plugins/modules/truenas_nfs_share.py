#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: truenas_nfs_share
short_description: Manage one NFS share (export) of a TrueNAS 25.04, 25.10 or 26.0 system
version_added: 0.1.0
author:
  - homelab.immich developers (@homelab)
description:
  - Creates, updates or removes the NFS share of O(path) through the TrueNAS JSON-RPC API
    (C(sharing.nfs.query), C(.create), C(.update), C(.delete)).
  - The share is identified by its O(path); the module refuses to act when several shares export
    the same path, because it cannot tell which one is meant.
  - Options left unset are not managed (kept as they are, or TrueNAS's default on creation), except
    O(ro) and O(enabled), which default to V(true).
  - Networks are normalised like TrueNAS does (V(10.0.0.5/24) becomes V(10.0.0.0/24)), and networks
    and hosts are compared as sets, so a re-run with the same input changes nothing.
  - Whatever the NAS already holds is read without judging it, so the module converges from any share a
    real NAS can hold (for example V(0.0.0.0/0), which TrueNAS 25.04 accepts). Managed values that differ
    from the input, or are stored in a form TrueNAS would refuse on update (duplicates), are replaced.
  - Input is held to the rules of the strictest release (25.10 and later), so every network whose address
    is 0 (V(0.0.0.0/0), V(0.0.0.0/8), V(::/0)) is refused; an empty list allows every network.
  - Input TrueNAS would refuse (relative path, invalid network, maproot together with mapall, a map
    group without its user, ...) fails before any call; a path outside every pool, missing, or a
    symbolic link fails after read-only checks and before any write.
options:
  path:
    description:
      - Absolute path to export, inside a pool (C(/mnt/<pool>/...)). Identifies the share.
    type: str
    required: true
  comment:
    description:
      - Free-text comment shown in the TrueNAS UI.
    type: str
  ro:
    description:
      - Export read-only.
    type: bool
    default: true
  networks:
    description:
      - Networks (CIDR) allowed to mount. An empty list allows every network. Unset leaves the
        share's list as it is (empty on creation).
    type: list
    elements: str
  hosts:
    description:
      - Host names or addresses allowed to mount. An empty list allows every host.
    type: list
    elements: str
  maproot_user:
    description:
      - Map the client's root user to this user. Mutually exclusive with O(mapall_user) and O(mapall_group).
      - An empty string removes the mapping (the same holds for the other three mapping options).
    type: str
  maproot_group:
    description:
      - Map the client's root group to this group. Requires O(maproot_user).
    type: str
  mapall_user:
    description:
      - Map every client user to this user. Mutually exclusive with O(maproot_user) and O(maproot_group).
    type: str
  mapall_group:
    description:
      - Map every client group to this group. Requires O(mapall_user).
    type: str
  security:
    description:
      - Security flavours, in order of preference. Kerberos flavours need NFSv4 enabled
        (see M(homelab.immich.truenas_nfs_config)).
    type: list
    elements: str
    choices: [SYS, KRB5, KRB5I, KRB5P]
  enabled:
    description:
      - Whether the share is exported.
    type: bool
    default: true
  state:
    description:
      - V(absent) deletes the share (files on the NAS are untouched; clients lose access).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - homelab.immich.truenas
  - homelab.immich.truenas.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
seealso:
  - module: homelab.immich.truenas_nfs_config
  - module: homelab.immich.truenas_service
'''

EXAMPLES = r'''
- name: Export the photos read-only to the cluster nodes
  homelab.immich.truenas_nfs_share:
    host: 192.168.10.133
    api_key: "{{ vault_truenas_api_key }}"
    path: /mnt/BigTank/photos/All
    comment: Immich external library (read-only)
    networks:
      - 192.168.10.0/24
    ro: true

- name: Remove the export
  homelab.immich.truenas_nfs_share:
    host: 192.168.10.133
    api_key: "{{ vault_truenas_api_key }}"
    path: /mnt/BigTank/photos/All
    state: absent
'''

RETURN = r'''
share:
  description: The share as TrueNAS reports it after the run (predicted in check mode); empty when absent.
  returned: always
  type: dict
  sample:
    id: 3
    path: /mnt/BigTank/photos/All
    networks: [192.168.10.0/24]
    hosts: []
    ro: true
    enabled: true
    security: []
truenas_version:
  description: Release the NAS runs, as C(system.version) reports it.
  returned: when connected
  type: str
  sample: TrueNAS-25.10.1
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.truenas import (
    MAP_KEYS, SECURITY_FLAVOURS, SHARE_KEYS, check_share_path, live_share_view, normalize_hosts,
    normalize_networks, normalize_security, run_truenas_module, truenas_argument_spec,
)


def ensure_share(module, client, result, desired):
    """Create, update or delete the share of the path so that it matches ``desired``."""
    params = module.params
    shares = client.call('sharing.nfs.query', [['path', '=', params['path']]])
    if len(shares) > 1:
        ids = ', '.join(str(share['id']) for share in shares)
        module.fail_json(msg='%d NFS shares export %s (ids %s); this module manages one share per path, '
                         'remove the extra ones first' % (len(shares), params['path'], ids), **result)
    existing = shares[0] if shares else None
    # Read leniently: the NAS may hold what our input checks refuse (0.0.0.0/0 on 25.04, duplicates left by an
    # older release); such values compare unequal to the input and are replaced.
    before, unclean = live_share_view(existing) if existing else ({}, [])

    if params['state'] == 'absent':
        after = {}
        if existing:
            if not module.check_mode:
                client.call('sharing.nfs.delete', existing['id'])
            result['changed'] = True
    elif existing:
        changes = dict((key, value) for key, value in desired.items() if before.get(key) != value or key in unclean)
        after = dict(before, **changes)
        result['share'] = dict(existing, **changes)
        if changes:
            if not module.check_mode:
                result['share'] = client.call('sharing.nfs.update', existing['id'], changes)
            result['changed'] = True
    else:
        # Read-only checks first, so a bad path fails with a plain message and nothing is written.
        pools = [pool['name'] for pool in client.call('pool.query', [], {'select': ['name']})]
        pool = params['path'].split('/')[2]
        if pool not in pools:
            module.fail_json(msg='%s is not inside a pool: no pool named %r (pools: %s)'
                             % (params['path'], pool, ', '.join(pools) or 'none'), **result)
        stat = client.call('filesystem.stat', params['path'])
        if stat['type'] != 'DIRECTORY':
            module.fail_json(msg='%s is a %s, not a directory; TrueNAS exports directories (symbolic links '
                             'are refused)' % (params['path'], stat['type'].lower()), **result)
        after = dict((key, None) for key in SHARE_KEYS)
        after.update(comment='', networks=[], hosts=[], security=[])
        after.update(desired)
        result['share'] = dict(after)
        if not module.check_mode:
            result['share'] = client.call('sharing.nfs.create', desired)
        result['changed'] = True
    if module._diff:
        # an unclean list is shown as stored, so the diff says what the repair write changes
        shown = dict(before, **dict((key, existing.get(key)) for key in unclean if key in result.get('share', {})))
        result['diff'] = dict(before=shown, after=after)


def main():
    argument_spec = truenas_argument_spec()
    argument_spec.update(
        path=dict(type='str', required=True),
        comment=dict(type='str'),
        ro=dict(type='bool', default=True),
        networks=dict(type='list', elements='str'),
        hosts=dict(type='list', elements='str'),
        maproot_user=dict(type='str'),
        maproot_group=dict(type='str'),
        mapall_user=dict(type='str'),
        mapall_group=dict(type='str'),
        security=dict(type='list', elements='str', choices=list(SECURITY_FLAVOURS)),
        enabled=dict(type='bool', default=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = dict(changed=False, share={})

    # Everything decidable without the NAS is checked before connecting.
    desired = {}
    try:
        check_share_path(params['path'])
        # Checked here rather than with mutually_exclusive/required_by so that '' (no mapping) counts as unset.
        if (params['maproot_user'] or params['maproot_group']) and (params['mapall_user'] or params['mapall_group']):
            raise ValueError('maproot_user/maproot_group and mapall_user/mapall_group are mutually exclusive '
                             '(TrueNAS: maproot_user disqualifies mapall_user)')
        for kind in ('maproot', 'mapall'):
            if params[kind + '_group'] and not params[kind + '_user']:
                raise ValueError('%s_group needs %s_user (TrueNAS: the user is required when a map group is '
                                 'specified)' % (kind, kind))
        for key in ('path', 'comment', 'ro', 'enabled') + MAP_KEYS:
            if params[key] is not None:
                desired[key] = params[key]
        for key in MAP_KEYS:
            if key in desired:
                desired[key] = desired[key] or None  # '' clears the mapping
        if params['networks'] is not None:
            desired['networks'] = normalize_networks(params['networks'])
        if params['hosts'] is not None:
            desired['hosts'] = normalize_hosts(params['hosts'])
        if params['security'] is not None:
            desired['security'] = normalize_security(params['security'])
    except ValueError as exc:
        module.fail_json(msg=str(exc), **result)

    run_truenas_module(module, ensure_share, result, desired)


if __name__ == '__main__':
    main()
