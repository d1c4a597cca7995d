"""A recording reverse proxy for the real server: forwards every request unchanged and logs
(method, path, status), so the tests' "a re-run makes zero writes" assertions read the same log on the
real server as on the emulator. Like the emulator's log, login, logout and import-path validation are
not writes (they change no library, user or setting)."""

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

NOT_WRITES = ('/api/auth/login', '/api/auth/logout', '/api/libraries/validate')
HOP_BY_HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization',
              'proxy-authenticate', 'host'}


def is_write(method, path):
    if method in ('GET', 'HEAD', 'OPTIONS'):
        return False
    path = path.split('?', 1)[0]
    return not (path in NOT_WRITES or path.endswith('/validate'))


class RecordingProxy(object):
    """`RecordingProxy(target_url).start()`; `.base_url`, `.requests`, `.writes()`, `.reset_log()`, `.stop()`."""

    def __init__(self, target_url):
        parts = urlsplit(target_url)
        self.target = (parts.hostname, parts.port)
        self.requests = []
        self._lock = threading.Lock()
        self._server = None
        self.base_url = None

    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn = http.client.HTTPConnection(*proxy.target, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    status = response.status
                    headers_out = response.getheaders()
                finally:
                    conn.close()
                # Logged before the answer goes out, so a client that reads the log next sees this request.
                path = self.path.split('?', 1)[0]
                with proxy._lock:  # pylint: disable=protected-access
                    proxy.requests.append({'method': self.command, 'path': path, 'query': self.path[len(path):],
                                           'status': status, 'write': is_write(self.command, path)})
                self.send_response(status)
                for key, value in headers_out:
                    if key.lower() not in HOP_BY_HOP and key.lower() != 'content-length':
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        self.base_url = 'http://127.0.0.1:%d' % self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def writes(self):
        with self._lock:
            return [dict(e) for e in self.requests if e['write']]

    def reset_log(self):
        with self._lock:
            del self.requests[:]

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
