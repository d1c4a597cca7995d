"""The emulators' test endpoints (request logs, faults, state), as the reliability tests and the bench drive them."""
import json
import urllib.error
import urllib.request


class HarnessError(Exception):
    pass


def _http(method, url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode('utf-8')
    req = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # nosec - loopback test endpoint
        raw = resp.read()
    return json.loads(raw) if raw else None


class ImmichEmulator:
    """The Immich emulator's test endpoints, plus a few real API calls for state checks."""

    def __init__(self, url):
        self.url = url.rstrip('/')

    def requests(self):
        return _http('GET', self.url + '/__emulator/requests')

    def reset_log(self):
        _http('POST', self.url + '/__emulator/reset-log', {})

    def faults(self, **faults):
        return _http('POST', self.url + '/__emulator/faults', faults)

    def clear_faults(self):
        return self.faults(fail_next=0, fail_status=503, drop_next=0, delay=0, path_prefix='')

    def reset(self):
        _http('POST', self.url + '/__emulator/reset', {})

    def up(self):
        try:
            return _http('GET', self.url + '/api/server/ping', timeout=2) == {'res': 'pong'}
        except (OSError, ValueError):
            return False

    def counts(self):
        """{'reads': n, 'writes': n, 'writes_list': [...]} of the log since the last reset_log()."""
        log = self.requests()
        writes = [e for e in log if e.get('write')]
        return {'reads': len(log) - len(writes), 'writes': len(writes),
                'write_requests': ['%s %s %s' % (e['method'], e['path'], e['status']) for e in writes]}

    def api(self, method, path, api_key=None, body=None, token=None):
        headers = {'Content-Type': 'application/json'}
        if api_key:
            headers['x-api-key'] = api_key
        if token:
            headers['Authorization'] = 'Bearer ' + token
        data = None if body is None else json.dumps(body).encode('utf-8')
        req = urllib.request.Request(self.url + '/api' + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # nosec - loopback test endpoint
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, (json.loads(raw) if raw else None)

    def login(self, email, password):
        status, body = self.api('POST', '/auth/login', body={'email': email, 'password': password})
        if status != 201:
            raise HarnessError('Immich login as %s failed: %s %s' % (email, status, body))
        return body['accessToken']


class TrueNASEmulator:
    """JSON-RPC over WebSocket: the emulator.* test methods and, after login(), real methods."""

    def __init__(self, url, api_key):
        self.url = url
        self.api_key = api_key

    def call(self, method, *params, login=False, timeout=15):
        from websockets.sync.client import connect  # the venv's websockets (requirements.txt)
        with connect(self.url, open_timeout=timeout, close_timeout=2, max_size=16 * 1024 * 1024) as ws:
            seq = 0
            if login:
                seq += 1
                ws.send(json.dumps({'jsonrpc': '2.0', 'id': seq, 'method': 'auth.login_with_api_key',
                                    'params': [self.api_key]}))
                answer = json.loads(ws.recv(timeout))
                if answer.get('result') is not True:
                    raise HarnessError('TrueNAS login refused: %s' % answer)
            seq += 1
            ws.send(json.dumps({'jsonrpc': '2.0', 'id': seq, 'method': method, 'params': list(params)}))
            answer = json.loads(ws.recv(timeout))
        if 'error' in answer:
            raise HarnessError('TrueNAS %s failed: %s' % (method, answer['error']))
        return answer['result']

    def requests(self):
        return self.call('emulator.requests')

    def reset_log(self):
        self.call('emulator.reset_log')

    def faults(self, faults):
        return self.call('emulator.faults', faults)

    def clear_faults(self):
        self.call('emulator.clear_faults')

    def state(self):
        return self.call('emulator.state')

    def up(self):
        try:
            self.call('emulator.release', timeout=2)
            return True
        except (OSError, HarnessError, ValueError):
            return False
        except Exception:  # pylint: disable=broad-except  # websockets' own exceptions
            return False

    def counts(self):
        log = self.requests()
        writes = [e for e in log if e.get('write')]
        return {'reads': len(log) - len(writes), 'writes': len(writes),
                'write_requests': ['%s %s' % (e['method'], e.get('error') or 'ok') for e in writes]}
