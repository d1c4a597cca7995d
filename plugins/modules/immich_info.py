#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: immich_info
short_description: Read the state of an Immich server
version_added: 0.1.0
description:
  - Returns the server version, features and setup state (public, no credentials needed).
  - With credentials, also the authenticated user; when that user is an admin, the libraries with their
    statistics and the job queue counts.
author:
  - homelab.immich developers (@homelab)
extends_documentation_fragment:
  - homelab.immich.immich
  - homelab.immich.immich.auth
  - homelab.immich.immich.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  diff_mode:
    support: N/A
notes:
  - Without O(api_key) or O(email) and O(password), only the public facts are returned.
'''

EXAMPLES = r'''
- name: Is the server set up yet?
  homelab.immich.immich_info:
    api_url: https://photos.example.com
  register: immich

- name: Libraries and queues
  homelab.immich.immich_info:
    api_url: https://photos.example.com
    api_key: "{{ immich_api_key }}"
  register: immich

- name: Report
  ansible.builtin.debug:
    msg: "{{ immich.version }}: {{ immich.libraries | map(attribute='statistics.total') | sum }} assets"
'''

RETURN = r'''
version:
  description: Server version.
  returned: always
  type: str
  sample: 2.5.5
features:
  description: C(GET /api/server/features) (for example C(configFile), C(passwordLogin), C(smartSearch)).
  returned: always
  type: dict
initialized:
  description: Whether the server has an admin.
  returned: always
  type: bool
onboarded:
  description: Whether the admin finished the web onboarding.
  returned: always
  type: bool
config_path:
  description: Path of the system configuration endpoint on this server version.
  returned: always
  type: str
  sample: /admin/config
user:
  description: The authenticated user (C(id), C(email), C(name), C(isAdmin)).
  returned: when credentials are given
  type: dict
is_admin:
  description: Whether the authenticated user is an admin.
  returned: always
  type: bool
libraries:
  description: Libraries with their C(statistics) (C(photos), C(videos), C(total), C(usage)).
  returned: when the user is an admin
  type: list
  elements: dict
queues:
  description: Job counts per queue (C(waiting), C(active), C(delayed), C(failed), C(completed), C(paused), C(isPaused)).
  returned: when the user is an admin
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.immich import (
    IMMICH_AUTH_REQUIRED_TOGETHER,
    immich_argument_spec,
    run_immich_module,
)


def run(module, client):
    server = client.get('/server/config', auth=False)
    result = dict(
        changed=False,
        version=client.version_string,
        features=client.get('/server/features', auth=False),
        initialized=bool(server.get('isInitialized')),
        onboarded=bool(server.get('isOnboarded')),
        config_path=client.config_path,
        is_admin=False,
    )
    if not client.has_credentials:
        return result
    me = client.me()
    result['user'] = dict((k, me.get(k)) for k in ('id', 'email', 'name', 'isAdmin'))
    result['is_admin'] = bool(me.get('isAdmin'))
    if result['is_admin']:
        libraries = []
        for lib in client.list_libraries():
            libraries.append(dict(lib, statistics=client.library_statistics(lib['id'])))
        result['libraries'] = libraries
        result['queues'] = client.queue_counts()
    return result


def main():
    module = AnsibleModule(argument_spec=immich_argument_spec(), supports_check_mode=True,
                           required_together=IMMICH_AUTH_REQUIRED_TOGETHER)
    run_immich_module(module, run)


if __name__ == '__main__':
    main()
