#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: immich_library
short_description: Manage an Immich external library
version_added: 0.1.0
description:
  - Ensures an external library with a given O(name) exists with the given import paths and exclusion patterns,
    or is absent. Libraries are matched by name; two libraries with that name are an error.
  - Import paths are folders as the Immich server sees them (inside its container), for example C(/mnt/photos).
    The server must mount every import path.
  - Before anything is written, import paths are checked locally (absolute, not empty, not duplicated, not inside
    Immich's media folder O(media_location)) and then by the server (C(POST /api/libraries/{id}/validate)), unless
    O(validate=false).
  - Immich's validation reads only the paths and never looks the library up, so a new library is validated
    before it is created (and in check mode too), then created in one request with its paths. A refused path
    fails the task before anything is written.
  - A request that creates the library is never repeated. If the answer is lost (HTTP 502/504, timeout, dropped
    connection), the module reads the libraries again and adopts the one the lost request made, or fails
    saying so, instead of making a second library.
  - Requires an admin user (libraries are admin-only in Immich); with an API key, validation needs the C(all)
    permission (Immich's validate route names no narrower one), otherwise use O(validate=false).
  - On Immich 3.x updates use C(PATCH) (C(PUT) is deprecated there).
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
      - Name of the library.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the library; V(absent) deletes it (see O(allow_data_loss)).
    type: str
    choices: [present, absent]
    default: present
  owner:
    description:
      - Owner of a new library, as an email or a user id. Defaults to the authenticated user.
      - Immich cannot change the owner of a library; a different owner for an existing library is an error.
    type: str
  import_paths:
    description:
      - Absolute folders, as seen by the Immich server, to import from. Compared as a set.
      - When omitted, an existing library keeps its import paths and a new one gets none.
      - Removing a path removes the assets under it from Immich at the next scan (the files stay on disk).
    type: list
    elements: str
  exclusion_patterns:
    description:
      - Glob patterns of files and folders to skip, for example C(**/Thumbs/**). Compared as a set.
      - When omitted, an existing library keeps its patterns and a new one gets Immich's defaults
        (see O(default_exclusions)).
      - Adding a pattern removes matching assets from Immich at the next scan (the files stay on disk).
      - Patterns an existing library has that are not wanted are removed; the module warns, naming them.
    type: list
    elements: str
  default_exclusions:
    description:
      - Add Immich's six default exclusion patterns (C(**/@eaDir/**), C(**/._*), C(**/#recycle/**),
        C(**/#snapshot/**), and Syncthing's C(**/.stversions/**), C(**/.stfolder/**)) to O(exclusion_patterns),
        and to a new library created without O(exclusion_patterns).
    type: bool
    default: true
  media_location:
    description:
      - Immich's media folder as the server sees it (its C(IMMICH_MEDIA_LOCATION)); Immich refuses import paths
        inside it, and so does the module, before any request.
    type: path
    default: /data
  validate:
    description:
      - Ask the server to validate the import paths before setting them, and fail with its messages
        (for example C(Path does not exist (ENOENT))).
      - Immich validates the paths of an update itself in any case.
    type: bool
    default: true
  allow_data_loss:
    description:
      - Required to delete (O(state=absent)) a library that holds assets. Deleting a library removes its assets
        and their metadata (albums, faces, favorites) from Immich; the files stay on disk.
    type: bool
    default: false
seealso:
  - module: homelab.immich.immich_library_scan
'''

EXAMPLES = r'''
- name: External library over the read-only NFS mount
  homelab.immich.immich_library:
    api_url: https://photos.example.com
    api_key: "{{ immich_api_key }}"
    name: NAS photos
    import_paths: [/mnt/photos]
    exclusion_patterns: ["**/Lightroom Backups/**"]

- name: Library owned by another user
  homelab.immich.immich_library:
    api_url: https://photos.example.com
    api_key: "{{ immich_api_key }}"
    name: Family
    owner: family@example.com
    import_paths: [/mnt/photos/family]

- name: Remove a library and its assets from Immich (files stay on the NAS)
  homelab.immich.immich_library:
    api_url: https://photos.example.com
    api_key: "{{ immich_api_key }}"
    name: Old library
    state: absent
    allow_data_loss: true
'''

RETURN = r'''
created:
  description: Whether the library was created by this run (or would be, in check mode); callers use it to scan a new library once.
  returned: always
  type: bool
  sample: true
library:
  description: The library (Immich C(LibraryResponseDto)); empty when absent or not yet created in check mode.
  returned: always
  type: dict
  sample: {"id": "1f0e0c5e-6a1b-4d3e-9d65-3b3f9d8b2a10", "name": "NAS photos", "ownerId": "5d1a1c1e-1b0f-4b9a-8d9a-0d6a3c2c0f11",
           "importPaths": ["/mnt/photos"], "exclusionPatterns": ["**/@eaDir/**", "**/._*"], "assetCount": 0,
           "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z", "refreshedAt": null}
validation:
  description: The server's verdict on each import path that was validated.
  returned: when the server validated import paths
  type: list
  elements: dict
  sample: [{"importPath": "/mnt/photos", "isValid": true}]
'''

import posixpath

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.immich.plugins.module_utils.immich import (
    DEFAULT_EXCLUSION_PATTERNS,
    DEFAULT_MEDIA_LOCATION,
    IMMICH_AUTH_REQUIRED_ONE_OF,
    IMMICH_AUTH_REQUIRED_TOGETHER,
    ImmichAPIError,
    ImmichConnectionError,
    immich_argument_spec,
    run_immich_module,
)


def run(module, client):
    p = module.params
    name, state = p['name'], p['state']
    paths, patterns = p['import_paths'], p['exclusion_patterns']

    # Local checks first: bad input must fail before any request changes anything.
    problems = []
    media = posixpath.normpath(p['media_location'] or DEFAULT_MEDIA_LOCATION)
    if not media.startswith('/'):
        problems.append("media_location must be an absolute path, got '%s'" % p['media_location'])
    for index, path in enumerate(paths or []):
        if not path or not path.strip():
            problems.append('import_paths[%d] must not be empty' % index)
        elif not path.startswith('/'):
            problems.append("import_paths[%d] must be an absolute path, got '%s'" % (index, path))
        elif (posixpath.normpath(path) + '/').startswith(media.rstrip('/') + '/'):
            problems.append("import_paths[%d] '%s' is inside Immich's media folder %s (media_location)"
                            % (index, path, media))
        elif path in paths[:index]:
            problems.append("import_paths[%d] '%s' is listed twice" % (index, path))
    for index, pattern in enumerate(patterns or []):
        if not pattern or not pattern.strip():
            problems.append('exclusion_patterns[%d] must not be empty' % index)
    if problems:
        module.fail_json(msg='; '.join(problems))

    wanted_patterns = list(DEFAULT_EXCLUSION_PATTERNS) if p['default_exclusions'] else []
    wanted_patterns += [x for x in patterns or [] if x not in wanted_patterns]

    matches = [lib for lib in client.list_libraries() if lib.get('name') == name]
    if len(matches) > 1:
        module.fail_json(msg="%d Immich libraries are named '%s' (ids %s); rename or delete the extra ones in Immich first"
                             % (len(matches), name, ', '.join(lib['id'] for lib in matches)))
    current = matches[0] if matches else None
    before = _view(current) if current else {}
    result = dict(changed=False, created=False, library=current or {})

    if state == 'absent':
        if not current:
            return result
        assets = max(int(current.get('assetCount') or 0), int(client.library_statistics(current['id']).get('total') or 0))
        if assets and not p['allow_data_loss']:
            module.fail_json(msg="library '%s' holds %d assets; deleting it removes them and their metadata from Immich "
                                 "(the files stay on disk). Set allow_data_loss: true to delete it" % (name, assets), **result)
        result.update(changed=True, library={}, diff=dict(before=before, after={}))
        if not module.check_mode:
            client.delete('/libraries/%s' % current['id'])
        return result

    owner_id = None
    if p['owner']:
        owner = client.find_user(p['owner'])
        if owner is None:
            module.fail_json(msg="owner '%s' is not an Immich user" % p['owner'], **result)
        owner_id = owner['id']
    if current is None:
        after = {'name': name, 'ownerId': owner_id or client.me()['id'], 'importPaths': list(paths or []),
                 'exclusionPatterns': wanted_patterns}
        if p['validate'] and after['importPaths']:
            # Validation reads nothing but the paths: a library that does not exist yet (check mode too).
            result['validation'] = client.validate_import_paths(after['importPaths'])
            refused = _refused(after['importPaths'], result['validation'])
            if refused:
                module.fail_json(msg=refused + '; the library was not created', **result)
        result.update(changed=True, created=True, diff=dict(before={}, after=after))
        if not module.check_mode:
            result['library'] = _create(module, client, after)
        return result

    if owner_id and owner_id != current['ownerId']:
        module.fail_json(msg="library '%s' is owned by user %s; Immich cannot change the owner of a library (asked for %s). "
                             "Delete and recreate it, or drop the owner option" % (name, current['ownerId'], p['owner']), **result)
    changes = {}
    if paths is not None and set(paths) != set(current['importPaths']):
        changes['importPaths'] = list(paths)
    if patterns is not None and set(wanted_patterns) != set(current['exclusionPatterns']):
        changes['exclusionPatterns'] = wanted_patterns
    if not changes:
        return result

    if p['validate'] and changes.get('importPaths'):
        result['validation'] = client.validate_import_paths(changes['importPaths'], current['id'])
        refused = _refused(changes['importPaths'], result['validation'])
        if refused:
            module.fail_json(msg=refused, **result)
    dropped = sorted(set(current['importPaths']) - set(changes.get('importPaths', current['importPaths'])))
    added = sorted(set(changes.get('exclusionPatterns', current['exclusionPatterns'])) - set(current['exclusionPatterns']))
    removed = sorted(set(current['exclusionPatterns']) - set(changes.get('exclusionPatterns', current['exclusionPatterns'])))
    if removed:
        # Said out loud: the library had these (perhaps set in the web UI), and the next scan imports what they kept out.
        module.warn("exclusion patterns %s of library '%s' are removed (not in exclusion_patterns%s); the next scan "
                    "imports what they kept out" % (', '.join(removed), name,
                                                    ' nor the defaults' if p['default_exclusions'] else ''))
    if dropped or added:
        # Not an error: the assets go at the next scan, and only from Immich, never from disk.
        what = ['under %s' % ', '.join(dropped)] if dropped else []
        what += ['matching %s' % ', '.join(added)] if added else []
        module.warn("the next scan of library '%s' removes from Immich its assets %s (the files stay on disk)"
                    % (name, ' and '.join(what)))
    result.update(changed=True, diff=dict(before=before, after=dict(before, **changes)))
    if not module.check_mode:
        result['library'] = client.update('/libraries/%s' % current['id'], changes)
    return result


def _view(lib):
    return dict((k, lib[k]) for k in ('name', 'ownerId', 'importPaths', 'exclusionPatterns'))


def _refused(paths, verdicts):
    """Message naming every import path the server refused, or '' when all are valid."""
    bad = ["import_paths[%d] '%s': %s" % (paths.index(v['importPath']) if v.get('importPath') in paths else -1,
                                          v.get('importPath'), v.get('message') or 'invalid')
           for v in verdicts if not v.get('isValid')]
    if not bad:
        return ''
    return 'the Immich server cannot use these import paths (it must mount each of them): ' + '; '.join(bad)


def _create(module, client, after):
    """POST /libraries once. When its answer is lost the library may exist anyway: read the libraries
    again and adopt the one with this name, instead of a retry that would make a second one."""
    body = dict((k, after[k]) for k in ('ownerId', 'name', 'importPaths', 'exclusionPatterns'))
    try:
        return client.post('/libraries', body)
    except (ImmichConnectionError, ImmichAPIError) as exc:
        if isinstance(exc, ImmichAPIError) and exc.status < 500:
            raise
        lost = exc
    made = [lib for lib in client.list_libraries() if lib.get('name') == after['name']]
    if len(made) == 1:
        module.warn("the answer to POST /libraries was lost (%s); library '%s' was created, id %s"
                    % (lost, after['name'], made[0]['id']))
        return made[0]
    module.fail_json(msg="POST /libraries failed (%s) and no library named '%s' exists now; nothing was created, "
                         "run the task again" % (lost, after['name']) if not made else
                     "POST /libraries failed (%s) and %d libraries named '%s' exist now; delete the extra ones in Immich"
                     % (lost, len(made), after['name']), changed=bool(made), library={})


def main():
    spec = immich_argument_spec()
    spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        owner=dict(type='str'),
        import_paths=dict(type='list', elements='str'),
        exclusion_patterns=dict(type='list', elements='str'),
        default_exclusions=dict(type='bool', default=True),
        validate=dict(type='bool', default=True),
        allow_data_loss=dict(type='bool', default=False),
        media_location=dict(type='path', default=DEFAULT_MEDIA_LOCATION),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_one_of=IMMICH_AUTH_REQUIRED_ONE_OF, required_together=IMMICH_AUTH_REQUIRED_TOGETHER)
    run_immich_module(module, run)


if __name__ == '__main__':
    main()
