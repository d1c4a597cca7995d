# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes client of the collection's actions (k8s_read, k8s_apply): kubernetes.core's, in the controller process."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native

# What a term of read_terms may say.
TERM_KEYS = ('api_version', 'kind', 'name', 'namespace', 'label_selector')

# The site variables each connection option defaults to (as for kubernetes.core's modules in site.yml, whose
# module_defaults do not reach an action's own calls).
SITE_VARIABLES = (('kubeconfig', 'homelab_immich_kubeconfig'), ('context', 'homelab_immich_kube_context'))


def _kubernetes():
    """kubernetes.core's client factory and the dynamic client's not-found errors, imported on first use (a plugin
    that finds all it needs in live copies given to it never connects)."""
    try:
        from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
        from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError
    except ImportError as error:
        raise AnsibleActionFail('needs kubernetes.core and the kubernetes Python client: %s' % to_native(error))
    return get_api_client, (NotFoundError, ResourceNotFoundError)


def get_api_client(**auth):
    """kubernetes.core's client for the given kubeconfig/context."""
    return _kubernetes()[0](**auth)


def site_connection(args, task_vars, templar):
    """kubeconfig and context of an action: its own arguments, else the site variables (templated here: the
    inventory may build a path from another variable), else None (kubernetes.core's defaults)."""
    values = []
    for option, site_variable in SITE_VARIABLES:
        value = args.get(option)
        if value is None and task_vars.get(site_variable) is not None:
            value = templar.template(task_vars[site_variable])
        values.append(value)
    return values


def connect(plugin, kubeconfig=None, context=None):
    """A client for the given connection (None: kubernetes.core's defaults); ``plugin`` names the caller in errors."""
    auth = dict((name, value) for name, value in (('kubeconfig', kubeconfig), ('context', context)) if value is not None)
    try:
        return get_api_client(**auth)
    except AnsibleActionFail as error:
        raise AnsibleActionFail('%s %s' % (plugin, error))
    except Exception as error:
        raise AnsibleActionFail('%s: cannot reach the cluster: %s' % (plugin, to_native(error)))


def read(client, plugin, api_version, kind, name=None, namespace=None, label_selector=None):
    """The live object (None when it or its API does not exist), or with no name the list of objects ([] likewise)."""
    label = '%s %s%s' % (kind, (namespace + '/') if namespace else '', name or '(all)')
    not_found = _kubernetes()[1]
    try:
        resource = client.resource(kind, api_version)
        options = {'label_selector': label_selector} if label_selector else {}
        found = client.get(resource, name=name, namespace=namespace or None, **options)
    except not_found:
        # Not there, or its API is not served (yet): the roles decide what that means.
        return None if name else []
    except Exception as error:
        raise AnsibleActionFail('%s: reading %s failed: %s' % (plugin, label, to_native(error)))
    found = found.to_dict()
    return found if name else found.get('items') or []


def read_terms(plugin, terms, kubeconfig=None, context=None):
    """One result per term, in order: each term a mapping of TERM_KEYS with a kind (read with ``read``), or the
    string ``api_groups``. Every term is checked before the cluster is contacted."""
    for term in terms:
        if term != 'api_groups' and not (isinstance(term, dict) and term.get('kind') and set(term) <= set(TERM_KEYS)):
            raise AnsibleActionFail('%s: each term is api_groups or a mapping of %s with kind, got %r' % (plugin, ', '.join(TERM_KEYS), term))
    client = connect(plugin, kubeconfig, context)
    results = []
    for term in terms:
        if term == 'api_groups':
            results.append(api_groups(client))
            continue
        found = read(client, plugin, term.get('api_version', 'v1'), term['kind'], name=term.get('name') or None,
                     namespace=term.get('namespace') or None, label_selector=term.get('label_selector'))
        results.append({} if found is None else found)
    return results


def api_groups(client):
    """The names of the API groups the cluster serves, as kubernetes.core's k8s lookup lists them."""
    return list(client.resources.api_groups)
