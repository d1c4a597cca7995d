# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON-RPC 2.0 client for the TrueNAS 25.04+ WebSocket API (``/api/current``).

Only what the homelab.immich modules need: API-key login, calls with a deadline,
waiting for jobs, and errors that carry TrueNAS's own message. Synchronous on purpose:
an Ansible module makes a handful of calls and exits, so threads or an event loop
would only add failure modes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re
import socket
import ssl
import time
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
    from websockets.sync.client import connect as ws_connect
except ImportError:  # guarded so ansible-test's import sanity passes; modules report missing_required_lib
    HAS_WEBSOCKETS = False
    WEBSOCKETS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_WEBSOCKETS = True
    WEBSOCKETS_IMPORT_ERROR = None

API_PATH = '/api/current'
# The JSON-RPC WebSocket API (and the methods used here) exist from 25.04 on; 24.10 and
# older only serve REST and the legacy /websocket protocol.
MIN_VERSION = (25, 4)
# service.control (a job) replaced service.start/stop in 25.10; 26.04 removed the old ones.
SERVICE_CONTROL_SINCE = (25, 10)
JOB_FINAL_STATES = ('SUCCESS', 'FAILED', 'ABORTED')
JOB_POLL_INTERVAL = 0.25
# pool.dataset.query answers on big pools are larger than websockets' 1 MiB default.
MAX_MESSAGE_SIZE = 64 * 1024 * 1024

# JSON-RPC error codes TrueNAS uses (truenas_api_client/jsonrpc.py).
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
TRUENAS_CALL_ERROR = -32001


class TrueNASError(Exception):
    """A failed TrueNAS call, carrying TrueNAS's own message.

    ``code`` is the JSON-RPC error code (None for transport problems), ``errname`` the errno
    name TrueNAS reports (EINVAL, ENOENT, ...), ``extra`` the ValidationErrors list of
    ``[attribute, message, errno]``.
    """

    def __init__(self, method, code=None, message='', errname=None, extra=None):
        self.method = method
        self.code = code
        self.message = message
        self.errname = errname
        self.extra = extra or []
        super(TrueNASError, self).__init__(str(self))

    def __str__(self):
        return '%s: %s' % (self.method, self.message) if self.method else self.message

    def as_dict(self):
        """Fields to hand to ``fail_json`` next to ``msg``."""
        return dict(method=self.method, code=self.code, errname=self.errname, extra=self.extra)


class TrueNASConnectionError(TrueNASError):
    """The NAS could not be reached, the TLS or WebSocket handshake failed, or the connection dropped."""


class TrueNASTimeout(TrueNASConnectionError):
    """No answer within the deadline."""


class TrueNASAuthError(TrueNASError):
    """The API key was refused."""


class TrueNASUnsupportedVersion(TrueNASError):
    """The NAS runs a release older than MIN_VERSION."""


def truenas_argument_spec():
    """Connection options shared by every truenas_* module (documented in doc_fragments/truenas.py)."""
    return dict(
        host=dict(type='str', required=True, fallback=(env_fallback, ['TRUENAS_HOST'])),
        api_key=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['TRUENAS_API_KEY'])),
        scheme=dict(type='str', default='wss', choices=['wss', 'ws']),
        port=dict(type='int'),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['TRUENAS_VALIDATE_CERTS'])),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=30.0),
    )


def parse_version(text):
    """``"TrueNAS-SCALE-25.04.2"``, ``"TrueNAS-25.10.1"`` or ``"26.04.0"`` -> ``(25, 4, 2)`` ...; None if no version."""
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def format_version(version):
    return '%d.%02d.%d' % version if version else 'unknown'


def is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host.strip('[]')).is_loopback
    except ValueError:
        return False


class TrueNASClient:
    """One authenticated WebSocket session. Use as a context manager or call ``close()``."""

    def __init__(self, host, api_key, scheme='wss', port=None, validate_certs=True, ca_path=None, timeout=30.0):
        self.host = host
        self.scheme = scheme
        self.port = port
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = float(timeout)
        self._api_key = api_key
        self._ws = None
        self._next_id = 0
        self.version = None
        self.version_string = None

    # -- connection -----------------------------------------------------------------------

    @property
    def url(self):
        host = '[%s]' % self.host if ':' in self.host and not self.host.startswith('[') else self.host
        port = ':%d' % self.port if self.port else ''
        return '%s://%s%s%s' % (self.scheme, host, port, API_PATH)

    def _ssl_context(self):
        if self.scheme != 'wss':
            return None
        context = ssl.create_default_context(cafile=self.ca_path)
        if not self.validate_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self):
        kwargs = dict(
            ssl=self._ssl_context(),
            open_timeout=self.timeout,
            close_timeout=min(self.timeout, 5.0),
            max_size=MAX_MESSAGE_SIZE,
            user_agent_header='homelab.immich',
        )
        try:
            # A NAS sits on the LAN: never route its API through an HTTP(S)_PROXY from the
            # environment (websockets >= 15 would; 14 has no proxy support and no such argument).
            connection = ws_connect(self.url, proxy=None, **kwargs)
        except TypeError:
            connection = ws_connect(self.url, **kwargs)
        # Entering the connection marks it as managed here (websockets >= 17.1 warns otherwise);
        # close() ends it. Works the same on 14-16, where __enter__ just returns the connection.
        return connection.__enter__()

    def connect(self):
        """Open the WebSocket, log in with the API key and check the release. Returns self."""
        if not HAS_WEBSOCKETS:
            raise TrueNASConnectionError(None, message=missing_required_lib('websockets'))
        if self.scheme == 'ws' and not is_loopback(self.host):
            # TrueNAS revokes a user-linked API key that is presented over plain HTTP/WS.
            raise TrueNASConnectionError(None, message=(
                'refusing to send the API key to %s over unencrypted ws://: TrueNAS revokes API keys '
                'used over an insecure transport; use scheme wss (plain ws is only allowed for loopback '
                'test servers)' % self.host))
        try:
            self._ws = self._open()
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 404:
                raise TrueNASUnsupportedVersion(None, message=(
                    '%s answered HTTP 404 for %s: the JSON-RPC API exists from TrueNAS %d.%02d on; '
                    'older releases are not supported' % (self.host, API_PATH, MIN_VERSION[0], MIN_VERSION[1])))
            raise TrueNASConnectionError(None, message='%s refused the WebSocket handshake at %s: HTTP %d'
                                         % (self.host, self.url, status))
        except ssl.SSLCertVerificationError as exc:
            raise TrueNASConnectionError(None, message=(
                'the TLS certificate of %s could not be verified (%s); set ca_path to the CA that signed it, '
                'or validate_certs: false on a trusted network' % (self.host, exc.verify_message or exc)))
        except (TimeoutError, socket.timeout):
            raise TrueNASTimeout(None, message='timed out after %gs connecting to %s' % (self.timeout, self.url))
        except InvalidURI as exc:
            raise TrueNASConnectionError(None, message='invalid TrueNAS address %s: %s' % (self.url, exc))
        except (OSError, InvalidHandshake) as exc:
            raise TrueNASConnectionError(None, message='cannot connect to %s: %s' % (self.url, exc))
        self._login()
        self._detect_version()
        return self

    def _login(self):
        # The key travels only in this request's params; it never appears in a message we build.
        if self.call('auth.login_with_api_key', self._api_key) is not True:
            raise TrueNASAuthError('auth.login_with_api_key', message=(
                '%s rejected the API key (login returned false): check that the key exists, belongs to a '
                'user allowed to manage sharing and services, and has not been revoked' % self.host))

    def _detect_version(self):
        self.version_string = self.call('system.version')
        self.version = parse_version(self.version_string)
        if self.version is None:
            raise TrueNASUnsupportedVersion('system.version', message='cannot read a release number from %r'
                                            % self.version_string)
        if self.version[:2] < MIN_VERSION:
            raise TrueNASUnsupportedVersion('system.version', message=(
                '%s runs %s (%s); this collection needs TrueNAS %d.%02d or later'
                % (self.host, format_version(self.version), self.version_string, MIN_VERSION[0], MIN_VERSION[1])))

    def close(self):
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:  # pylint: disable=broad-except  # closing a broken socket must not mask the real error
                pass
            self._ws = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc_info):
        self.close()

    # -- calls ----------------------------------------------------------------------------

    @property
    def has_service_control(self):
        return bool(self.version) and self.version[:2] >= SERVICE_CONTROL_SINCE

    def call(self, method, *params, **kwargs):
        """Call ``method`` and return its result; raise TrueNASError with TrueNAS's message on error."""
        timeout = kwargs.get('timeout') or self.timeout
        if self._ws is None:
            raise TrueNASConnectionError(method, message='not connected to %s' % self.host)
        self._next_id += 1
        request_id = self._next_id
        request = dict(jsonrpc='2.0', id=request_id, method=method, params=list(params))
        deadline = time.monotonic() + timeout
        try:
            self._ws.send(json.dumps(request))
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError()
                message = json.loads(self._ws.recv(timeout=remaining))
                # Notifications (collection_update, ...) and stale answers are not ours.
                if isinstance(message, dict) and message.get('id') == request_id:
                    break
        except (TimeoutError, socket.timeout):
            self.close()
            raise TrueNASTimeout(method, message='no answer from %s within %gs' % (self.host, timeout))
        except ConnectionClosed as exc:
            self._ws = None
            raise TrueNASConnectionError(method, message=(
                'the connection to %s closed before the answer arrived (%s); the change may or may not '
                'have been applied, re-run to converge' % (self.host, exc)))
        except (OSError, ValueError) as exc:
            self.close()
            raise TrueNASConnectionError(method, message='error talking to %s: %s' % (self.host, exc))
        if 'error' in message:
            raise self._error(method, message['error'])
        return message.get('result')

    @staticmethod
    def _error(method, error):
        data = error.get('data') or {}
        if not isinstance(data, dict):
            data = {}
        extra = data.get('extra') or []
        reason = (data.get('reason') or '').strip()
        if error.get('code') == INVALID_PARAMS and extra and not reason:
            reason = '; '.join('%s: %s' % (item[0], item[1]) for item in extra)
        return TrueNASError(method, code=error.get('code'), message=reason or error.get('message') or 'error',
                            errname=data.get('errname'), extra=extra)

    def call_job(self, method, *params, **kwargs):
        """Call a job method (it answers with a job id) and wait for the job's result."""
        job_id = self.call(method, *params)
        return self.wait_job(method, job_id, timeout=kwargs.get('timeout') or self.timeout)

    def wait_job(self, method, job_id, timeout=None):
        # Polling core.get_jobs works on every release; subscriptions would need event plumbing
        # for a wait that is normally a few seconds.
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            jobs = self.call('core.get_jobs', [['id', '=', job_id]])
            job = jobs[0] if jobs else None
            if job is None:
                raise TrueNASError(method, message='job %s vanished from core.get_jobs' % job_id)
            if job.get('state') == 'SUCCESS':
                return job.get('result')
            if job.get('state') in JOB_FINAL_STATES:
                exc_info = job.get('exc_info') or {}
                reason = (job.get('error') or exc_info.get('repr') or 'job %s ended %s' % (job_id, job['state'])).strip()
                raise TrueNASError(method, code=TRUENAS_CALL_ERROR, message=reason,
                                   errname=exc_info.get('type'), extra=exc_info.get('extra'))
            if time.monotonic() >= deadline:
                raise TrueNASTimeout(method, message='job %s still %s after %gs' % (job_id, job.get('state'), timeout))
            time.sleep(JOB_POLL_INTERVAL)

    # -- service helpers shared by truenas_service and the info module ---------------------

    def get_service(self, name):
        services = self.call('service.query', [['service', '=', name]])
        return services[0] if services else None

    def control_service(self, verb, name, timeout=None):
        """Start or stop a service; True when it ends in the wanted state. Picks the API of this release."""
        options = {'silent': False}  # errors carry the service's failure log instead of a bare false
        if self.has_service_control:
            return self.call_job('service.control', verb.upper(), name, options, timeout=timeout)
        return self.call('service.%s' % verb.lower(), name, options, timeout=timeout)


def connect_module_client(module):
    """Connected TrueNASClient for an AnsibleModule, or fail_json with a clear message."""
    if not HAS_WEBSOCKETS:
        module.fail_json(msg=missing_required_lib('websockets'), exception=WEBSOCKETS_IMPORT_ERROR)
    params = module.params
    client = TrueNASClient(params['host'], params['api_key'], scheme=params['scheme'], port=params['port'],
                           validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                           timeout=params['timeout'])
    try:
        return client.connect()
    except TrueNASError as exc:
        client.close()
        module.fail_json(msg=str(exc), **exc.as_dict())


def fail_from_error(module, exc, **result):
    """fail_json for a TrueNASError raised after connecting."""
    fields = dict(result)
    fields.update(exc.as_dict())
    module.fail_json(msg=str(exc), **fields)


def run_truenas_module(module, run, result, *args):
    """Connect, call ``run(module, client, result, *args)``, close, and exit the module with ``result``.

    ``run`` fills ``result`` in place (``changed`` included), so a TrueNASError it raises fails the module
    with what was known by then: a write TrueNAS refused leaves ``changed`` false.
    """
    client = connect_module_client(module)
    result['truenas_version'] = client.version_string
    try:
        run(module, client, result, *args)
    except TrueNASError as exc:
        fail_from_error(module, exc, **result)
    finally:
        client.close()
    module.exit_json(**result)


# -- sharing.nfs: local normalisation and checks ------------------------------------------------
# They mirror what middlewared does to a share (nfs_/validators.py sanitize_networks, sanitize_hosts,
# SharingNFSService.validate), so that bad input fails before any call and a re-run compares equal.

SHARE_KEYS = ('path', 'comment', 'networks', 'hosts', 'ro', 'maproot_user', 'maproot_group',
              'mapall_user', 'mapall_group', 'security', 'enabled')
MAP_KEYS = ('maproot_user', 'maproot_group', 'mapall_user', 'mapall_group')
SECURITY_FLAVOURS = ('SYS', 'KRB5', 'KRB5I', 'KRB5P')


def check_share_path(path):
    """Raise ValueError unless ``path`` is a clean absolute path below /mnt/<pool>/."""
    if not path or not path.startswith('/'):
        raise ValueError('path must be absolute, e.g. /mnt/BigTank/photos/All (got %r)' % path)
    clean = '/' + '/'.join(part for part in path.split('/') if part)
    if clean != path or '/../' in path + '/' or '/./' in path + '/':
        raise ValueError('path must be normalised (no trailing slash, "//", "." or ".."): %r' % path)
    if not path.startswith('/mnt/') or path.count('/') < 2:
        raise ValueError('path must lie inside a pool, i.e. under /mnt/<pool>/ (got %r)' % path)


def _network_sort_key(network):
    return (network.version, int(network.network_address), network.prefixlen)


def normalize_networks(values):
    """CIDR strings as TrueNAS stores them (10.0.0.5/24 -> 10.0.0.0/24, 10.0.0.5 -> 10.0.0.5/32), sorted.

    Raises ValueError for what TrueNAS would reject: invalid entries, 0.0.0.0/0 ("everybody" is an
    empty list), and overlapping networks inside one share.
    """
    networks = []
    for value in values:
        try:
            network = ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError:
            raise ValueError('networks: %r is not a valid IPv4 or IPv6 network in CIDR form' % value)
        if int(network.network_address) == 0 and network.prefixlen == 0:
            raise ValueError('networks: %s means everybody; leave networks empty instead (TrueNAS rejects it)' % value)
        if network not in networks:
            networks.append(network)
    networks.sort(key=_network_sort_key)
    for index, first in enumerate(networks):
        for second in networks[index + 1:]:
            if first.version == second.version and first.overlaps(second):
                raise ValueError('networks: %s and %s overlap; TrueNAS refuses overlapping networks in one share'
                                 % (first, second))
    return [str(network) for network in networks]


def normalize_hosts(values):
    """Host entries deduplicated and sorted; raises ValueError for entries TrueNAS refuses."""
    hosts = []
    for value in values:
        host = str(value).strip()
        if not host or re.search(r'[\s"\']', host):
            raise ValueError('hosts: %r must be a non-empty name or address without spaces or quotes' % value)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None  # a host name, wildcard or @netgroup
        if address is not None and int(address) == 0:
            raise ValueError("hosts: %s means everybody; use '*' or leave hosts empty" % host)
        if host not in hosts:
            hosts.append(host)
    return sorted(hosts)


def normalize_security(values):
    """Upper-case flavours without duplicates; order kept, as it is the client's order of preference."""
    flavours = []
    for value in values:
        flavour = str(value).upper()
        if flavour not in SECURITY_FLAVOURS:
            raise ValueError('security: %r is not one of %s' % (value, ', '.join(SECURITY_FLAVOURS)))
        if flavour not in flavours:
            flavours.append(flavour)
    return flavours


def share_view(entry):
    """The comparable, normalised form of a sharing.nfs entry (only SHARE_KEYS)."""
    view = dict((key, entry.get(key)) for key in SHARE_KEYS)
    view['comment'] = view['comment'] or ''
    view['networks'] = normalize_networks(view['networks'] or [])
    view['hosts'] = normalize_hosts(view['hosts'] or [])
    view['security'] = [str(flavour).upper() for flavour in view['security'] or []]
    for key in MAP_KEYS:
        view[key] = view[key] or None  # TrueNAS returns '' or null for "not mapped"
    return view
