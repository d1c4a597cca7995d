# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The newest revision of a Helm release, decoded from the Secrets Helm's default storage driver keeps it in."""

from __future__ import annotations

DOCUMENTATION = r"""
name: helm_release
short_description: The newest revision of a Helm release from its release Secrets
version_added: 0.1.0
description:
  - Takes the Secrets Helm 3's default storage driver writes for one release (label C(owner=helm), C(name=<release>),
    type C(helm.sh/release.v1)), as a list read with homelab.immich.k8s_read, and returns what
    C(kubernetes.core.helm_info) reports of the newest revision, without starting the helm binary.
  - A release kept by another storage driver (C(HELM_DRIVER=configmap) or C(sql)) is not found, so it reads as
    missing.
  - Returns C({}) when no revision is there.
positional: _input
options:
  _input:
    description: The release Secrets (any revisions, any order).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the release Secrets of csi-driver-nfs
  homelab.immich.k8s_read:
    objects:
      - {kind: Secret, namespace: kube-system, label_selector: "owner=helm,name=csi-driver-nfs"}
  register: read

- name: Say what the release is
  vars:
    release: "{{ read.found[0] | homelab.immich.helm_release }}"
  ansible.builtin.debug:
    msg: "{{ release.status | default('missing') }} {{ release.chart | default('') }}"
"""

RETURN = r"""
_value:
  description: The newest revision, or C({}).
  type: dict
  contains:
    revision:
      description: The revision number.
      type: int
    status:
      description: Its status (C(deployed), C(failed), C(pending-upgrade), ...).
      type: str
    chart:
      description: C(<chart name>-<chart version>), as C(helm list) shows it.
      type: str
    values:
      description: The values given to the chart (C(helm get values)).
      type: dict
"""

import base64
import gzip
import json

from ansible.errors import AnsibleFilterError

GZIP_MAGIC = b'\x1f\x8b\x08'


def _decode(secret):
    """Helm stores base64(gzip(JSON)) in data.release, and the Secret's data is base64 once more."""
    encoded = ((secret.get('data') or {}).get('release')) or ''
    try:
        raw = base64.b64decode(base64.b64decode(encoded))
        if raw[:3] == GZIP_MAGIC:
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (ValueError, OSError, EOFError) as error:
        name = (secret.get('metadata') or {}).get('name')
        raise AnsibleFilterError('helm_release: Secret %s does not hold a Helm release: %s' % (name, error))


def _revision(secret):
    try:
        return int(((secret.get('metadata') or {}).get('labels') or {}).get('version', 0))
    except ValueError:
        return 0


def helm_release(secrets):
    """What helm_info reports of the newest revision among ``secrets``, or {}."""
    revisions = [s for s in secrets or [] if isinstance(s, dict) and s.get('type') == 'helm.sh/release.v1']
    if not revisions:
        return {}
    release = _decode(max(revisions, key=_revision))
    metadata = (release.get('chart') or {}).get('metadata') or {}
    return {
        'revision': release.get('version'),
        'status': (release.get('info') or {}).get('status'),
        'chart': '%s-%s' % (metadata.get('name'), metadata.get('version')),
        'values': release.get('config') or {},
    }


class FilterModule(object):

    def filters(self):
        return {'helm_release': helm_release}
