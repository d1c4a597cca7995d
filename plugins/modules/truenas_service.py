#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: truenas_service
short_description: Ensure a TrueNAS 25.04+ service is enabled at boot and running or stopped
version_added: 0.1.0
author:
  - homelab.immich developers (@homelab)
description:
  - Reads the service with C(service.query), sets its start-at-boot flag with C(service.update)
    and starts or stops it.
  - On TrueNAS 25.10 and later it uses C(service.control) (a job, waited for); on 25.04, which has no
    C(service.control), it uses C(service.start) / C(service.stop) (deprecated in 25.10, private in 26.0).
  - Nothing is written when the service is already as requested.
options:
  service:
    description:
      - Service name as TrueNAS knows it, for example V(nfs), V(cifs), V(ssh).
    type: str
    required: true
  enabled:
    description:
      - Start the service at boot. Unset leaves the flag as it is.
    type: bool
  state:
    description:
      - V(started) starts a stopped service, V(stopped) stops a running one. Unset leaves it as it is.
    type: str
    choices: [started, stopped]
  wait_timeout:
    description:
      - Seconds to wait for a start or stop to finish.
    type: float
    default: 120
extends_documentation_fragment:
  - homelab.immich.truenas
  - homelab.immich.truenas.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
seealso:
  - module: homelab.immich.truenas_nfs_share
'''

EXAMPLES = r'''
- name: NFS starts at boot and runs now
  homelab.immich.truenas_service:
    host: 192.168.10.133
    api_key: "{{ vault_truenas_api_key }}"
    service: nfs
    enabled: true
    state: started
'''

RETURN = r'''
service:
  description: The service as C(service.query) reports it after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {id: 7, service: nfs, enable: true, state: RUNNING, pids: [4242]}
truenas_version:
  description: Release the NAS runs, as C(system.version) reports it.
  returned: when connected
  type: str
  sample: TrueNAS-25.10.1
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.truenas import run_truenas_module, truenas_argument_spec

WANTED_STATE = {'started': 'RUNNING', 'stopped': 'STOPPED'}
VERB = {'started': 'START', 'stopped': 'STOP'}


def ensure_service(module, client, result):
    """Bring the service to the wanted enablement and state."""
    params = module.params
    current = client.get_service(params['service'])
    if current is None:
        names = sorted(s['service'] for s in client.call('service.query', [], {'select': ['service']}))
        module.fail_json(msg='TrueNAS has no service named %r (known: %s)' % (params['service'], ', '.join(names)),
                         **result)
    before = dict(enable=current['enable'], state=current['state'])
    after = dict(before)
    if params['enabled'] is not None and current['enable'] != params['enabled']:
        after['enable'] = params['enabled']
        if not module.check_mode:
            client.call('service.update', params['service'], {'enable': params['enabled']})
    if params['state'] and current['state'] != WANTED_STATE[params['state']]:
        after['state'] = WANTED_STATE[params['state']]
        if not module.check_mode:
            if not client.control_service(VERB[params['state']], params['service'], timeout=params['wait_timeout']):
                module.fail_json(msg='TrueNAS reports that service %s is not %s after %s'
                                 % (params['service'], after['state'], VERB[params['state']]), **result)
    result['changed'] = after != before
    result['service'] = dict(current, **after)
    if result['changed'] and not module.check_mode:
        result['service'] = client.get_service(params['service'])
    if module._diff:
        result['diff'] = dict(before=before, after=after)


def main():
    argument_spec = truenas_argument_spec()
    argument_spec.update(
        service=dict(type='str', required=True),
        enabled=dict(type='bool'),
        state=dict(type='str', choices=['started', 'stopped']),
        wait_timeout=dict(type='float', default=120.0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    result = dict(changed=False, service={})

    run_truenas_module(module, ensure_service, result)


if __name__ == '__main__':
    main()
