"""WebSocket JSON-RPC 2.0 server at /api/current, plus the test-only ``emulator.*`` namespace.

``emulator.*`` methods are NOT TrueNAS: they let tests (also in other processes, e.g. molecule's
verify step) read the request log and the state, and set fault switches. They need no login and
are not written to the request log.
"""
import copy
import itertools
import json
import logging
import socket
import threading
import time

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response
from websockets.sync.server import serve

from .errors import INVALID_REQUEST, CallError, EmulatorError
from .methods import KEY_STATUSES, WRITE_METHODS, Api
from .ratelimit import MAX_CALLS, MAX_PERIOD, STALL, RateLimiter
from .releases import Release
from .state import State

API_PATH = '/api/current'
SECRET_KEYS = ('api_key', 'password', 'secret', 'key', 'token')
MASK = '********'

logger = logging.getLogger(__name__)


def mask_params(method, params):
    """Request-log copy of ``params`` with credentials replaced by a mask."""
    if method.startswith('auth.login'):
        return [MASK for dummy in params]

    def mask(value):
        if isinstance(value, dict):
            return {k: (MASK if k.lower() in SECRET_KEYS else mask(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value
    return mask(copy.deepcopy(params))


class Faults:
    """Switches tests flip to make the next matching call misbehave.

    Each entry: ``{"method": "sharing.nfs.create" or null for any, "count": N, ...}``.
    - ``fail``:  answer with a CallError (``errno``, ``message``) instead of running the call
    - ``drop``:  close the TCP connection without answering (``apply``: run the call first)
    - ``delay``: sleep ``seconds`` before answering
    ``service_start_fails``: starting a service leaves it STOPPED (job FAILED / false).
    ``service_start_lag``: after a start, that many service.query answers still report STOPPED.
    """

    KINDS = ('fail', 'drop', 'delay')

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = {kind: [] for kind in self.KINDS}

    def set(self, faults):
        with self.lock:
            for kind in self.KINDS:
                for fault in faults.get(kind, []) or []:
                    entry = {'method': None, 'count': 1}
                    entry.update(fault)
                    self.pending[kind].append(entry)

    def clear(self):
        with self.lock:
            self.pending = {kind: [] for kind in self.KINDS}

    def take(self, kind, method):
        with self.lock:
            for fault in self.pending[kind]:
                if fault['method'] in (None, method) and fault['count'] > 0:
                    fault['count'] -= 1
                    return dict(fault)
        return None

    def dump(self):
        with self.lock:
            return {kind: [dict(f) for f in faults if f['count'] > 0] for kind, faults in self.pending.items()}


class TrueNASEmulator:
    """The server. ``start()`` serves in a background thread; ``stop()`` shuts it down."""

    def __init__(self, host='127.0.0.1', port=0, version='25.10', api_key='1-emulator-test-key',
                 state_file=None, seed=None, job_seconds=0.3, ssl_context=None, api_key_user='admin',
                 rate_limit_calls=MAX_CALLS, rate_limit_period=MAX_PERIOD, rate_limit_stall=STALL,
                 auth_fail_delay=(1.0, 2.0)):
        """``rate_limit_*``: middlewared's unauthenticated-call limit (ratelimit.py), on by default with
        upstream's figures; ``rate_limit_stall`` is the (min, max) sleep before EBUSY, upstream (1, 10).
        ``auth_fail_delay``: the (min, max) sleep of auth.login_with_api_key for an unknown key id (upstream 1-2 s).
        """
        self.release = Release(version)
        self.state = State(state_file, seed)
        self.rate_limit = RateLimiter(rate_limit_calls, rate_limit_period, rate_limit_stall)
        self.api = Api(self.state, self.release, api_key, job_seconds=job_seconds, api_key_user=api_key_user,
                       rate_limit=self.rate_limit, auth_fail_delay=auth_fail_delay)
        self.faults = Faults()
        self.requests = []
        self.requests_lock = threading.Lock()
        self._seq = itertools.count(1)
        self._conn_ids = itertools.count(1)
        self.host = host
        self.scheme = 'wss' if ssl_context else 'ws'
        self._server = serve(self._handle, host, port, process_request=self._process_request,
                             max_size=16 * 1024 * 1024, compression=None, ssl=ssl_context)
        self.port = self._server.socket.getsockname()[1]
        self._thread = None

    @property
    def url(self):
        return f'{self.scheme}://{self.host}:{self.port}{API_PATH}'

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name='truenas-emulator', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- log --------------------------------------------------------------------------------

    def log(self):
        with self.requests_lock:
            return copy.deepcopy(self.requests)

    def writes(self):
        return [entry for entry in self.log() if entry['write']]

    def reset_log(self):
        with self.requests_lock:
            self.requests.clear()

    def _record(self, conn_id, method, params, error):
        entry = {'seq': next(self._seq), 'connection': conn_id, 'method': method,
                 'params': mask_params(method, params), 'write': method in WRITE_METHODS,
                 'error': error, 'time': time.time()}
        with self.requests_lock:
            self.requests.append(entry)

    # -- websocket ------------------------------------------------------------------------

    def _process_request(self, connection, request):
        path = request.path.split('?')[0]
        if path != API_PATH or not self.release.serves_jsonrpc:
            # 24.10 and older: /api/current does not exist (truenas_api_client ClientHandshakeError 404)
            return Response(404, 'Not Found', Headers([('Content-Type', 'text/plain')]), b'404: Not Found')
        return None

    def _handle(self, connection):
        conn_id = next(self._conn_ids)
        # The rate limit counts per client address (utils/origin.py rem_addr), not per connection.
        remote = connection.remote_address
        session = {'authenticated': False, 'address': remote[0] if remote else None}
        try:
            for raw in connection:
                if not self._serve_message(connection, conn_id, session, raw):
                    return
        except ConnectionClosed:
            return

    def _serve_message(self, connection, conn_id, session, raw):
        """Answer one request; False when the connection was dropped on purpose."""
        try:
            message = json.loads(raw)
            method, params, request_id = message['method'], message.get('params', []), message.get('id')
            if message.get('jsonrpc') != '2.0' or not isinstance(method, str) or not isinstance(params, list):
                raise ValueError('not a JSON-RPC 2.0 request')
        except (ValueError, KeyError, TypeError) as exc:
            connection.send(json.dumps({'jsonrpc': '2.0', 'id': None,
                                        'error': {'code': INVALID_REQUEST, 'message': str(exc)}}))
            return True

        if method.startswith('emulator.'):
            connection.send(json.dumps(self._test_only(method, params, request_id)))
            return True

        drop = self.faults.take('drop', method)
        if drop and not drop.get('apply'):
            self._record(conn_id, method, params, 'dropped')
            self._drop(connection)
            return False
        delay = self.faults.take('delay', method)
        if delay:
            time.sleep(delay.get('seconds', 1))
        fail = self.faults.take('fail', method)

        try:
            if fail:
                raise CallError(fail.get('message', 'injected failure'), fail.get('errno', 5))
            result = self.api.call(session, method, params)
            response = {'jsonrpc': '2.0', 'id': request_id, 'result': result}
            error = None
        except EmulatorError as exc:
            response = {'jsonrpc': '2.0', 'id': request_id, 'error': exc.to_jsonrpc()}
            error = response['error']['code']
        except TypeError as exc:  # wrong number of params
            response = {'jsonrpc': '2.0', 'id': request_id,
                        'error': {'code': -32602, 'message': 'Invalid params',
                                  'data': {'error': 22, 'errname': 'EINVAL', 'reason': str(exc), 'extra': []}}}
            error = -32602
        self._record(conn_id, method, params, 'dropped' if drop else error)
        if drop:  # applied, then the answer is lost
            self._drop(connection)
            return False
        connection.send(json.dumps(response))
        return True

    @staticmethod
    def _drop(connection):
        # No close frame: the client sees the TCP stream end mid-call, like a NAS reboot or a cut link.
        try:
            connection.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        connection.socket.close()

    def _set_key_status(self, status='VALID'):
        """VALID, EXPIRED, REVOKED, DENIED (account without API access) or STANDBY (an HA standby controller)."""
        if status not in KEY_STATUSES:
            raise ValueError(f'status must be one of {", ".join(KEY_STATUSES)}')
        self.api.api_key_status = status
        return status

    def _test_only(self, method, params, request_id):
        handlers = {
            'emulator.requests': self.log,
            'emulator.reset_log': lambda: self.reset_log() or True,
            'emulator.faults': lambda faults=None: (self.faults.set(faults or {}), self.faults.dump())[1],
            'emulator.clear_faults': lambda: self.faults.clear() or True,
            'emulator.service_start_fails': lambda flag=True: setattr(self.api, 'service_start_fails', flag) or True,
            'emulator.service_start_lag': lambda count=0: setattr(self.api, 'service_start_lag', int(count)) or True,
            'emulator.state': self.state.snapshot,
            'emulator.release': lambda: {'version': self.release.full, 'system_version': self.release.system_version},
            'emulator.api_key_status': self._set_key_status,
            'emulator.rate_limit': self.rate_limit.snapshot,
            'emulator.clear_rate_limit': lambda: self.rate_limit.clear() or True,
        }
        handler = handlers.get(method)
        if handler is None:
            return {'jsonrpc': '2.0', 'id': request_id, 'error': {'code': -32601, 'message': 'Method does not exist'}}
        try:
            with self.state.lock:
                return {'jsonrpc': '2.0', 'id': request_id, 'result': handler(*params)}
        except (TypeError, ValueError) as exc:
            return {'jsonrpc': '2.0', 'id': request_id, 'error': {'code': -32602, 'message': str(exc)}}


def start_emulator(**kwargs):
    """Start an emulator on a free loopback port in a background thread (``stop()`` it when done)."""
    kwargs.setdefault('host', '127.0.0.1')
    kwargs.setdefault('port', 0)
    return TrueNASEmulator(**kwargs).start()
