# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-cluster HTTP service reached through the Kubernetes API server's service proxy.

``https://<api server>/api/v1/namespaces/<namespace>/services/<scheme>:<name>:<port>/proxy/<path>``
forwards a request to the Service's endpoints, so a controller that can reach the API server reaches
the service without DNS, an Ingress, TLS or an open port. The API server authenticates the request with
the kubeconfig's credentials (client certificate, bearer token, exec plugin) and then removes the
``Authorization`` header (k8s.io/apiserver, endpoints/filters/authentication.go): the service gets every
other header, so Immich's own credentials go in ``x-api-key`` and ``x-immich-user-token``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote


class ServiceProxyError(Exception):
    """The kubeconfig cannot be used to reach the API server."""


def service_proxy_url(host, namespace, name, port, scheme='http'):
    """The service proxy URL of a Service port (``scheme`` is the port's protocol: http or https)."""
    return '%s/api/v1/namespaces/%s/services/%s:%s:%s/proxy' % (
        host.rstrip('/'), quote(namespace, safe=''), scheme, quote(name, safe=''), port)


def _load(kubeconfig, context):
    # Imported here, not at the top: the Kubernetes client takes most of a second to import, and only
    # api_service needs it (every Immich module imports this file).
    try:
        from kubernetes import client as k8s_client
        from kubernetes import config as k8s_config
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        raise ServiceProxyError('api_service needs the kubernetes Python library (as kubernetes.core does): '
                                'pip install kubernetes')
    configuration = k8s_client.Configuration()
    try:
        if isinstance(kubeconfig, dict):
            k8s_config.load_kube_config_from_dict(kubeconfig, context=context, client_configuration=configuration,
                                                  persist_config=False)
        else:
            try:
                k8s_config.load_kube_config(config_file=kubeconfig, context=context,
                                            client_configuration=configuration, persist_config=False)
            except ConfigException:
                # No kubeconfig at all: inside a pod, the service account's (as kubernetes.core falls back to).
                if kubeconfig or context:
                    raise
                k8s_config.load_incluster_config(client_configuration=configuration)
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise ServiceProxyError('cannot use the kubeconfig%s%s: %s' % (
            ' %s' % kubeconfig if isinstance(kubeconfig, str) and kubeconfig else '',
            ' (context %s)' % context if context else '', exc))
    return configuration


def service_proxy_transport(service, kubeconfig=None, context=None):
    """How to send requests to ``service`` (dict: namespace, name, port, scheme) through the API server.

    Returns ``url`` (the proxy root), ``ca_path``, ``validate_certs``, ``client_cert``, ``client_key`` and
    ``headers`` (the API server's bearer token, if the kubeconfig has one).
    """
    configuration = _load(kubeconfig, context)
    # The client's own list of what goes into headers (a bearer token, refreshed by an exec plugin if any).
    headers = dict((auth['key'], auth['value']) for auth in configuration.auth_settings().values()
                   if auth.get('in') == 'header' and auth.get('value'))
    return dict(
        url=service_proxy_url(configuration.host, service['namespace'], service['name'], service['port'],
                              service.get('scheme') or 'http'),
        ca_path=configuration.ssl_ca_cert or None,
        validate_certs=bool(configuration.verify_ssl),
        client_cert=configuration.cert_file or None,
        client_key=configuration.key_file or None,
        headers=headers,
    )
