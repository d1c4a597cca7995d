#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: immich_api_key
short_description: Manage an API key of the authenticated Immich user
version_added: 0.1.0
description:
  - Ensures an API key with a given O(name) and O(permissions) exists for the user the module authenticates as,
    or is absent.
  - Keys are matched by name. Immich allows several keys with the same name; the module refuses to choose
    between them.
  - Immich shows the secret of a key only once, when the key is created. The module returns it in RV(secret)
    on that run only; it cannot be read later. To get a new secret, delete the key (O(state=absent)) and create it again.
  - Changed permissions are updated in place (C(PUT /api/api-keys/{id})); the secret stays the same.
author:
  - homelab.immich developers (@homelab)
extends_documentation_fragment:
  - homelab.immich.immich
  - homelab.immich.immich.auth
  - homelab.immich.immich.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  name:
    description:
      - Name of the API key.
    type: str
    required: true
  permissions:
    description:
      - Permissions of the key, values of Immich's C(Permission) enum such as V(all), V(library.read),
        V(library.update), V(job.read). Order does not matter.
      - A value no supported Immich version knows is rejected before any request; a value the connected server
        does not know is rejected by the server.
      - When the module authenticates with an API key, Immich only lets it grant permissions that key has.
    type: list
    elements: str
    default: [all]
  state:
    description:
      - V(present) creates or updates the key, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Create a key for automation and keep its secret
  homelab.immich.immich_api_key:
    api_url: https://photos.example.com
    email: admin@example.com
    password: "{{ immich_admin_password }}"
    name: ansible
    permissions: [all]
  register: immich_key
  no_log: true

- name: A read-only key for monitoring
  homelab.immich.immich_api_key:
    api_url: https://photos.example.com
    email: admin@example.com
    password: "{{ immich_admin_password }}"
    name: monitoring
    permissions: [server.statistics, job.read, queue.read, library.read, library.statistics]

- name: Remove a key
  homelab.immich.immich_api_key:
    api_url: https://photos.example.com
    email: admin@example.com
    password: "{{ immich_admin_password }}"
    name: old-key
    state: absent
'''

RETURN = r'''
api_key:
  description: The key as Immich describes it (C(ApiKeyResponseDto)); empty when absent.
  returned: always
  type: dict
  sample: {"id": "9a0c7f3e-2a4f-4d7e-9d0e-52f1c7c9a3d1", "name": "ansible", "permissions": ["all"],
           "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}
secret:
  description: The secret of a key created by this run. It cannot be read again; store it now.
  returned: when the key was created (not in check mode)
  type: str
  sample: ByZ3wQ0cV1r1bD2cY3fN0hJ4kL5mN6pQ7rS8tU9vW0x
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.immich import (
    IMMICH_AUTH_REQUIRED_ONE_OF,
    IMMICH_AUTH_REQUIRED_TOGETHER,
    PERMISSIONS,
    ImmichAPIError,
    ImmichConnectionError,
    immich_argument_spec,
    run_immich_module,
)


def run(module, client):
    name, state = module.params['name'], module.params['state']
    wanted = module.params['permissions']
    if state == 'present':
        if not wanted:
            module.fail_json(msg='permissions must list at least one permission, for example [all]')
        for index, permission in enumerate(wanted):
            if permission not in PERMISSIONS:
                module.fail_json(msg="permissions[%d] '%s' is not an Immich permission; use values of Immich's "
                                     "Permission enum such as all, library.read, job.read" % (index, permission))
        wanted = sorted(set(wanted))

    matches = [key for key in client.get('/api-keys') or [] if key.get('name') == name]
    if len(matches) > 1:
        module.fail_json(msg="%d API keys are named '%s' (ids %s); delete the extra ones in Immich first"
                             % (len(matches), name, ', '.join(k['id'] for k in matches)))
    current = matches[0] if matches else None
    before = {'name': name, 'permissions': sorted(current['permissions'])} if current else {}
    result = dict(changed=False, api_key=current or {})

    if state == 'absent':
        if current:
            result.update(changed=True, api_key={}, diff=dict(before=before, after={}))
            if not module.check_mode:
                client.delete('/api-keys/%s' % current['id'])
        return result

    after = {'name': name, 'permissions': wanted}
    if current and before == after:
        return result
    result.update(changed=True, diff=dict(before=before, after=after))
    if module.check_mode:
        return result
    if current:
        result['api_key'] = client.update('/api-keys/%s' % current['id'], {'name': name, 'permissions': wanted})
    else:
        try:
            created = client.post('/api-keys', {'name': name, 'permissions': wanted})
        except (ImmichConnectionError, ImmichAPIError) as exc:
            if isinstance(exc, ImmichAPIError) and exc.status < 500:
                raise
            # Never repeated: the lost request may have made the key. Its secret is shown only once, so a key
            # that exists now is of no use; say which one to delete.
            made = [key for key in client.get('/api-keys') or [] if key.get('name') == name]
            if made:
                module.fail_json(msg="the answer to POST /api-keys was lost (%s) but API key '%s' (id %s) was created; "
                                     "its secret is shown only once: delete that key in Immich and run the task again"
                                     % (exc, name, made[0]['id']), changed=True, api_key=made[0])
            module.fail_json(msg="POST /api-keys failed (%s); no API key named '%s' exists, nothing was created"
                                 % (exc, name), changed=False, api_key={})
        result.update(api_key=created['apiKey'], secret=created['secret'])
    return result


def main():
    spec = immich_argument_spec()
    spec.update(
        name=dict(type='str', required=True),
        permissions=dict(type='list', elements='str', default=['all']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_one_of=IMMICH_AUTH_REQUIRED_ONE_OF, required_together=IMMICH_AUTH_REQUIRED_TOGETHER)
    run_immich_module(module, run)


if __name__ == '__main__':
    main()
