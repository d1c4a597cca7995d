#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: immich_admin
short_description: Ensure the first Immich admin account exists
version_added: 0.1.0
description:
  - On a fresh Immich server (C(GET /api/server/config) reports C(isInitialized=false)), creates the first admin
    with C(POST /api/auth/admin-sign-up).
  - On a server that already has an admin, logs in with O(email) and O(password) to check that they are the
    credentials of an admin, and changes nothing. The password of an existing admin is never changed.
author:
  - homelab.immich developers (@homelab)
extends_documentation_fragment:
  - homelab.immich.immich
  - homelab.immich.immich.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  email:
    description:
      - Email of the admin account.
    type: str
    required: true
  password:
    description:
      - Password of the admin account.
    type: str
    required: true
  name:
    description:
      - Display name given to the admin when it is created. Not compared on an existing admin.
    type: str
    default: Admin
notes:
  - Immich 3.x refuses the sign-up when the server runs with E(IMMICH_ALLOW_SETUP=false); the module then fails
    with Immich's message.
seealso:
  - module: homelab.immich.immich_api_key
'''

EXAMPLES = r'''
- name: Create the first admin, or check its credentials
  homelab.immich.immich_admin:
    api_url: https://photos.example.com
    email: admin@example.com
    password: "{{ immich_admin_password }}"
    name: Photo Admin
  no_log: true
'''

RETURN = r'''
created:
  description: Whether the admin was created by this run (or would be, in check mode).
  returned: always
  type: bool
  sample: true
admin:
  description: The admin account (Immich C(UserAdminResponseDto) fields C(id), C(email), C(name), C(isAdmin)).
    Empty in check mode when the admin would be created.
  returned: always
  type: dict
  sample: {"id": "5d1a1c1e-1b0f-4b9a-8d9a-0d6a3c2c0f11", "email": "admin@example.com", "name": "Admin", "isAdmin": true}
server_version:
  description: Version of the Immich server.
  returned: always
  type: str
  sample: 2.5.5
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.immich import (
    ImmichAPIError,
    immich_argument_spec,
    run_immich_module,
)

ADMIN_FIELDS = ('id', 'email', 'name', 'isAdmin')


def run(module, client):
    email, password, name = module.params['email'], module.params['password'], module.params['name']
    result = dict(changed=False, created=False, admin={}, server_version=client.version_string)
    initialized = client.get('/server/config', auth=False)['isInitialized']
    before = {'initialized': initialized}

    if not initialized:
        result.update(changed=True, created=True, diff=dict(before=before, after={'initialized': True, 'email': email, 'name': name}))
        if module.check_mode:
            return result
        try:
            user = client.post('/auth/admin-sign-up', {'email': email, 'name': name, 'password': password}, auth=False)
        except ImmichAPIError as exc:
            # Another client won the race: fall through to the credentials check below.
            if exc.status != 400 or 'already has an admin' not in exc.message:
                raise
            result.update(changed=False, created=False)
            result.pop('diff')
        else:
            result['admin'] = dict((k, user.get(k)) for k in ADMIN_FIELDS)
            return result

    try:
        login = client.login(email, password, remember=True)
    except ImmichAPIError as exc:
        if exc.status in (400, 401):
            # Since 2.5.0, IMMICH_ALLOW_SETUP=false reports the server initialized although it may have no admin.
            hint = ''
            if client.version >= (2, 5, 0):
                hint = ('; if the server runs with IMMICH_ALLOW_SETUP=false it reports itself initialized with no admin '
                        'at all, and this module cannot create one (Admin setup is disabled)')
            module.fail_json(msg='Immich reports an admin and %s cannot log in with the given password: %s%s'
                                 % (email, exc.message, hint), **result)
        raise
    if not login.get('isAdmin'):
        module.fail_json(msg='%s can log in to Immich but is not an admin; the server already has another admin' % email, **result)
    result['admin'] = {'id': login.get('userId'), 'email': login.get('userEmail'), 'name': login.get('name'), 'isAdmin': True}
    return result


def main():
    spec = immich_argument_spec(auth=False)
    spec.update(
        email=dict(type='str', required=True),
        password=dict(type='str', required=True, no_log=True),
        name=dict(type='str', default='Admin'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    run_immich_module(module, run)


if __name__ == '__main__':
    main()
