"""HTTP front of the emulated Immich: routing, auth rules, validation, request log and fault switches.

Everything under ``/api`` behaves like Immich (paths, status codes, bodies and messages follow
@immich/sdk and the server source). ``/__emulator/*`` is for tests only:

- ``GET /__emulator/requests``     the request log: [{seq, method, path, query, status, write, auth}]
- ``POST /__emulator/reset-log``   empty the request log
- ``GET|POST /__emulator/faults``  read/set {fail_next, fail_status, drop_next, delay, path_prefix}
- ``GET /__emulator/health``       {version, sdk, idle}
- ``POST /__emulator/reset``       forget all users, keys, libraries, assets and settings

``write`` in the log marks requests that ask Immich to change something (whatever their status);
login, logout and import-path validation are not writes.
"""

import copy
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import validation
from .contract import Contract
from .jobs import JobRunner
from .state import State, now_iso
from .storage import Storage

REASONS = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error',
           502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout'}


class HttpError(Exception):
    def __init__(self, status, message, body=None):
        super(HttpError, self).__init__(message)
        self.status = status
        self.message = message
        self.body = body


class ValidationFailed(Exception):
    def __init__(self, issues):
        super(ValidationFailed, self).__init__('validation failed')
        self.issues = issues


NAME = {'type': 'string', 'required': False, 'not_empty': True}
PATHS = {'type': 'array', 'required': False, 'items': {'type': 'string', 'not_empty': True}, 'unique': True, 'max_items': 128}
LOGIN = {'email': {'type': 'email', 'not_empty': True}, 'password': {'type': 'string', 'not_empty': True}}
SIGN_UP = dict(LOGIN, name={'type': 'string', 'not_empty': True})
USER_CREATE = dict(SIGN_UP, isAdmin={'type': 'boolean', 'required': False},
                   shouldChangePassword={'type': 'boolean', 'required': False})
LIBRARY_CREATE = {'ownerId': {'type': 'uuid'}, 'name': NAME, 'importPaths': PATHS, 'exclusionPatterns': PATHS}
LIBRARY_UPDATE = {'name': NAME, 'importPaths': PATHS, 'exclusionPatterns': PATHS}
LIBRARY_VALIDATE = {'importPaths': PATHS, 'exclusionPatterns': PATHS}
QUEUE_COMMANDS = ['start', 'pause', 'resume', 'empty', 'clear-failed']


class Route(object):
    def __init__(self, method, pattern, handler, access, permission=None, write=False, status=200, since=None):
        self.method = method
        self.regex = re.compile('^' + re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', pattern) + '$')
        self.pattern = pattern
        self.handler = handler
        self.access = access          # public | user | admin
        self.permission = permission  # API key permission, None = no check
        self.write = write
        self.status = status
        self.since = since


ROUTES = [
    Route('GET', '/server/ping', 'ping', 'public'),
    Route('GET', '/server/version', 'version', 'public'),
    Route('GET', '/server/features', 'features', 'public'),
    Route('GET', '/server/config', 'server_config', 'public'),
    Route('POST', '/auth/login', 'login', 'public', status=201),
    Route('POST', '/auth/logout', 'logout', 'user'),
    Route('POST', '/auth/admin-sign-up', 'admin_sign_up', 'public', write=True, status=201),
    Route('GET', '/users/me', 'users_me', 'user', 'user.read'),
    Route('GET', '/admin/users', 'admin_users', 'admin', 'adminUser.read'),
    Route('POST', '/admin/users', 'admin_user_create', 'admin', 'adminUser.create', write=True, status=201),
    Route('GET', '/api-keys', 'api_keys', 'user', 'apiKey.read'),
    Route('POST', '/api-keys', 'api_key_create', 'user', 'apiKey.create', write=True, status=201),
    Route('GET', '/api-keys/me', 'api_key_me', 'user', False),
    Route('GET', '/api-keys/{id}', 'api_key_get', 'user', 'apiKey.read'),
    Route('PUT', '/api-keys/{id}', 'api_key_update', 'user', 'apiKey.update', write=True),
    Route('PATCH', '/api-keys/{id}', 'api_key_update', 'user', 'apiKey.update', write=True, since=(3, 0, 0)),
    Route('DELETE', '/api-keys/{id}', 'api_key_delete', 'user', 'apiKey.delete', write=True, status=204),
    Route('GET', '/libraries', 'libraries', 'admin', 'library.read'),
    Route('POST', '/libraries', 'library_create', 'admin', 'library.create', write=True, status=201),
    Route('GET', '/libraries/{id}', 'library_get', 'admin', 'library.read'),
    Route('PUT', '/libraries/{id}', 'library_update', 'admin', 'library.update', write=True),
    Route('PATCH', '/libraries/{id}', 'library_update', 'admin', 'library.update', write=True, since=(3, 0, 0)),
    Route('DELETE', '/libraries/{id}', 'library_delete', 'admin', 'library.delete', write=True, status=204),
    Route('POST', '/libraries/{id}/scan', 'library_scan', 'admin', 'library.update', write=True, status=204),
    Route('GET', '/libraries/{id}/statistics', 'library_statistics', 'admin', 'library.statistics'),
    # The real route names no permission, so an API key needs `all` (auth.service: permission ?? all).
    Route('POST', '/libraries/{id}/validate', 'library_validate', 'admin', 'all'),
    Route('GET', '/system-config', 'config_get', 'admin', 'systemConfig.read'),
    Route('PUT', '/system-config', 'config_put', 'admin', 'systemConfig.update', write=True),
    Route('GET', '/system-config/defaults', 'config_defaults', 'admin', 'systemConfig.read'),
    Route('GET', '/admin/config', 'config_get', 'admin', 'adminConfig.read', since=(3, 2, 0)),
    Route('PUT', '/admin/config', 'config_put', 'admin', 'adminConfig.update', write=True, since=(3, 2, 0)),
    Route('GET', '/admin/config/defaults', 'config_defaults', 'admin', 'adminConfig.read', since=(3, 2, 0)),
    Route('GET', '/jobs', 'jobs', 'admin', 'job.read'),
    Route('PUT', '/jobs/{name}', 'job_command', 'admin', 'job.create', write=True),
    Route('GET', '/queues', 'queues', 'admin', 'queue.read', since=(2, 4, 0)),
]


class Auth(object):
    def __init__(self, user, api_key=None, token=None):
        self.user = user
        self.api_key = api_key
        self.token = token


def is_granted(requested, current):
    return 'all' in current or all(p in current for p in requested)


class ImmichEmulator(object):
    """An Immich server on loopback. ``start()`` it, talk to ``base_url``, ``stop()`` it."""

    def __init__(self, version='2.5.5', mounts=None, state_file=None, allow_setup=True, config_file=False,
                 job_interval=0.05, host='127.0.0.1', port=0):
        self.contract = Contract(version)
        self.storage = Storage(mounts)
        self.state = State(self.contract.default_config(), state_file)
        self.jobs = JobRunner(self.state, self.storage, self.contract.queues, interval=job_interval)
        self.allow_setup = allow_setup
        self.config_file = config_file
        self.config_fields = validation.schema_from_contract(self.contract.config_schema, self.contract.config_enums)
        self._log = []
        self._log_lock = threading.Lock()
        # method: only requests of this method are hit; after_handling: the request is carried out and only
        # its answer is replaced (a gateway losing the upstream's reply), as after a POST that did its work.
        self.faults = {'fail_next': 0, 'fail_status': 503, 'drop_next': 0, 'delay': 0.0, 'path_prefix': '',
                       'method': '', 'after_handling': False}
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.emulator = self
        self._thread = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def base_url(self):
        host, port = self.httpd.server_address[:2]
        return 'http://%s:%d' % (host, port)

    def start(self):
        self.jobs.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='immich-emulator-http', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.jobs.stop()
        self.state.save()

    # -- test helpers --------------------------------------------------------------------------

    @property
    def requests(self):
        with self._log_lock:
            return [dict(e) for e in self._log]

    def writes(self):
        return [e for e in self.requests if e['write']]

    def reset_log(self):
        with self._log_lock:
            del self._log[:]

    def set_faults(self, **faults):
        unknown = set(faults) - set(self.faults)
        if unknown:
            raise ValueError('unknown fault(s): %s' % ', '.join(sorted(unknown)))
        with self._log_lock:
            self.faults.update(faults)

    def clear_faults(self):
        self.set_faults(fail_next=0, fail_status=503, drop_next=0, delay=0.0, path_prefix='', method='',
                        after_handling=False)

    def create_user(self, email, password, name='User', is_admin=False):
        return self.state.add_user(email, password, name, is_admin)

    def create_api_key(self, email, permissions=('all',), name='test key'):
        """Returns the secret of a new key for the user with ``email``."""
        key, secret = self.state.add_api_key(self.state.user_by_email(email), name, permissions)
        return secret

    def wait_idle(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.jobs.idle():
                return True
            time.sleep(self.jobs.interval)
        return False

    def reset(self):
        with self.state.lock:
            self.state.users.clear()
            self.state.sessions.clear()
            self.state.api_keys.clear()
            self.state.libraries.clear()
            self.state.assets.clear()
            self.state.config = copy.deepcopy(self.state.default_config)
            self.state.onboarded = False
            for queue in self.jobs.queues.values():
                queue.waiting.clear()
                queue.active = []
            self.state.save()

    def _record(self, entry):
        with self._log_lock:
            entry['seq'] = len(self._log) + 1
            self._log.append(entry)

    def _take_fault(self, path, method=None):
        """Decide, atomically, what fault (if any) hits this request."""
        with self._log_lock:
            faults = self.faults
            if faults['path_prefix'] and not path.startswith(faults['path_prefix']):
                return None, 0.0
            if faults['method'] and method != faults['method']:
                return None, 0.0
            delay = float(faults['delay'] or 0)
            if faults['drop_next'] > 0:
                faults['drop_next'] -= 1
                return 'drop', delay
            if faults['fail_next'] > 0:
                faults['fail_next'] -= 1
                return 'fail', delay
            return None, delay

    # -- request handling (called from handler threads) -----------------------------------------

    def handle(self, method, raw_path, headers, raw_body):
        """Returns (status, body-or-None, route-or-None, auth kind)."""
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        if not path.startswith('/api/'):
            raise HttpError(404, 'Cannot %s %s' % (method, path))
        sub = path[len('/api'):]
        route, params = self._match(method, sub)
        if route is None:
            raise HttpError(404, 'Cannot %s %s' % (method, path))
        auth = self._authenticate(route, headers)
        body = None
        if raw_body:
            try:
                body = json.loads(raw_body.decode('utf-8'))
            except ValueError as exc:
                raise HttpError(400, 'Unexpected token in JSON: %s' % exc)
        if 'id' in params and not validation.UUID_RE.match(params['id']):
            raise ValidationFailed([validation.format_issue(['id'], 'uuid', 'id must be a UUID', 'Invalid UUID')])
        handler = getattr(self, 'h_' + route.handler)
        return route, auth, handler(auth=auth, body=body, params=params, query=query)

    def _match(self, method, sub):
        for route in ROUTES:
            if route.method != method:
                continue
            if route.since and self.contract.version < route.since:
                continue
            match = route.regex.match(sub)
            if match:
                return route, match.groupdict()
        return None, {}

    def _authenticate(self, route, headers):
        if route.access == 'public':
            return None
        state = self.state
        token = None
        authorization = headers.get('Authorization') or ''
        if authorization.lower().startswith('bearer '):
            token = authorization.split(' ', 1)[1].strip()
        token = token or headers.get('x-immich-user-token') or None
        api_secret = headers.get('x-api-key')
        with state.lock:
            if token:
                user = state.session_user(token)
                if user is None:
                    raise HttpError(401, 'Invalid user token')
                auth = Auth(user, token=token)
            elif api_secret:
                key = state.api_key_by_secret(api_secret)
                user = state.users.get(key['userId']) if key else None
                if user is None:
                    raise HttpError(401, 'Invalid API key')
                auth = Auth(user, api_key=key)
            else:
                raise HttpError(401, 'Authentication required')
        if route.access == 'admin' and not auth.user['isAdmin']:
            raise HttpError(403, 'Forbidden')
        if auth.api_key and route.permission and not is_granted([route.permission], auth.api_key['permissions']):
            raise HttpError(403, 'Missing required permission: %s' % route.permission)
        return auth

    def _validate(self, body, fields):
        issues = validation.validate(body if body is not None else {}, fields)
        if issues:
            raise ValidationFailed(issues)

    # -- server --------------------------------------------------------------------------------

    def h_ping(self, **_):
        return {'res': 'pong'}

    def h_version(self, **_):
        return self.contract.server_version()

    def h_features(self, **_):
        with self.state.lock:
            return self.contract.server_features(self.state.config, self.config_file)

    def h_server_config(self, **_):
        with self.state.lock:
            # IMMICH_ALLOW_SETUP=false (2.5.0+) reports the server initialized even with no admin.
            initialized = self.setup_disabled or self.state.admin() is not None
            return self.contract.server_config(self.state.config, initialized, self.state.onboarded)

    @property
    def setup_disabled(self):
        return not self.allow_setup and self.contract.version >= (2, 5, 0)

    # -- auth and users ------------------------------------------------------------------------

    def h_login(self, body, **_):
        self._validate(body, LOGIN)
        with self.state.lock:
            if not self.state.config['passwordLogin']['enabled']:
                raise HttpError(401, 'Password login has been disabled')
            user = self.state.user_by_email(body['email'])
            if not self.state.check_password(user, body['password']):
                raise HttpError(401, 'Incorrect email or password')
            token = self.state.new_session(user)
            return self.contract.login_response(user, token)

    def h_logout(self, auth, **_):
        if auth.token:
            self.state.end_session(auth.token)
        return {'redirectUri': '/auth/login?autoLaunch=0', 'successful': True}

    def h_admin_sign_up(self, body, **_):
        if self.setup_disabled:
            raise HttpError(400, 'Admin setup is disabled')
        self._validate(body, SIGN_UP)
        with self.state.lock:
            if self.state.admin() is not None:
                raise HttpError(400, 'The server already has an admin')
            user = self.state.add_user(body['email'], body['password'], body['name'], is_admin=True)
            return self.contract.user_admin(user)

    def h_users_me(self, auth, **_):
        return self.contract.user_admin(auth.user)

    def h_admin_users(self, query, **_):
        with_deleted = (query.get('withDeleted') or ['false'])[0] == 'true'
        wanted_id = (query.get('id') or [None])[0]
        with self.state.lock:
            users = [u for u in self.state.users.values() if (with_deleted or not u.get('deletedAt'))
                     and (wanted_id is None or u['id'] == wanted_id)]
            # Newest first, as the real server lists them.
            return [self.contract.user_admin(u) for u in sorted(users, key=lambda u: u['createdAt'], reverse=True)]

    def h_admin_user_create(self, body, **_):
        self._validate(body, USER_CREATE)
        with self.state.lock:
            if self.state.user_by_email(body['email']):
                raise HttpError(400, 'Email is not available' if self.contract.major3 else 'User exists')
            user = self.state.add_user(body['email'], body['password'], body['name'], body.get('isAdmin', False))
            return self.contract.user_admin(user)

    # -- API keys ------------------------------------------------------------------------------

    def _permissions_field(self, required):
        return {'type': 'array', 'required': required, 'min_items': 1,
                'items': {'type': 'enum', 'values': self.contract.permissions}}

    def _own_key(self, auth, key_id):
        key = self.state.api_keys.get(key_id)
        if key is None or key['userId'] != auth.user['id']:
            raise HttpError(400, 'API Key not found')
        return key

    def h_api_keys(self, auth, **_):
        with self.state.lock:
            keys = [k for k in self.state.api_keys.values() if k['userId'] == auth.user['id']]
            return [self.contract.api_key(k) for k in sorted(keys, key=lambda k: k['createdAt'])]

    def h_api_key_create(self, auth, body, **_):
        self._validate(body, {'name': {'type': 'string', 'required': False}, 'permissions': self._permissions_field(True)})
        if auth.api_key and not is_granted(body['permissions'], auth.api_key['permissions']):
            raise HttpError(400, 'Cannot grant permissions you do not have')
        key, secret = self.state.add_api_key(auth.user, body.get('name') or 'API Key', body['permissions'])
        return self.contract.api_key_created(key, secret)

    def h_api_key_me(self, auth, **_):
        if not auth.api_key:
            raise HttpError(403, 'Not authenticated with an API Key')
        with self.state.lock:
            return self.contract.api_key(self._own_key(auth, auth.api_key['id']))

    def h_api_key_get(self, auth, params, **_):
        with self.state.lock:
            return self.contract.api_key(self._own_key(auth, params['id']))

    def h_api_key_update(self, auth, params, body, **_):
        self._validate(body, {'name': {'type': 'string', 'required': False}, 'permissions': self._permissions_field(False)})
        with self.state.lock:
            key = self._own_key(auth, params['id'])
            if auth.api_key and body.get('permissions') and not is_granted(body['permissions'], auth.api_key['permissions']):
                raise HttpError(400, 'Cannot grant permissions you do not have')
            if body.get('name') is not None:
                key['name'] = body['name']
            if body.get('permissions') is not None:
                key['permissions'] = list(body['permissions'])
            key['updatedAt'] = now_iso()
            self.state.save()
            return self.contract.api_key(key)

    def h_api_key_delete(self, auth, params, **_):
        with self.state.lock:
            key = self._own_key(auth, params['id'])
            del self.state.api_keys[key['id']]
            self.state.save()

    # -- libraries -----------------------------------------------------------------------------

    def _library(self, library_id):
        lib = self.state.library(library_id)
        if lib is None:
            raise HttpError(400, 'Library not found')
        return lib

    def _library_body(self, lib):
        return self.contract.library(lib, len(self.state.library_assets(lib['id'])))

    def h_libraries(self, **_):
        with self.state.lock:
            libs = sorted(self.state.live_libraries(), key=lambda lib: lib['createdAt'])
            return [self._library_body(lib) for lib in libs]

    def h_library_create(self, body, **_):
        self._validate(body, LIBRARY_CREATE)
        with self.state.lock:
            if body['ownerId'] not in self.state.users:
                # Immich does not check the owner first; the database's foreign key refuses the insert.
                raise HttpError(500, 'Internal server error')
            stamp = now_iso()
            lib = {
                'id': str(uuid.uuid4()), 'ownerId': body['ownerId'], 'name': body.get('name') or 'New External Library',
                'importPaths': list(body.get('importPaths') or []),
                'exclusionPatterns': list(body['exclusionPatterns']) if body.get('exclusionPatterns') is not None
                else ['**/@eaDir/**', '**/._*', '**/#recycle/**', '**/#snapshot/**', '**/.stversions/**',
                      '**/.stfolder/**'],
                'createdAt': stamp, 'updatedAt': stamp, 'refreshedAt': None, 'deletedAt': None,
            }
            self.state.libraries[lib['id']] = lib
            self.state.save()
            return self._library_body(lib)

    def h_library_get(self, params, **_):
        with self.state.lock:
            return self._library_body(self._library(params['id']))

    def h_library_update(self, params, body, **_):
        self._validate(body, LIBRARY_UPDATE)
        with self.state.lock:
            lib = self._library(params['id'])
            if body.get('importPaths') is not None:
                for result in [self.storage.validate_import_path(p) for p in body['importPaths']]:
                    if not result['isValid']:
                        raise HttpError(400, 'Invalid import path: %s' % result['message'])
            for key in ('name', 'importPaths', 'exclusionPatterns'):
                if body.get(key) is not None:
                    lib[key] = copy.deepcopy(body[key])
            lib['updatedAt'] = now_iso()
            self.state.save()
            return self._library_body(lib)

    def h_library_delete(self, params, **_):
        with self.state.lock:
            lib = self._library(params['id'])
            # Soft delete now, assets and the row go in a background job, as in Immich.
            lib['deletedAt'] = now_iso()
            self.jobs.queue('library', 'LibraryDelete', id=lib['id'])
            self.state.save()

    def h_library_scan(self, params, **_):
        with self.state.lock:
            self._library(params['id'])
            self.jobs.scan_library(params['id'])

    def h_library_statistics(self, params, **_):
        with self.state.lock:
            self._library(params['id'])
            return self.state.statistics(params['id'])

    def h_library_validate(self, body, **_):
        # Immich validates the given paths only; the library id is not looked up.
        self._validate(body, LIBRARY_VALIDATE)
        return {'importPaths': [self.storage.validate_import_path(p) for p in body.get('importPaths') or []]}

    # -- system config -------------------------------------------------------------------------

    def h_config_get(self, **_):
        with self.state.lock:
            return copy.deepcopy(self.state.config)

    def h_config_defaults(self, **_):
        return copy.deepcopy(self.state.default_config)

    def h_config_put(self, body, **_):
        if self.config_file:
            raise HttpError(400, 'Cannot update configuration while IMMICH_CONFIG_FILE is in use')
        self._validate(body, self.config_fields)
        with self.state.lock:
            new = _strip(body, self.state.config)
            for path in (('library', 'scan', 'cronExpression'), ('backup', 'database', 'cronExpression')):
                value = new[path[0]][path[1]][path[2]]
                if not validation.valid_cron(value):
                    # 2.x: class-validator's message with the nested prefix; 3.x: zod custom issue with the
                    # cron library's own reason.
                    raise ValidationFailed([validation.Issue(
                        list(path), 'custom', '%s.%s.Invalid cron expression' % path[:2],
                        'Invalid cron expression. %s' % validation.cron_reason(value))])
            smtp = new['notifications']['smtp']
            if smtp['enabled']:
                if self.contract.major3:
                    # 3.x verifies the transport when enabled; the emulator reaches no mail server.
                    raise HttpError(400, 'Invalid SMTP configuration')
                empty = [p for p, v in (('notifications.smtp.from', smtp['from']),
                                        ('notifications.smtp.transport.host', smtp['transport']['host'])) if not v]
                if empty:
                    raise ValidationFailed([validation.Issue(p.split('.'), 'too_small', '%s should not be empty' % p,
                                                             None) for p in empty])
            self.state.config = new
            self.state.save()
            return copy.deepcopy(new)

    # -- jobs and queues -----------------------------------------------------------------------

    def h_jobs(self, **_):
        return self.jobs.jobs_response()

    def h_queues(self, **_):
        return self.jobs.queues_response()

    def h_job_command(self, params, body, **_):
        if params['name'] not in self.jobs.queues:
            raise ValidationFailed([validation.Issue(['name'], 'invalid_value',
                                                     'name must be one of the following values: %s' % ', '.join(self.jobs.queues),
                                                     'Invalid option')])
        self._validate(body, {'command': {'type': 'enum', 'values': QUEUE_COMMANDS},
                              'force': {'type': 'boolean', 'required': False}})
        return self.jobs.command(params['name'], body['command'])


def _strip(body, current):
    """The body restricted to known keys (whitelist / zod strip); optional keys missing keep their value."""
    out = {}
    for key, value in current.items():
        if key not in body:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(body[key], dict):
            out[key] = _strip(body[key], value)
        else:
            out[key] = copy.deepcopy(body[key])
    return out


class _Handler(BaseHTTPRequestHandler):
    server_version = 'immich-emulator'
    # Buffer the response so headers and body leave in one segment (no Nagle/delayed-ACK stalls).
    wbufsize = -1

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self._dispatch('GET')

    def do_POST(self):
        self._dispatch('POST')

    def do_PUT(self):
        self._dispatch('PUT')

    def do_DELETE(self):
        self._dispatch('DELETE')

    def do_PATCH(self):
        self._dispatch('PATCH')

    def _send(self, status, body):
        data = b'' if body is None else json.dumps(body).encode('utf-8')
        self.send_response(status)
        if body is not None:
            self.send_header('Content-Type', 'application/json; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _dispatch(self, method):
        emulator = self.server.emulator
        length = int(self.headers.get('Content-Length') or 0)
        raw_body = self.rfile.read(length) if length else b''
        path = urlsplit(self.path).path
        if path.startswith('/__emulator/'):
            return self._control(emulator, method, path, raw_body)

        entry = {'time': time.time(), 'method': method, 'path': path, 'query': urlsplit(self.path).query,
                 'status': 0, 'write': False,
                 'auth': 'api_key' if self.headers.get('x-api-key') else (
                     'bearer' if self.headers.get('Authorization') else None)}
        route = emulator._match(method, path[len('/api'):])[0] if path.startswith('/api/') else None
        entry['write'] = bool(route and route.write)

        fault, delay = emulator._take_fault(path, method)
        if delay:
            time.sleep(delay)
        if fault == 'fail' and emulator.faults.get('after_handling'):
            try:
                emulator.handle(method, self.path, self.headers, raw_body)
            except Exception:  # pylint: disable=broad-except
                pass  # whatever the server did, the client only sees the gateway's error
        if fault == 'drop':
            # Close without a response, like a proxy losing its upstream.
            emulator._record(entry)
            self.close_connection = True
            return None
        if fault == 'fail':
            status = int(emulator.faults.get('fail_status') or 503)
            entry['status'] = status
            emulator._record(entry)
            return self._send(status, {'message': REASONS.get(status, 'Error'), 'statusCode': status})

        correlation = uuid.uuid4().hex[:8]
        try:
            route, _auth, result = emulator.handle(method, self.path, self.headers, raw_body)
            status = route.status
            body = None if status == 204 else result
        except ValidationFailed as exc:
            status = 400
            body = validation.render(exc.issues, emulator.contract.major3)
            if not emulator.contract.major3:
                body.update(statusCode=400, correlationId=correlation)
        except HttpError as exc:
            status = exc.status
            body = {'message': exc.message, 'error': REASONS.get(status, 'Error'), 'statusCode': status,
                    'correlationId': correlation}
            if emulator.contract.major3:
                # The real 3.x answers errors with the message alone.
                body = {'message': exc.message}
        except Exception as exc:  # pylint: disable=broad-except
            status = 500
            body = {'message': 'Internal server error', 'statusCode': 500, 'correlationId': correlation,
                    'detail': repr(exc)}
        entry['status'] = status
        emulator._record(entry)
        return self._send(status, body)

    def _control(self, emulator, method, path, raw_body):
        try:
            payload = json.loads(raw_body.decode('utf-8')) if raw_body else {}
        except ValueError:
            return self._send(400, {'message': 'body must be JSON'})
        if path == '/__emulator/requests' and method == 'GET':
            return self._send(200, emulator.requests)
        if path == '/__emulator/reset-log' and method == 'POST':
            emulator.reset_log()
            return self._send(200, {'ok': True})
        if path == '/__emulator/faults':
            if method == 'POST':
                try:
                    emulator.set_faults(**payload)
                except (TypeError, ValueError) as exc:
                    return self._send(400, {'message': str(exc)})
            return self._send(200, dict(emulator.faults))
        if path == '/__emulator/health' and method == 'GET':
            return self._send(200, {'version': emulator.contract.version_string, 'sdk': emulator.contract.sdk_version,
                                    'idle': emulator.jobs.idle()})
        if path == '/__emulator/reset' and method == 'POST':
            emulator.reset()
            return self._send(200, {'ok': True})
        return self._send(404, {'message': 'unknown emulator endpoint %s %s' % (method, path)})


def start_emulator(version='2.5.5', mounts=None, **kwargs):
    """Start an emulator on a free loopback port; returns (emulator, base_url). Call ``emulator.stop()``."""
    emulator = ImmichEmulator(version=version, mounts=mounts, **kwargs).start()
    return emulator, emulator.base_url
