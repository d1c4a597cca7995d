# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that give each input one spelling, so that an equivalent value is never a change."""

from __future__ import annotations

import posixpath

from ansible.errors import AnsibleFilterError


def normpath(path):
    """``/mnt/photos/``, ``/mnt//photos`` and ``/mnt/photos/.`` all become ``/mnt/photos``; a relative path stays relative."""
    if not isinstance(path, str):
        raise AnsibleFilterError('normpath expects a string, got %s' % type(path).__name__)
    if path == '':
        return path
    text = posixpath.normpath(path)
    # POSIX keeps a leading '//' as implementation-defined; NFS exports and pod paths treat it as '/'.
    return '/' + text.lstrip('/') if text.startswith('/') else text


def hostname(name):
    """DNS names compare case-insensitively and with or without the root's trailing dot; addresses stay as given."""
    if not isinstance(name, str):
        raise AnsibleFilterError('hostname expects a string, got %s' % type(name).__name__)
    text = name.strip()
    if text.startswith('['):
        return text.lower()
    return text.rstrip('.').lower() if text != '.' else text


def duplicates(items):
    """The entries that occur more than once, each once, in the order they first repeat."""
    if not isinstance(items, (list, tuple)):
        raise AnsibleFilterError('duplicates expects a list, got %s' % type(items).__name__)
    seen, repeated = [], []
    for item in items:
        if item in seen and item not in repeated:
            repeated.append(item)
        seen.append(item)
    return repeated


def endpoint_url(url):
    """``http://host:9000/`` and ``http://host:9000`` are one endpoint: the trailing slashes go."""
    if not isinstance(url, str):
        raise AnsibleFilterError('endpoint_url expects a string, got %s' % type(url).__name__)
    return url.strip().rstrip('/')


_QUANTITY_FACTORS = {
    '': 1, 'm': 0.001, 'k': 10 ** 3, 'M': 10 ** 6, 'G': 10 ** 9, 'T': 10 ** 12, 'P': 10 ** 15, 'E': 10 ** 18,
    'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
}


def k8s_quantity_bytes(quantity):
    """The number a Kubernetes quantity stands for: 20Gi is 20 * 2**30 and 20G is 20 * 10**9, as the apiserver
    reads them (so a live 21474836480 and an asked 20Gi compare equal, and 20G is smaller than 20Gi)."""
    text = str(quantity).strip()
    for suffix in sorted(_QUANTITY_FACTORS, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            number = text[:-len(suffix)]
            break
    else:
        suffix, number = '', text
    try:
        value = float(number) if '.' in number else int(number)
    except ValueError:
        raise AnsibleFilterError("k8s_quantity_bytes: '%s' is not a Kubernetes quantity such as 20Gi" % quantity)
    result = value * _QUANTITY_FACTORS[suffix]
    return int(result) if float(result).is_integer() else result


class FilterModule(object):

    def filters(self):
        return {
            'normpath': normpath,
            'hostname': hostname,
            'duplicates': duplicates,
            'endpoint_url': endpoint_url,
            'k8s_quantity_bytes': k8s_quantity_bytes,
        }
