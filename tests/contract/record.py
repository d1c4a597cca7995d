#!/usr/bin/env python
"""Record the emulator's contract for 2.5.5 and 3.1.0 from the REAL servers of those versions.

With `tests/upstream/immich/upstream up` running, this writes into tests/emulators/immich/contract.json,
per version: the config key tree and leaf types (from GET /system-config/defaults of that server; enum
names are taken from the SDK tree where the key is the same), the default config itself, the queue names
(GET /jobs) and the Permission enum (server/src/enum.ts of that version's source tarball). The emulator
then takes those versions' contract from their real server, not from an SDK of another version.

    .venv/bin/python tests/contract/record.py [VERSION...]
"""

import json
import os
import re
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [REPO, os.path.join(REPO, 'tests', 'unit', 'immich')]

from backends import RealBackend  # noqa: E402  pylint: disable=wrong-import-position
from tests.upstream.immich.common import upstream_file  # noqa: E402  pylint: disable=wrong-import-position

CONTRACT = os.path.join(REPO, 'tests', 'emulators', 'immich', 'contract.json')
# Values our runner's environment seeds into the defaults (IMMICH_MACHINE_LEARNING_ENABLED=false); a
# server without that variable has these.
ENV_SEEDED = {('machineLearning', 'enabled'): True}


def permissions_from_source(version):
    with tarfile.open(upstream_file('immich-server-src-v{v}.tar.gz', version)) as archive:
        text = archive.extractfile('server/src/enum.ts').read().decode()
    block = text[text.index('export enum Permission {'):]
    block = block[:block.index('\n}')]
    # Commented-out members (`// ASSET_CREATE = 'asset.create'`) are not part of the enum.
    return re.findall(r"^\s*[A-Za-z]\w*\s*=\s*'([^']+)'", block, re.M)


def leaf_type(value, sdk_leaf):
    if isinstance(sdk_leaf, str) and sdk_leaf.startswith('enum:'):
        return sdk_leaf
    if isinstance(sdk_leaf, list) and not isinstance(value, list) and value is not None:
        sdk_leaf = None
    if isinstance(sdk_leaf, list) and (value is None or isinstance(value, list)):
        return sdk_leaf
    if value is None:
        return ['nullable', 'num']
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'num'
    if isinstance(value, list):
        inner = value[0] if value else ''
        return ['list', leaf_type(inner, None)]
    return 'str'


def schema_from(defaults, sdk):
    out = {}
    sdk_plain = dict((k.rstrip('?'), (k, v)) for k, v in (sdk or {}).items())
    for key, value in defaults.items():
        sdk_key, sdk_leaf = sdk_plain.get(key, (key, None))
        name = sdk_key if sdk_key.rstrip('?') == key else key
        if isinstance(value, dict):
            out[name] = schema_from(value, sdk_leaf if isinstance(sdk_leaf, dict) else {})
        else:
            out[name] = leaf_type(value, sdk_leaf)
    return out


def record(version, data):
    backend = RealBackend(version, '/tmp', '/tmp')
    try:
        backend.reset()
        backend.bootstrap_admin()
        defaults = backend.call('GET', '/system-config/defaults', key=backend.admin_key)
        for path, value in ENV_SEEDED.items():
            node = defaults
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        queues = sorted(backend.call('GET', '/jobs', key=backend.admin_key))
    finally:
        backend.reset()
        backend.stop()
    sdk_versions = sorted((tuple(int(p) for p in v.split('.')), v) for v, d in data['versions'].items()
                          if not d.get('real'))
    sdk = [name for number, name in sdk_versions if number <= tuple(int(p) for p in version.split('.'))][-1]
    base = data['versions'][sdk]
    return {'real': True, 'sdk': sdk, 'permissions': permissions_from_source(version), 'queues': queues,
            'config_schema': schema_from(defaults, base['config_schema']), 'config_enums': base['config_enums'],
            'config_defaults': defaults}


def main(versions):
    with open(CONTRACT) as handle:
        data = json.load(handle)
    for version in versions:
        data['versions'][version] = record(version, data)
        print('recorded %s: %d permissions, %d queues, %d config sections'
              % (version, len(data['versions'][version]['permissions']), len(data['versions'][version]['queues']),
                 len(data['versions'][version]['config_schema'])))
    data['_source_real'] = ('Versions marked real: recorded by tests/contract/record.py from the real server of '
                            'that version (config defaults and key tree, GET /jobs queue names) and its source '
                            '(Permission enum); enum names from the SDK entry named in sdk.')
    with open(CONTRACT, 'w') as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write('\n')


if __name__ == '__main__':
    main(sys.argv[1:] or ['2.5.5', '3.1.0'])
