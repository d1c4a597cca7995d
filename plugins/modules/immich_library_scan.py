#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: immich_library_scan
short_description: Scan Immich external libraries and optionally wait for the import to finish
version_added: 0.1.0
description:
  - Asks Immich to scan one external library, or every library (C(POST /api/libraries/{id}/scan)).
  - With O(wait=true), polls the job queues (C(GET /api/queues), or C(GET /api/jobs) on servers without it) until
    the queues in O(queues) have no waiting, active, delayed or paused jobs, then reports the assets found per library.
  - A scan is an action, not a state; the module always reports C(changed) when it requested a scan. In check
    mode it requests nothing and reports what it would scan.
  - Requires an admin user.
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
    support: none
options:
  library:
    description:
      - Name or id of the library to scan. When omitted, every library is scanned.
    type: str
  wait:
    description:
      - Wait until the scan and the processing it triggers (see O(queues)) are done.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true) before failing. The scan keeps running on the server.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between two looks at the job queues.
    type: float
    default: 5
  queues:
    description:
      - Job queues that must be empty for the wait to end. A scan feeds V(library), which feeds V(sidecar),
        V(metadataExtraction) and V(thumbnailGeneration); machine learning follows in V(smartSearch),
        V(faceDetection) and V(facialRecognition), which can take hours on a large library.
      - Queues the server does not have are ignored with a warning.
    type: list
    elements: str
    default: [library, sidecar, metadataExtraction, thumbnailGeneration]
seealso:
  - module: homelab.immich.immich_library
  - module: homelab.immich.immich_info
'''

EXAMPLES = r'''
- name: Scan the NAS library and wait until thumbnails are generated
  homelab.immich.immich_library_scan:
    api_url: https://photos.example.com
    api_key: "{{ immich_api_key }}"
    library: NAS photos
    wait: true
    wait_timeout: 3600
  register: scan

- name: Show what was found
  ansible.builtin.debug:
    msg: "{{ scan.libraries[0].statistics.total }} assets"

- name: Start a scan of every library and go on
  homelab.immich.immich_library_scan:
    api_url: https://photos.example.com
    api_key: "{{ immich_api_key }}"
'''

RETURN = r'''
libraries:
  description: The libraries scanned (or that would be, in check mode) with their statistics after the scan
    (or at the time of the request when not waiting).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Library id.
      type: str
    name:
      description: Library name.
      type: str
    refreshedAt:
      description: When Immich last finished crawling the library's import paths.
      type: str
    statistics:
      description: Asset counts of the library (C(photos), C(videos), C(total)) and C(usage) in bytes.
      type: dict
  sample: [{"id": "1f0e0c5e-6a1b-4d3e-9d65-3b3f9d8b2a10", "name": "NAS photos", "refreshedAt": "2026-01-01T00:10:00.000Z",
            "statistics": {"photos": 1520, "videos": 31, "total": 1551, "usage": 8123456789}}]
queues:
  description: Job counts (C(waiting), C(active), C(delayed), C(failed), C(completed), C(paused), C(isPaused)) of the
    queues in O(queues) at the last look.
  returned: always
  type: dict
  sample: {"library": {"waiting": 0, "active": 0, "delayed": 0, "failed": 0, "completed": 12, "paused": 0, "isPaused": false}}
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 42.5
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.immich import (
    IMMICH_AUTH_REQUIRED_ONE_OF,
    IMMICH_AUTH_REQUIRED_TOGETHER,
    QUEUE_NAMES,
    immich_argument_spec,
    run_immich_module,
)


def run(module, client):
    p = module.params
    for index, queue in enumerate(p['queues']):
        if queue not in QUEUE_NAMES:
            module.fail_json(msg="queues[%d] '%s' is not an Immich job queue (known: %s)" % (index, queue, ', '.join(sorted(QUEUE_NAMES))))
    if p['poll_interval'] <= 0 or p['wait_timeout'] < 0:
        module.fail_json(msg='poll_interval must be positive and wait_timeout not negative')

    libraries = client.find_libraries(p['library']) if p['library'] else client.list_libraries()
    if p['library']:
        if not libraries:
            module.fail_json(msg="no Immich library has the name or id '%s'" % p['library'])
        if len(libraries) > 1:
            module.fail_json(msg="%d Immich libraries are named '%s' (ids %s); give the id instead"
                                 % (len(libraries), p['library'], ', '.join(lib['id'] for lib in libraries)))
    result = dict(changed=bool(libraries), libraries=[], queues={}, elapsed=0.0)
    if not module.check_mode:
        for lib in libraries:
            # Queuing a scan twice only scans twice: safe to retry.
            client.post('/libraries/%s/scan' % lib['id'], idempotent=True)

    started = time.time()
    if p['wait'] and libraries and not module.check_mode:
        known = None
        while True:
            counts = client.queue_counts()
            if known is None:
                known = [q for q in p['queues'] if q in counts]
                missing = [q for q in p['queues'] if q not in counts]
                if missing:
                    module.warn('Immich %s has no queue named %s; not waiting for it' % (client.version_string, ', '.join(missing)))
            result['queues'] = dict((q, counts[q]) for q in known)
            # Jobs of a paused queue sit in 'paused', not 'waiting'.
            busy = dict((q, c) for q, c in result['queues'].items() if c['waiting'] + c['active'] + c['delayed'] + c['paused'] > 0)
            stuck = sorted(q for q, c in busy.items() if c['isPaused'])
            if stuck:
                module.fail_json(msg='job queue %s is paused with jobs pending; resume it in Immich (Administration > Job Queues)'
                                     % ', '.join(stuck), **result)
            result['elapsed'] = round(time.time() - started, 1)
            if not busy:
                break
            if result['elapsed'] >= p['wait_timeout']:
                module.fail_json(msg='the scan is still running after %ss: %s' % (
                    p['wait_timeout'], '; '.join('%s %d waiting, %d active' % (q, c['waiting'], c['active'])
                                                 for q, c in sorted(busy.items()))), **result)
            time.sleep(p['poll_interval'])
    elif libraries:
        counts = client.queue_counts()
        result['queues'] = dict((q, counts[q]) for q in p['queues'] if q in counts)

    for lib in libraries:
        fresh = lib if module.check_mode else client.get('/libraries/%s' % lib['id'])
        result['libraries'].append({'id': fresh['id'], 'name': fresh['name'], 'refreshedAt': fresh.get('refreshedAt'),
                                    'statistics': client.library_statistics(lib['id'])})
    return result


def main():
    spec = immich_argument_spec()
    spec.update(
        library=dict(type='str'),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=1800),
        poll_interval=dict(type='float', default=5),
        queues=dict(type='list', elements='str', default=['library', 'sidecar', 'metadataExtraction', 'thumbnailGeneration']),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_one_of=IMMICH_AUTH_REQUIRED_ONE_OF, required_together=IMMICH_AUTH_REQUIRED_TOGETHER)
    run_immich_module(module, run)


if __name__ == '__main__':
    main()
