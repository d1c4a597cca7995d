# -*- coding: utf-8 -*-
# Copyright: homelab.immich developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON-RPC 2.0 client for the TrueNAS 25.04+ WebSocket API (``/api/current``).

Only what the homelab.immich modules need: API-key login, calls with a deadline,
waiting for jobs, and errors that carry TrueNAS's own message. Synchronous on purpose:
an Ansible module makes a handful of calls and exits, so threads or an event loop
would only add failure modes.

One client is one session with one login. middlewared rate-limits unauthenticated calls, logins
included (main.py authorize_method_call, utils/rate_limit/cache.py: 20 per method and client address
in 60 s, then EBUSY "Rate Limit Exceeded" after a 1-10 s stall), so callers keep one session for
everything a task does, polling included, instead of logging in again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
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
# service.control (a job) arrived in 25.10 (plugins/service.py); 25.10 marks service.start/stop
# removed_in="v26.04" and 26.0 (the release after 25.10; there is no 26.04) makes them private.
SERVICE_CONTROL_SINCE = (25, 10)
JOB_FINAL_STATES = ('SUCCESS', 'FAILED', 'ABORTED')
JOB_POLL_INTERVAL = 0.25
# pool.dataset.query answers on big pools are larger than websockets' 1 MiB default.
MAX_MESSAGE_SIZE = 64 * 1024 * 1024

# JSON-RPC error codes TrueNAS uses (truenas_api_client/jsonrpc.py).
INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
TRUENAS_CALL_ERROR = -32001
# middlewared's own errno values (truenas_api_client/exc.py ErrnoMixin); the rest are errno.errorcode names.
TRUENAS_ERRNAMES = {201: 'ENOMETHOD', 202: 'ESERVICESTARTFAILURE', 203: 'EALERTCHECKERUNAVAILABLE',
                    204: 'EREMOTENODEERROR', 205: 'EDATASETISLOCKED', 206: 'EINVALIDRRDTIMESTAMP',
                    207: 'ENOTAUTHENTICATED', 208: 'ESSLCERTVERIFICATIONERROR', 209: 'EREBOOTREQUIRED',
                    210: 'EHAUNAVAILABLE'}
# main.py authorize_method_call (25.04 - 26.0): CallError('Rate Limit Exceeded', errno.EBUSY)
RATE_LIMIT_REASON = 'Rate Limit Exceeded'
# Why auth.login_ex (API_KEY_PLAIN) refused, by response_type (api/v25_04_0, v25_10_0, v26_0_0 auth.py).
LOGIN_EX_REFUSALS = {
    'AUTH_ERR': ('the key or the user name is wrong, or the key was deleted (or, from TrueNAS 26.0 on, revoked) '
                 '(AUTH_ERR)'),
    'EXPIRED': ('the API key has expired or was revoked (EXPIRED); TrueNAS also revokes a key once it was sent '
                'over plain http/ws. Create a new key'),
    'DENIED': 'the account has no API access (DENIED); give the user a role that allows API access',
    'OTP_REQUIRED': 'the login asks for a one-time password (OTP_REQUIRED), which an API key login cannot give',
}


class TrueNASError(Exception):
    """A failed TrueNAS call, carrying TrueNAS's own message.

    ``code`` is the JSON-RPC error code (None for transport problems), ``errname`` the errno
    name TrueNAS reports (EINVAL, ENOENT, ...; for a refused login_ex its response_type), ``extra`` the
    ValidationErrors list of ``[attribute, message, errno]``.
    """

    def __init__(self, method, code=None, message='', errname=None, extra=None, exc_type=None):
        self.method = method
        self.code = code
        self.message = message
        self.errname = errname
        self.extra = extra or []
        self.exc_type = exc_type  # a failed job's exception class, e.g. CallError or VALIDATION
        super(TrueNASError, self).__init__(str(self))

    def __str__(self):
        return '%s: %s' % (self.method, self.message) if self.method else self.message

    def as_dict(self):
        """Fields to hand to ``fail_json`` next to ``msg``."""
        return dict(method=self.method, code=self.code, errname=self.errname, extra=self.extra,
                    rate_limited=isinstance(self, TrueNASRateLimited))


class TrueNASConnectionError(TrueNASError):
    """The NAS could not be reached, the TLS or WebSocket handshake failed, or the connection dropped."""


class TrueNASTimeout(TrueNASConnectionError):
    """No answer within the deadline."""


class TrueNASAuthError(TrueNASError):
    """The API key was refused."""


class TrueNASRateLimited(TrueNASError):
    """The NAS refused an unauthenticated call (a login) with EBUSY "Rate Limit Exceeded"."""


class TrueNASUnsupportedVersion(TrueNASError):
    """The NAS runs a release older than MIN_VERSION."""


def truenas_argument_spec():
    """Connection options shared by every truenas_* module (documented in doc_fragments/truenas.py)."""
    return dict(
        host=dict(type='str', required=True, fallback=(env_fallback, ['TRUENAS_HOST'])),
        api_key=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['TRUENAS_API_KEY'])),
        api_user=dict(type='str', fallback=(env_fallback, ['TRUENAS_API_USER'])),
        scheme=dict(type='str', default='wss', choices=['wss', 'ws']),
        port=dict(type='int'),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['TRUENAS_VALIDATE_CERTS'])),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=30.0),
    )


def errno_name(code):
    """The errno name middlewared reports for ``code`` (service_exception.py get_errname); None for None."""
    if code is None:
        return None
    return errno.errorcode.get(code) or TRUENAS_ERRNAMES.get(code) or 'EUNKNOWN'


def parse_version(text):
    """``"TrueNAS-25.04.2.6"``, ``"TrueNAS-25.10.1"`` or ``"TrueNAS-26.0.0-BETA.3"`` -> ``(25, 4, 2)`` ...;
    None if no version."""
    match = re.search(r'(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def format_version(version):
    """(25, 4, 2) -> "25.04.2"; (26, 0, 0) -> "26.0.0": releases were numbered YY.MM up to 25.10, major.minor
    from 26.0 on."""
    if not version:
        return 'unknown'
    return ('%d.%02d.%d' if version[0] < 26 else '%d.%d.%d') % tuple(version[:3])


def is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host.strip('[]')).is_loopback
    except ValueError:
        return False


class TrueNASClient:
    """One authenticated WebSocket session. Use as a context manager or call ``close()``."""

    def __init__(self, host, api_key, scheme='wss', port=None, validate_certs=True, ca_path=None, timeout=30.0,
                 api_user=None):
        self.host = host
        self.api_user = api_user
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
        """One login for the whole session. With ``api_user``, auth.login_ex (API_KEY_PLAIN), which says why a
        login failed; without it, or where login_ex does not exist, auth.login_with_api_key (true/false only;
        removed_in='v27' on middleware master). The key travels only in the request's params; it never appears
        in a message built here."""
        if self.api_user:
            try:
                answer = self.call('auth.login_ex', {'mechanism': 'API_KEY_PLAIN', 'username': self.api_user,
                                                     'api_key': self._api_key, 'login_options': {'user_info': False}})
            except TrueNASError as exc:
                if exc.code != METHOD_NOT_FOUND:
                    raise
            else:
                self._check_login_ex(answer)
                return
        try:
            accepted = self.call('auth.login_with_api_key', self._api_key)
        except TrueNASError as exc:
            if exc.code == METHOD_NOT_FOUND:
                raise TrueNASAuthError('auth.login_with_api_key', code=exc.code, message=(
                    '%s has no auth.login_with_api_key; set api_user to the owner of the API key so that '
                    'auth.login_ex is used' % self.host))
            raise
        if accepted is not True:
            raise TrueNASAuthError('auth.login_with_api_key', message=(
                '%s rejected the API key (login returned false): check that the key exists, belongs to a '
                'user allowed to manage sharing and services, and has not expired or been revoked; set api_user '
                '(the key\'s owner) and TrueNAS says which' % self.host))

    def _check_login_ex(self, answer):
        response_type = answer.get('response_type') if isinstance(answer, dict) else None
        if response_type == 'SUCCESS':
            return
        if response_type == 'REDIRECT':
            reason = ('%s is the standby controller of an HA pair (REDIRECT); log in on the active controller: %s'
                      % (self.host, ', '.join(answer.get('urls') or []) or 'no address given'))
        else:
            reason = LOGIN_EX_REFUSALS.get(response_type, 'unexpected answer %r' % (response_type,))
        raise TrueNASAuthError('auth.login_ex', message='%s refused the API key of user %s: %s'
                               % (self.host, self.api_user, reason), errname=response_type)

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
            raise self._error(method, message['error'], self.host)
        return message.get('result')

    @staticmethod
    def _error(method, error, host=None):
        data = error.get('data') or {}
        if not isinstance(data, dict):
            data = {}
        extra = data.get('extra') or []
        reason = (data.get('reason') or '').strip()
        if error.get('code') == INVALID_PARAMS and extra and not reason:
            reason = '; '.join('%s: %s' % (item[0], item[1]) for item in extra)
        errname = data.get('errname') or errno_name(data.get('error'))
        if errname == 'EBUSY' and RATE_LIMIT_REASON in reason:
            return TrueNASRateLimited(method, code=error.get('code'), errname=errname, message=(
                '%s refused the call: %s (TrueNAS rate limit: at most 20 calls before login, logins included, per '
                'method and client address in 60 s). Wait a minute before re-running, and look for something '
                'on this machine that logs in to the NAS in a loop' % (host or 'the NAS', reason)))
        return TrueNASError(method, code=error.get('code'), message=reason or error.get('message') or 'error',
                            errname=errname, extra=extra)

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
                # job.py __encode__: exc_info = {repr, type, errno, extra}. ``type`` is the exception's class
                # ('CallError', 'MatchNotFound', ...) or 'VALIDATION'; the errno name comes from ``errno``
                # (None for validation errors, whose items are EINVAL unless they say otherwise).
                exc_info = job.get('exc_info') or {}
                reason = (job.get('error') or exc_info.get('repr') or 'job %s ended %s' % (job_id, job['state'])).strip()
                errname = errno_name(exc_info.get('errno'))
                if errname is None and exc_info.get('type') == 'VALIDATION':
                    errname = 'EINVAL'
                raise TrueNASError(method, code=TRUENAS_CALL_ERROR, message=reason, errname=errname,
                                   extra=exc_info.get('extra'), exc_type=exc_info.get('type'))
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
                           timeout=params['timeout'], api_user=params.get('api_user'))
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
# Input is held to the strictest release (25.10+); what the NAS already holds is read leniently
# (live_share_view), because a real NAS can hold shares our input checks refuse: 25.04 accepts 0.0.0.0/0,
# and shares made by older releases survive upgrades unchanged (no migration rewrites them).

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

    Raises ValueError for what TrueNAS would reject: invalid entries, any network whose address is 0
    (0.0.0.0/0, 0.0.0.0/8, ::/0 ...: the all-networks rule of 25.10+; "everybody" is an empty list), and
    overlapping networks inside one share.
    """
    networks = []
    for value in values:
        try:
            network = ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError:
            raise ValueError('networks: %r is not a valid IPv4 or IPv6 network in CIDR form' % value)
        if int(network.network_address) == 0:
            if network.prefixlen == 0:
                raise ValueError('networks: %s means everybody; leave networks empty instead (TrueNAS 25.10 and '
                                 'later reject it)' % value)
            raise ValueError('networks: %s starts at address 0, which TrueNAS 25.10 and later reject as an '
                             'all-networks entry; list the real client network, or leave networks empty for '
                             'everybody' % value)
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


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return str(value).split()  # the datastore keeps networks and hosts space-separated


def _live_networks(values):
    """Networks as the NAS holds them, in the form normalize_networks gives; entries it cannot parse are kept
    verbatim (after the valid ones), so they compare unequal to any input and get replaced. Never raises."""
    parsed, verbatim = [], []
    for value in _as_list(values):
        try:
            network = ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError:
            if str(value) not in verbatim:
                verbatim.append(str(value))
            continue
        if network not in parsed:
            parsed.append(network)
    parsed.sort(key=_network_sort_key)
    return [str(network) for network in parsed] + sorted(verbatim)


def _live_hosts(values):
    hosts = []
    for value in _as_list(values):
        host = str(value).strip()
        if host not in hosts:
            hosts.append(host)
    return sorted(hosts)


def _clean(raw, view):
    """Whether a live list already is in canonical form: no duplicates, nothing the view had to rewrite."""
    items = [str(item) for item in _as_list(raw)]
    return len(items) == len(set(items)) and set(items) == set(view)


def live_share_view(entry):
    """The comparable form of a sharing.nfs entry as the NAS holds it (only SHARE_KEYS). Never raises, whatever
    the share holds (0.0.0.0/0 from 25.04, entries from older releases, null fields); ``unclean`` lists the
    keys whose stored value is not in canonical form (duplicates, 10.0.0.5/24 for 10.0.0.0/24), which an
    update rewrites: middlewared validates the whole merged share on update and refuses duplicates."""
    entry = entry if isinstance(entry, dict) else {}
    view = dict((key, entry.get(key)) for key in SHARE_KEYS)
    view['comment'] = view['comment'] or ''
    view['networks'] = _live_networks(entry.get('networks'))
    view['hosts'] = _live_hosts(entry.get('hosts'))
    view['security'] = [str(flavour).upper() for flavour in _as_list(entry.get('security'))]
    for key in MAP_KEYS:
        view[key] = view[key] or None  # TrueNAS returns '' or null for "not mapped"
    unclean = [key for key in ('networks', 'hosts') if not _clean(entry.get(key), view[key])]
    return view, unclean


def share_view(entry):
    """The comparable, normalised form of a sharing.nfs entry (only SHARE_KEYS); never raises."""
    return live_share_view(entry)[0]
