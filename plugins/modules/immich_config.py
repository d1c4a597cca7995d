#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: immich_config
short_description: Set Immich system settings
version_added: 0.1.0
description:
  - Merges a partial, nested O(config) over the server's current system configuration and writes the whole
    result back, only when a setting differs.
  - Reads and writes C(/api/admin/config) on Immich 3.2 and later, C(/api/system-config) before.
  - Every key must exist on the server and every value must have the type of the current value; otherwise the
    module fails, naming the dotted key, before writing anything. Immich itself silently drops unknown keys.
  - Fails with a clear message when the server reads its settings from a file (E(IMMICH_CONFIG_FILE)), since
    Immich then refuses changes through the API.
  - Requires an admin user.
author:
  - homelab.immich developers (@homelab)
extends_documentation_fragment:
  - homelab.immich.immich
  - homelab.immich.immich.auth
  - homelab.immich.immich.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
options:
  config:
    description:
      - >-
        Settings to enforce, nested as in Immich's configuration, for example
        C({library: {scan: {cronExpression: "0 3 * * *"}, watch: {enabled: false}}}).
      - Lists (such as C(machineLearning.urls)) replace the current list.
      - >-
        The values of C(oauth.clientSecret) and C(notifications.smtp.transport.password) are masked in the
        module's output and diff, but Ansible shows the module arguments with C(-vvv) and on failure; set
        C(no_log: true) on a task that carries secrets.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Nightly library scan, no file watching over NFS
  homelab.immich.immich_config:
    api_url: https://photos.example.com
    api_key: "{{ immich_api_key }}"
    config:
      library:
        scan:
          enabled: true
          cronExpression: "0 3 * * *"
        watch:
          enabled: false
      job:
        thumbnailGeneration:
          concurrency: 2
      machineLearning:
        urls: [http://immich-machine-learning:3003]
      server:
        externalDomain: https://photos.example.com
'''

RETURN = r'''
changed_keys:
  description: Dotted keys whose values changed (or would change, in check mode).
  returned: always
  type: list
  elements: str
  sample: [library.scan.cronExpression, library.watch.enabled]
config:
  description: The whole configuration after the run (as the server returned it), secrets masked.
  returned: always
  type: dict
config_path:
  description: The API path used, which depends on the server version.
  returned: always
  type: str
  sample: /system-config
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.immich import (
    IMMICH_AUTH_REQUIRED_ONE_OF,
    IMMICH_AUTH_REQUIRED_TOGETHER,
    ImmichAPIError,
    immich_argument_spec,
    run_immich_module,
)
from ansible_collections.homelab.immich.plugins.module_utils.immich_config import (
    changed_paths,
    check_partial,
    deep_merge,
    mask_secrets,
    pick_paths,
)

CONFIG_FILE_MSG = ('Immich reads its settings from the file named by IMMICH_CONFIG_FILE, so they cannot be changed '
                   'through the API; change that file (or unset IMMICH_CONFIG_FILE) instead')


def run(module, client):
    path = client.config_path
    if client.get('/server/features', auth=False).get('configFile'):
        module.fail_json(msg=CONFIG_FILE_MSG, changed=False, config_path=path)
    current = client.get(path)
    problems = check_partial(module.params['config'], current)
    if problems:
        module.fail_json(msg='; '.join(problems), changed=False, config_path=path)

    wanted = deep_merge(current, module.params['config'])
    keys = changed_paths(current, wanted)
    result = dict(changed=bool(keys), changed_keys=keys, config_path=path, config=mask_secrets(current))
    if not keys:
        return result
    result['diff'] = dict(before=mask_secrets(pick_paths(current, keys)), after=mask_secrets(pick_paths(wanted, keys)))
    if module.check_mode:
        result['config'] = mask_secrets(wanted)
        return result
    try:
        result['config'] = mask_secrets(client.put(path, wanted))
    except ImmichAPIError as exc:
        if 'IMMICH_CONFIG_FILE' in exc.message:
            module.fail_json(msg=CONFIG_FILE_MSG, changed=False, config_path=path)
        raise
    return result


def main():
    spec = immich_argument_spec()
    spec.update(config=dict(type='dict', required=True))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_one_of=IMMICH_AUTH_REQUIRED_ONE_OF, required_together=IMMICH_AUTH_REQUIRED_TOGETHER)
    run_immich_module(module, run)


if __name__ == '__main__':
    main()
