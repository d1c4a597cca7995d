# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the Immich HTTP API, shared by the homelab.immich modules.

One class (ImmichClient) speaks to Immich: authentication, retries, typed errors,
version-dependent paths. The module argument spec lives here too so it is written once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import socket
import ssl
import time
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlparse

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import Request, SSLValidationError, make_context

from ansible_collections.homelab.immich.plugins.module_utils.k8s_service_proxy import (
    ServiceProxyError,
    service_proxy_transport,
)

# Immich fills these in when a library is created without exclusion patterns
# (server/src/services/library.service.ts, create(); the same six in 2.5.5 and 3.1.0: Synology,
# macOS resource forks, Synology/QNAP recycle bins and snapshots, Syncthing's versions and marker folder).
DEFAULT_EXCLUSION_PATTERNS = ['**/@eaDir/**', '**/._*', '**/#recycle/**', '**/#snapshot/**', '**/.stversions/**',
                              '**/.stfolder/**']

# Immich's media location in its container (IMMICH_MEDIA_LOCATION; /data since v2).
DEFAULT_MEDIA_LOCATION = '/data'

# POST /libraries/{id}/validate reads only the body: any well-formed id works, no library is needed.
# Well-formed means a version-4 UUID (the real server refuses the nil UUID: "id must be a UUID").
NIL_UUID = '00000000-0000-4000-8000-000000000000'

# Union of the Permission enum of @immich/sdk 2.4.0, 2.7.5, 3.0.0, 3.1.0 and 3.2.2. A value a given
# server does not know is rejected by that server (HTTP 400), and the module reports its message.
PERMISSIONS = frozenset([
    'all', 'activity.create', 'activity.read', 'activity.update', 'activity.delete', 'activity.statistics', 'apiKey.create', 'apiKey.read',
    'apiKey.update', 'apiKey.delete', 'apiKey.rotate', 'asset.read', 'asset.update', 'asset.delete', 'asset.statistics', 'asset.share', 'asset.view',
    'asset.download', 'asset.upload', 'asset.copy', 'asset.derive', 'assetFile.read', 'assetFile.delete', 'assetFile.download', 'asset.edit.get',
    'asset.edit.create', 'asset.edit.delete', 'album.create', 'album.read', 'album.update', 'album.delete', 'album.statistics', 'album.share',
    'album.download', 'albumAsset.create', 'albumAsset.delete', 'albumUser.create', 'albumUser.update', 'albumUser.delete', 'auth.changePassword',
    'authDevice.delete', 'archive.read', 'backup.list', 'backup.download', 'backup.upload', 'backup.delete', 'clusterGroup.read',
    'clusterGroup.leave', 'clusterGroupRequest.create', 'clusterGroupRequest.read', 'clusterGroupRequest.delete', 'adminConfig.read',
    'adminConfig.update', 'userConfig.read', 'duplicate.read', 'duplicate.delete', 'face.create', 'face.read', 'face.update', 'face.delete',
    'folder.read', 'job.create', 'job.read', 'library.create', 'library.read', 'library.update', 'library.delete', 'library.statistics',
    'timeline.read', 'timeline.download', 'maintenance', 'map.read', 'map.search', 'memory.create', 'memory.read', 'memory.update', 'memory.delete',
    'memory.statistics', 'memoryAsset.create', 'memoryAsset.delete', 'notification.create', 'notification.read', 'notification.update',
    'notification.delete', 'partner.create', 'partner.read', 'partner.update', 'partner.delete', 'person.create', 'person.read', 'person.update',
    'person.delete', 'person.statistics', 'person.merge', 'person.reassign', 'pinCode.create', 'pinCode.update', 'pinCode.delete', 'plugin.create',
    'plugin.read', 'plugin.update', 'plugin.delete', 'server.about', 'server.apkLinks', 'server.storage', 'server.statistics', 'server.versionCheck',
    'serverLicense.read', 'serverLicense.update', 'serverLicense.delete', 'session.create', 'session.read', 'session.update', 'session.delete',
    'session.lock', 'sharedLink.create', 'sharedLink.read', 'sharedLink.update', 'sharedLink.delete', 'stack.create', 'stack.read', 'stack.update',
    'stack.delete', 'sync.stream', 'syncCheckpoint.read', 'syncCheckpoint.update', 'syncCheckpoint.delete', 'systemConfig.read',
    'systemConfig.update', 'systemMetadata.read', 'systemMetadata.update', 'tag.create', 'tag.read', 'tag.update', 'tag.delete', 'tag.asset',
    'user.read', 'user.update', 'userLicense.create', 'userLicense.read', 'userLicense.update', 'userLicense.delete', 'userOnboarding.read',
    'userOnboarding.update', 'userOnboarding.delete', 'userPreference.read', 'userPreference.update', 'userProfileImage.create',
    'userProfileImage.read', 'userProfileImage.update', 'userProfileImage.delete', 'queue.read', 'queue.update', 'queueJob.create', 'queueJob.read',
    'queueJob.update', 'queueJob.delete', 'workflow.create', 'workflow.read', 'workflow.update', 'workflow.delete', 'workflow.logs',
    'adminUser.create', 'adminUser.read', 'adminUser.update', 'adminUser.delete', 'adminSession.read', 'adminAuth.unlinkAll', 'asset.replace',
])

# Union of the QueueName enum of the same SDK versions.
QUEUE_NAMES = frozenset([
    'thumbnailGeneration', 'metadataExtraction', 'videoConversion', 'faceDetection', 'facialRecognition', 'smartSearch',
    'duplicateDetection', 'backgroundTask', 'storageTemplateMigration', 'migration', 'search', 'sidecar', 'library',
    'notifications', 'backupDatabase', 'ocr', 'workflow', 'integrityCheck', 'editor',
])

QUEUE_COUNT_KEYS = ('active', 'completed', 'delayed', 'failed', 'paused', 'waiting')

# Only these answers are worth retrying: the request did not reach a healthy server. A request that is
# not idempotent (a POST that creates something) is retried only when the connection was refused, i.e.
# it certainly never reached the server: after a 502/504, a timeout or a dropped connection it may have
# been carried out, and a second one would make a second library (the caller re-reads and decides).
RETRY_STATUSES = frozenset([502, 503, 504])
MAX_BACKOFF = 30.0
DEFAULT_BACKOFF = 1.0

UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


class ImmichError(Exception):
    """Anything that stops a module from talking to Immich as asked."""


class ImmichConnectionError(ImmichError):
    """Immich could not be reached (refused, timed out, TLS failure, dropped connection)."""


class ImmichAPIError(ImmichError):
    """Immich answered with an HTTP error; ``message`` is Immich's own message."""

    def __init__(self, method, path, status, message, attempts=1):
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.attempts = attempts
        text = '%s %s returned HTTP %s: %s' % (method, path, status, message)
        if attempts > 1:
            text += ' (after %d attempts)' % attempts
        super(ImmichAPIError, self).__init__(text)


def immich_argument_spec(auth=True):
    """Connection options shared by every module (documented in the homelab.immich.immich doc fragment)."""
    spec = dict(
        api_url=dict(type='str', fallback=(env_fallback, ['IMMICH_URL'])),
        api_service=dict(type='dict', options=dict(
            namespace=dict(type='str', required=True),
            name=dict(type='str', required=True),
            port=dict(type='int', default=2283),
            scheme=dict(type='str', default='http', choices=['http', 'https']),
        )),
        kubeconfig=dict(type='raw', fallback=(env_fallback, ['K8S_AUTH_KUBECONFIG'])),
        context=dict(type='str', fallback=(env_fallback, ['K8S_AUTH_CONTEXT'])),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='int', default=30),
        retries=dict(type='int', default=3),
    )
    if auth:
        spec.update(
            api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['IMMICH_API_KEY'])),
            email=dict(type='str'),
            password=dict(type='str', no_log=True),
        )
    return spec


# AnsibleModule keyword arguments for modules that must authenticate.
IMMICH_AUTH_REQUIRED_ONE_OF = [('api_key', 'email')]
IMMICH_AUTH_REQUIRED_TOGETHER = [('email', 'password')]


def normalize_api_url(api_url):
    """Return the API root (``https://host[:port][/prefix]/api``) for a URL given with or without ``/api``."""
    text = (api_url or '').strip()
    parsed = urlparse(text)
    if parsed.scheme not in ('http', 'https') or not parsed.hostname:
        raise ImmichError("api_url must be an http(s) URL such as https://photos.example.com, got '%s'" % text)
    try:
        parsed.port  # pylint: disable=pointless-statement
    except ValueError:
        raise ImmichError("api_url has an invalid port: '%s'" % text)
    if parsed.username is not None or parsed.password is not None:
        # Never echo it: the URL holds credentials.
        raise ImmichError('api_url must not contain credentials; use api_key, or email and password')
    if parsed.query or parsed.fragment:
        raise ImmichError("api_url must not contain a query or fragment, got '%s'" % text)
    path = parsed.path.rstrip('/')
    if path.endswith('/api'):
        path = path[:-len('/api')]
    return '%s://%s%s/api' % (parsed.scheme, parsed.netloc, path)


def _error_message(body, default):
    """Extract Immich's message from an error body: 2.x sends message as a string or a list of
    class-validator messages; 3.x sends 'Validation failed' plus zod issues in ``errors``."""
    try:
        data = json.loads(to_text(body, errors='surrogate_or_replace'))
    except (ValueError, TypeError):
        text = to_text(body, errors='surrogate_or_replace').strip()
        return text[:300] if text else default
    if not isinstance(data, dict):
        return default
    message = data.get('message', default)
    if isinstance(message, list):
        message = '; '.join(to_text(m) for m in message)
    message = to_text(message)
    issues = data.get('errors')
    if isinstance(issues, list) and issues:
        parts = []
        for issue in issues:
            if isinstance(issue, dict):
                where = '.'.join(to_text(p) for p in issue.get('path') or [])
                parts.append('%s: %s' % (where, issue.get('message')) if where else to_text(issue.get('message')))
        if parts:
            message = '%s (%s)' % (message, '; '.join(parts))
    return message


class ImmichClient(object):
    """HTTP client for one Immich server.

    Authenticates with an API key (``x-api-key``) or with email and password (``POST /auth/login``,
    then ``x-immich-user-token``). Retries connection errors and HTTP 502/503/504 with exponential
    backoff; never retries other statuses. Reads ``/server/version`` once.
    """

    backoff = DEFAULT_BACKOFF

    def __init__(self, api_url, api_key=None, email=None, password=None, validate_certs=True, ca_path=None,
                 timeout=30, retries=3, backoff=None, client_cert=None, client_key=None, headers=None):
        self.api_root = normalize_api_url(api_url)
        # The API server's credentials when Immich is reached through its service proxy (from_module).
        self.client_cert = client_cert
        self.client_key = client_key
        self.transport_headers = dict(headers or {})
        self.api_key = api_key
        self.email = email
        self.password = password
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = max(0, int(retries))
        if backoff is not None:
            self.backoff = backoff
        self._token = None
        self._transport = None
        self._version = None
        self._me = None

    @classmethod
    def from_module(cls, module):
        params = module.params
        connection = dict(api_url=params.get('api_url'), validate_certs=params['validate_certs'],
                          ca_path=params.get('ca_path'))
        if bool(params.get('api_url')) == bool(params.get('api_service')):
            raise ImmichError('set one of api_url (Immich\'s URL) and api_service (its Service, reached through '
                              'the Kubernetes API server)')
        if params.get('api_service'):
            try:
                proxy = service_proxy_transport(params['api_service'], params.get('kubeconfig'), params.get('context'))
            except ServiceProxyError as exc:
                raise ImmichError(to_native(exc))
            connection = dict(api_url=proxy['url'], validate_certs=proxy['validate_certs'], ca_path=proxy['ca_path'],
                              client_cert=proxy['client_cert'], client_key=proxy['client_key'],
                              headers=proxy['headers'])
        return cls(
            api_key=params.get('api_key'),
            email=params.get('email'),
            password=params.get('password'),
            timeout=params['timeout'],
            retries=params['retries'],
            **connection
        )

    @property
    def has_credentials(self):
        return bool(self.api_key or (self.email and self.password))

    # -- transport -----------------------------------------------------------------------------

    def _open(self, method, url, data, headers):
        if self._transport is None:
            # One TLS context per client: building it reads the CA bundle, which costs more than a request.
            context = make_context(cafile=self.ca_path, validate_certs=self.validate_certs,
                                   client_cert=self.client_cert, client_key=self.client_key)
            self._transport = Request(timeout=self.timeout, validate_certs=self.validate_certs, ca_path=self.ca_path,
                                      http_agent='homelab.immich', follow_redirects='safe', use_netrc=False,
                                      context=context)
        return self._transport.open(method, url, data=data, headers=dict(self.transport_headers, **headers))

    def request(self, method, path, body=None, query=None, auth=True, idempotent=None):
        """Send one request and return the decoded JSON body (None when empty).

        ``idempotent`` (default: every method but POST) says whether a retry after an answer that may
        come from a server that did the work (502, 503, 504, timeout, dropped connection) is safe."""
        if idempotent is None:
            idempotent = method != 'POST'
        url = self.api_root + path
        if query:
            url += '?' + urlencode(query)
        headers = {'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if auth:
            headers.update(self._auth_headers())

        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._open(method, url, data, headers)
                raw = response.read()
            except HTTPError as exc:
                raw_error = b''
                try:
                    raw_error = exc.read() or b''
                except Exception:  # pylint: disable=broad-except
                    pass
                if exc.code in RETRY_STATUSES and idempotent and attempt < attempts:
                    self._sleep(attempt)
                    continue
                message = _error_message(raw_error, to_native(exc.reason) or 'HTTP error')
                raise ImmichAPIError(method, path, exc.code, message, attempts=attempt)
            except SSLValidationError as exc:
                # A certificate problem does not heal by retrying.
                raise ImmichConnectionError('TLS verification failed for %s: %s' % (self.api_root, to_native(exc)))
            except (URLError, socket.timeout, OSError, HTTPException) as exc:
                reason = getattr(exc, 'reason', None) or exc
                if isinstance(reason, ssl.SSLError):
                    raise ImmichConnectionError('TLS error talking to %s: %s' % (self.api_root, to_native(reason)))
                refused = isinstance(reason, ConnectionRefusedError)
                if attempt < attempts and (idempotent or refused):
                    self._sleep(attempt)
                    continue
                raise ImmichConnectionError('cannot reach Immich at %s (%s %s): %s; gave up after %d attempt%s'
                                            % (self.api_root, method, path, to_native(reason), attempt,
                                               '' if attempt == 1 else 's'))
            if not raw:
                return None
            try:
                return json.loads(to_text(raw, errors='surrogate_or_strict'))
            except ValueError:
                raise ImmichAPIError(method, path, response.getcode(), 'response is not JSON: %s' % to_text(raw[:200]))
        raise ImmichConnectionError('unreachable')  # pragma: no cover - the loop always returns or raises

    def _sleep(self, attempt):
        time.sleep(min(self.backoff * (2 ** (attempt - 1)), MAX_BACKOFF))

    def get(self, path, query=None, auth=True):
        return self.request('GET', path, query=query, auth=auth)

    def post(self, path, body=None, auth=True, idempotent=False):
        return self.request('POST', path, body=body, auth=auth, idempotent=idempotent)

    def put(self, path, body=None):
        return self.request('PUT', path, body=body)

    def patch(self, path, body=None):
        return self.request('PATCH', path, body=body)

    def update(self, path, body):
        """Partial update of a library or API key: PATCH from 3.0 on (PUT is deprecated there), PUT before."""
        if self.version >= (3, 0, 0):
            return self.patch(path, body)
        return self.put(path, body)

    def delete(self, path):
        return self.request('DELETE', path)

    # -- authentication --------------------------------------------------------------------------

    def _auth_headers(self):
        if self.api_key:
            return {'x-api-key': self.api_key}
        if self.email and self.password:
            if self._token is None:
                self.login(self.email, self.password, remember=True)
            # Immich's own session header, not Authorization: the Kubernetes API server's proxy removes that one.
            return {'x-immich-user-token': self._token}
        raise ImmichError('this action needs credentials: set api_key, or email and password')

    def login(self, email, password, remember=False):
        """POST /auth/login; returns LoginResponseDto. Wrong credentials raise ImmichAPIError (401).

        With ``remember`` the session is used for later requests and closed by ``close()``.
        """
        # A login changes nothing a retry could double (a stray session expires): safe to retry.
        response = self.post('/auth/login', {'email': email, 'password': password}, auth=False, idempotent=True)
        if remember:
            self._token = response['accessToken']
        return response

    def close(self):
        """End the session this client opened with email and password, so runs do not pile up sessions."""
        if self._token is None:
            return
        token, self._token = self._token, None
        try:
            # Straight to the transport: no retries, a failed logout must not delay the task.
            self._open('POST', self.api_root + '/auth/logout', None,
                       {'Accept': 'application/json', 'x-immich-user-token': token})
        except Exception:  # pylint: disable=broad-except
            # Best effort: a stale session expires on its own; never fail a finished task for it.
            pass

    # -- server facts ---------------------------------------------------------------------------

    @property
    def version(self):
        """Server version as a tuple (major, minor, patch), read once."""
        if self._version is None:
            data = self.get('/server/version', auth=False)
            self._version = (int(data['major']), int(data['minor']), int(data['patch']))
        return self._version

    @property
    def version_string(self):
        return '%d.%d.%d' % self.version

    @property
    def config_path(self):
        """System configuration endpoint: ``/admin/config`` from 3.2 on, ``/system-config`` before."""
        return '/admin/config' if self.version >= (3, 2, 0) else '/system-config'

    def me(self):
        """GET /users/me (cached): the authenticated user, with ``isAdmin``."""
        if self._me is None:
            self._me = self.get('/users/me')
        return self._me

    # -- resources used by several modules -----------------------------------------------------

    def list_libraries(self):
        return self.get('/libraries') or []

    def library_statistics(self, library_id):
        return self.get('/libraries/%s/statistics' % quote(library_id, safe=''))

    def find_libraries(self, name_or_id):
        """Libraries whose id or name equals ``name_or_id``."""
        return [lib for lib in self.list_libraries() if lib.get('id') == name_or_id or lib.get('name') == name_or_id]

    def find_user(self, email_or_id):
        """The user (UserAdminResponseDto) with this id or email (case-insensitive), via the admin users list."""
        wanted = email_or_id.lower()
        key = 'id' if UUID_RE.match(email_or_id) else 'email'
        for user in self.get('/admin/users') or []:
            if (user.get(key) or '').lower() == wanted:
                return user
        return None

    def validate_import_paths(self, paths, library_id=None):
        """POST /libraries/{id}/validate: Immich's verdict per path ({importPath, isValid, message?}).

        Immich reads only the paths from the body and never looks the id up (2.5.5, 3.1.0), so a library
        that does not exist yet is validated with the nil UUID. The route wants an admin and, with an API
        key, the ``all`` permission (it names no narrower one). It changes nothing: safe to retry.
        """
        body = self.post('/libraries/%s/validate' % quote(library_id or NIL_UUID, safe=''),
                         {'importPaths': list(paths)}, idempotent=True) or {}
        return body.get('importPaths') or []

    def queue_counts(self):
        """Counts per queue as ``{name: {waiting, active, ..., isPaused}}``.

        ``GET /queues`` exists from 2.4 on; older servers (and any server answering 404) get ``GET /jobs``.
        """
        if self.version >= (2, 4, 0):
            try:
                return self._counts_from_queues(self.get('/queues'))
            except ImmichAPIError as exc:
                if exc.status != 404:
                    raise
        return self._counts_from_jobs(self.get('/jobs'))

    @staticmethod
    def _counts_from_queues(items):
        counts = {}
        for item in items or []:
            stats = item.get('statistics') or {}
            entry = dict((key, int(stats.get(key) or 0)) for key in QUEUE_COUNT_KEYS)
            entry['isPaused'] = bool(item.get('isPaused'))
            counts[item['name']] = entry
        return counts

    @staticmethod
    def _counts_from_jobs(data):
        counts = {}
        for name, item in (data or {}).items():
            stats = item.get('jobCounts') or {}
            entry = dict((key, int(stats.get(key) or 0)) for key in QUEUE_COUNT_KEYS)
            entry['isPaused'] = bool((item.get('queueStatus') or {}).get('isPaused'))
            counts[name] = entry
        return counts


def run_immich_module(module, run):
    """Run ``run(module, client)`` and exit the module with its result; turn client errors into fail_json.

    ``run`` returns the result dict (with ``changed``). Error messages never contain credentials:
    ImmichClient messages hold only method, path, status and Immich's own message.
    """
    try:
        client = ImmichClient.from_module(module)
    except ImmichError as exc:
        module.fail_json(msg=to_native(exc))
    try:
        result = run(module, client)
    except ImmichAPIError as exc:
        module.fail_json(msg=to_native(exc), status=exc.status, api_message=exc.message)
    except ImmichError as exc:
        module.fail_json(msg=to_native(exc))
    finally:
        client.close()
    module.exit_json(**result)
