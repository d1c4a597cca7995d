"""Immich reached through the Kubernetes API server's service proxy (api_service).

The proxy here is a stand-in for what the API server does to a proxied request (k8s.io/apiserver
endpoints/filters/authentication.go, then the service proxy handler): it requires the kubeconfig's bearer
token, removes the Authorization header, strips the proxy prefix and forwards everything else to the
backend of this run (the emulator, or a real Immich server on the real backends). The real API server is
exercised by molecule/kind, which sets Immich up through it.
"""
import http.server
import threading
import urllib.error
import urllib.request

import pytest

from ansible_collections.homelab.immich.plugins.module_utils.immich import ImmichClient, ImmichError
from ansible_collections.homelab.immich.plugins.module_utils.k8s_service_proxy import (
    ServiceProxyError,
    service_proxy_transport,
    service_proxy_url,
)
from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD

TOKEN = 'k8s-bearer-token'
PREFIX = '/api/v1/namespaces/immich/services/http:immich-server:2283/proxy'
SERVICE = {'namespace': 'immich', 'name': 'immich-server', 'port': 2283, 'scheme': 'http'}


def kubeconfig(server, token=TOKEN):
    return {
        'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'test',
        'clusters': [{'name': 'test', 'cluster': {'server': server}}],
        'users': [{'name': 'test', 'user': {'token': token}}],
        'contexts': [{'name': 'test', 'context': {'cluster': 'test', 'user': 'test'}}],
    }


@pytest.fixture
def api_server(emulator):
    """A service proxy in front of the backend; records the headers the backend got."""
    seen = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def _forward(self):
            if self.headers.get('Authorization') != 'Bearer ' + TOKEN or not self.path.startswith(PREFIX):
                self.send_response(401)
                self.end_headers()
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ('authorization', 'host')}
            seen.append(headers)
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else None
            request = urllib.request.Request(emulator.base_url + self.path[len(PREFIX):], data=body,
                                             headers=headers, method=self.command)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, payload = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, payload = error.code, error.read()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1], seen
    server.shutdown()
    server.server_close()


def proxied_client(url, **auth):
    transport = service_proxy_transport(SERVICE, kubeconfig(url))
    return ImmichClient(transport['url'], validate_certs=transport['validate_certs'], ca_path=transport['ca_path'],
                        client_cert=transport['client_cert'], client_key=transport['client_key'],
                        headers=transport['headers'], **auth)


def test_proxy_url_names_namespace_scheme_service_and_port():
    assert service_proxy_url('https://10.0.0.1:6443/', 'immich', 'immich-server', 2283) == \
        'https://10.0.0.1:6443' + PREFIX


def test_the_kubeconfig_token_goes_to_the_api_server():
    transport = service_proxy_transport(SERVICE, kubeconfig('https://10.0.0.1:6443'))
    assert {k.lower(): v for k, v in transport['headers'].items()} == {'authorization': 'Bearer ' + TOKEN}
    assert transport['url'] == 'https://10.0.0.1:6443' + PREFIX


def test_an_unusable_kubeconfig_is_named():
    with pytest.raises(ServiceProxyError) as err:
        service_proxy_transport(SERVICE, '/nonexistent/kubeconfig')
    assert '/nonexistent/kubeconfig' in str(err.value)


def test_login_and_session_pass_the_proxy(api_server, emulator):
    """Password login works through it: the session travels in x-immich-user-token, which the proxy keeps."""
    url, seen = api_server
    client = proxied_client(url, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    assert client.me()['email'] == ADMIN_EMAIL
    client.close()
    assert any('x-immich-user-token' in {k.lower() for k in headers} for headers in seen)
    assert not any('authorization' in {k.lower() for k in headers} for headers in seen)
    del emulator


def test_api_key_passes_the_proxy(api_server, emulator):
    url, seen = api_server
    client = proxied_client(url, api_key=emulator.admin_key)
    assert client.me()['email'] == ADMIN_EMAIL
    assert client.list_libraries() == []
    assert all('x-api-key' in {k.lower() for k in headers} for headers in seen[1:])


def test_one_of_api_url_and_api_service_is_required():
    class Module:
        params = {'api_url': None, 'api_service': None, 'validate_certs': True, 'ca_path': None, 'timeout': 5,
                  'retries': 0, 'kubeconfig': None, 'context': None}
    with pytest.raises(ImmichError) as err:
        ImmichClient.from_module(Module)
    assert 'api_url' in str(err.value) and 'api_service' in str(err.value)
    Module.params = dict(Module.params, api_url='http://x', api_service=SERVICE)
    with pytest.raises(ImmichError):
        ImmichClient.from_module(Module)
