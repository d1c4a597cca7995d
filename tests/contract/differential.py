"""Differential contract check: the same requests to the emulator and to the real Immich server of the
same version; status code, message and response shape (keys and JSON types) are compared.

Both backends start from the same state, made through their own APIs: an admin with an API key (all),
a narrow API key (library.read), a plain user with a session, one library over the photos folder.
Values that differ by nature (ids, timestamps, secrets, tokens, the media folder) are replaced by
placeholders before messages are compared; shapes ignore values altogether."""

import json
import os
import re
import urllib.error
import urllib.request

from tests.emulators.immich import start_emulator

ADMIN = ('admin@example.com', 'admin-Secret-42')
USER = ('user@example.com', 'user-Secret-43')
OTHER_V4 = '3f1c9a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d'
NIL = '00000000-0000-0000-0000-000000000000'

# (name, method, path, body, auth); {lib}, {key}, {photos}, {more}, {media}, {admin_id} are filled per backend.
# auth: none | admin | narrow | user | bad
REQUESTS = [
    ('ping', 'GET', '/server/ping', None, 'none'),
    ('version', 'GET', '/server/version', None, 'none'),
    ('features', 'GET', '/server/features', None, 'none'),
    ('server config', 'GET', '/server/config', None, 'none'),
    ('sign-up when an admin exists', 'POST', '/auth/admin-sign-up',
     {'email': 'x@example.com', 'password': 'p', 'name': 'x'}, 'none'),
    ('login, wrong password', 'POST', '/auth/login', {'email': ADMIN[0], 'password': 'wrong'}, 'none'),
    ('login', 'POST', '/auth/login', {'email': ADMIN[0], 'password': ADMIN[1]}, 'none'),
    ('login, not an email', 'POST', '/auth/login', {'email': 'nope', 'password': 'x'}, 'none'),
    ('me', 'GET', '/users/me', None, 'admin'),
    ('me, bad key', 'GET', '/users/me', None, 'bad'),
    ('me, no credentials', 'GET', '/users/me', None, 'none'),
    ('admin users', 'GET', '/admin/users', None, 'admin'),
    ('admin users as a user', 'GET', '/admin/users', None, 'user'),
    ('create user, email taken', 'POST', '/admin/users', {'email': USER[0], 'password': 'x', 'name': 'U'}, 'admin'),
    ('api keys', 'GET', '/api-keys', None, 'admin'),
    ('api key me', 'GET', '/api-keys/me', None, 'admin'),
    ('create key, unknown permission', 'POST', '/api-keys', {'name': 'k', 'permissions': ['library.raed']}, 'admin'),
    ('create key, more than the caller has', 'POST', '/api-keys', {'name': 'k', 'permissions': ['all']}, 'narrow'),
    ('update key (PUT)', 'PUT', '/api-keys/{key}', {'name': 'narrow', 'permissions': ['library.read']}, 'admin'),
    ('update key (PATCH)', 'PATCH', '/api-keys/{key}', {'name': 'narrow', 'permissions': ['library.read']}, 'admin'),
    ('libraries', 'GET', '/libraries', None, 'admin'),
    ('libraries as a user', 'GET', '/libraries', None, 'user'),
    ('libraries, narrow key', 'GET', '/libraries', None, 'narrow'),
    ('library', 'GET', '/libraries/{lib}', None, 'admin'),
    ('library that does not exist', 'GET', '/libraries/' + OTHER_V4, None, 'admin'),
    ('library, id not a UUID', 'GET', '/libraries/nope', None, 'admin'),
    ('create library', 'POST', '/libraries', {'ownerId': '{admin_id}', 'name': 'second', 'importPaths': ['{more}']}, 'admin'),
    ('create library, unknown property', 'POST', '/libraries', {'ownerId': '{admin_id}', 'name': 'x', 'bogus': 1}, 'admin'),
    ('create library, no owner', 'POST', '/libraries', {'name': 'x'}, 'admin'),
    ('create library, paths not a list', 'POST', '/libraries', {'ownerId': '{admin_id}', 'importPaths': '{photos}'}, 'admin'),
    ('update library (PUT), path missing', 'PUT', '/libraries/{lib}', {'importPaths': ['{photos}/nope']}, 'admin'),
    ('update library (PUT)', 'PUT', '/libraries/{lib}', {'exclusionPatterns': ['**/tmp/**']}, 'admin'),
    ('update library (PATCH)', 'PATCH', '/libraries/{lib}', {'exclusionPatterns': ['**/tmp/**']}, 'admin'),
    ('validate, nil UUID', 'POST', '/libraries/%s/validate' % NIL, {'importPaths': ['{photos}']}, 'admin'),
    ('validate, no library', 'POST', '/libraries/%s/validate' % OTHER_V4,
     {'importPaths': ['{photos}', '{photos}/nope', '{photos}/2025/screenshot.png', '{media}/library', 'relative']},
     'admin'),
    ('validate, narrow key', 'POST', '/libraries/%s/validate' % OTHER_V4, {'importPaths': ['{photos}']}, 'narrow'),
    ('statistics', 'GET', '/libraries/{lib}/statistics', None, 'admin'),
    ('scan', 'POST', '/libraries/{lib}/scan', None, 'admin'),
    ('scan, library that does not exist', 'POST', '/libraries/%s/scan' % OTHER_V4, None, 'admin'),
    ('delete library that does not exist', 'DELETE', '/libraries/' + OTHER_V4, None, 'admin'),
    ('system config', 'GET', '/system-config', None, 'admin'),
    ('system config defaults', 'GET', '/system-config/defaults', None, 'admin'),
    ('system config as a user', 'GET', '/system-config', None, 'user'),
    ('admin config (3.2+ only)', 'GET', '/admin/config', None, 'admin'),
    ('jobs', 'GET', '/jobs', None, 'admin'),
    ('queues', 'GET', '/queues', None, 'admin'),
    ('job command, unknown', 'PUT', '/jobs/library', {'command': 'bogus'}, 'admin'),
]
# Config PUTs are built from the backend's own config (PUT takes the whole object).
CONFIG_EDITS = [
    ('config: bad cron', ('library', 'scan', 'cronExpression'), 'every night'),
    ('config: wrong type', ('library', 'scan', 'enabled'), 'yes'),
    ('config: smtp enabled without from', ('notifications', 'smtp', 'enabled'), True),
]


class Side(object):
    """One backend: base URL plus the credentials and ids of the common state."""

    def __init__(self, name, base_url, photos, more, media):
        self.name, self.base_url = name, base_url
        self.fill = {'photos': photos, 'more': more, 'media': media}
        self.creds = {}

    def call(self, method, path, body=None, auth='none'):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + '/api' + path, data=data, method=method)
        if data is not None:
            request.add_header('Content-Type', 'application/json')
        if auth in ('admin', 'narrow', 'bad'):
            request.add_header('x-api-key', self.creds.get(auth, 'Bogus-Key-1'))
        elif auth == 'user':
            request.add_header('Authorization', 'Bearer ' + self.creds['user'])
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def prepare(self):
        """The common state, through the API."""
        self.call('POST', '/auth/admin-sign-up', {'email': ADMIN[0], 'password': ADMIN[1], 'name': 'Admin'})
        token = self.call('POST', '/auth/login', {'email': ADMIN[0], 'password': ADMIN[1]})[1]['accessToken']
        self.creds['token'] = token
        self.creds['admin'] = self._key(token, 'admin', ['all'])
        narrow_status, narrow = self._raw_key(token, 'narrow', ['library.read', 'apiKey.create'])
        self.creds['narrow'] = narrow['secret']
        self.fill['key'] = narrow['apiKey']['id']
        me = self.call('GET', '/users/me', auth='admin')[1]
        self.fill['admin_id'] = me['id']
        self.call('POST', '/admin/users', {'email': USER[0], 'password': USER[1], 'name': 'User'}, auth='admin')
        self.creds['user'] = self.call('POST', '/auth/login', {'email': USER[0], 'password': USER[1]})[1]['accessToken']
        lib = self.call('POST', '/libraries', {'ownerId': me['id'], 'name': 'NAS photos',
                                               'importPaths': [self.fill['photos']]}, auth='admin')[1]
        self.fill['lib'] = lib['id']
        return narrow_status

    def _raw_key(self, token, name, permissions):
        request = urllib.request.Request(self.base_url + '/api/api-keys', method='POST',
                                         data=json.dumps({'name': name, 'permissions': permissions}).encode())
        request.add_header('Content-Type', 'application/json')
        request.add_header('Authorization', 'Bearer ' + token)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read().decode())

    def _key(self, token, name, permissions):
        return self._raw_key(token, name, permissions)[1]['secret']

    def substitute(self, value):
        if isinstance(value, str):
            return value.format(**self.fill) if '{' in value else value
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, dict):
            return dict((k, self.substitute(v)) for k, v in value.items())
        return value

    def normalize(self, text):
        """Placeholders for what differs by nature between two servers."""
        text = str(text)
        for key in ('media', 'photos', 'more'):
            text = text.replace(self.fill[key], '{%s}' % key)
        text = re.sub(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '{uuid}', text)
        text = re.sub(r'/usr/src/app/|%s/' % re.escape(os.getcwd()), '{cwd}/', text)
        return text


def shape(value):
    """Keys and JSON types, recursively (lists: the shape of their first element)."""
    if isinstance(value, dict):
        return dict((k, shape(v)) for k, v in sorted(value.items()))
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'number'
    return 'string'


def message_of(body):
    if isinstance(body, dict) and 'message' in body:
        message = body['message']
        return '; '.join(message) if isinstance(message, list) else str(message)
    return ''


def shape_diff(left, right, where=''):
    """First few paths where two shapes differ."""
    if isinstance(left, dict) and isinstance(right, dict):
        out = []
        for key in sorted(set(left) | set(right)):
            if key not in left:
                out.append('%s.%s only emulator' % (where, key))
            elif key not in right:
                out.append('%s.%s only real' % (where, key))
            else:
                out.extend(shape_diff(left[key], right[key], '%s.%s' % (where, key)))
        return out
    if isinstance(left, list) and isinstance(right, list):
        if left and right:
            return shape_diff(left[0], right[0], where + '[]')
        return []
    return [] if left == right else ['%s %s vs %s' % (where or '.', left, right)]


# Every answer, for a closer look when a row differs (IMMICH_CONTRACT_DUMP=<file> writes them).
DUMP = []

# Volatile parts of a body whose shape may legitimately differ (e.g. an error's own correlation id).
IGNORED_KEYS = ('correlationId', 'detail')


def _strip(body):
    if isinstance(body, dict):
        return dict((k, _strip(v)) for k, v in body.items() if k not in IGNORED_KEYS)
    if isinstance(body, list):
        return [_strip(v) for v in body]
    return body


def compare(emulator_side, real_side):
    """Rows: (name, method, path, real status, emulator status, differences)."""
    rows = []
    for name, method, path, body, auth in REQUESTS:
        rows.append(_compare_one(emulator_side, real_side, name, method, path, body, auth))
    for name, keys, value in CONFIG_EDITS:
        sides = []
        for side in (real_side, emulator_side):
            config = side.call('GET', '/system-config', auth='admin')[1]
            node = config
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = value
            sides.append(config)
        rows.append(_compare_one(emulator_side, real_side, name, 'PUT', '/system-config', None, 'admin',
                                 bodies=(sides[1], sides[0])))
    return rows


def _compare_one(emulator_side, real_side, name, method, path, body, auth, bodies=None):
    results = {}
    for index, side in enumerate((emulator_side, real_side)):
        payload = bodies[index] if bodies else side.substitute(body)
        status, answer = side.call(method, side.substitute(path), payload, auth)
        results[side.name] = (status, side.normalize(message_of(answer)), shape(_strip(answer)))
        DUMP.append((name, side.name, status, answer))
    emu, real = results[emulator_side.name], results[real_side.name]
    diffs = []
    if emu[0] != real[0]:
        diffs.append('status %s vs emulator %s' % (real[0], emu[0]))
    if emu[1] != real[1]:
        diffs.append('message %r vs emulator %r' % (real[1], emu[1]))
    diffs.extend(shape_diff(real[2], emu[2])[:6])
    return (name, method, path, real[0], emu[0], diffs)


def start_emulator_side(version, photos, more):
    emulator = start_emulator(version=version, mounts={photos: photos, more: more}, job_interval=0.01)[0]
    return emulator, Side('emulator', emulator.base_url, photos, more, '/data')


def table(version, rows):
    lines = ['Immich %s: emulator vs real server' % version,
             '%-40s %-6s %-46s %5s %5s  %s' % ('request', 'method', 'path', 'real', 'emu', 'differences')]
    for name, method, path, real_status, emu_status, diffs in rows:
        shown = '; '.join(diffs) if diffs else '-'
        lines.append('%-40s %-6s %-46s %5s %5s  %s' % (name[:40], method, path[:46], real_status, emu_status, shown))
    differing = sum(1 for row in rows if row[5])
    lines.append('%d requests compared, %d with differences' % (len(rows), differing))
    return '\n'.join(lines)
