#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_apply
short_description: Server-side apply only those rendered Kubernetes objects that an apply would change
version_added: 0.1.0
description:
  - Compares each rendered object with the fields its field manager owns in the live object and server-side
    applies, with M(kubernetes.core.k8s) in one run, only the objects that would change. An object is left out
    only when the fields that field manager owns are exactly the object's fields and all of them already hold its
    values; unsure cases (a list the server extended, a quantity it canonicalised) count as changed. A no-op run
    sends no write.
  - Live copies read earlier (O(live)) are used instead of reading again; the cluster is contacted only for an
    object without one.
  - In check mode, the objects the server cannot dry-run (their namespace does not exist yet, or their API is not
    served yet, because an earlier role creates it) are shown as the diff's after, as they would be created; the
    others are dry-run by the server.
  - The values of a Secret's C(data) and C(stringData) are masked in everything it returns (diffs, RV(resources));
    M(kubernetes.core.k8s) runs with its arguments kept out of any log. Use C(no_log) on a real run all the same.
  - On a local connection run by the controller's own Python, M(kubernetes.core.k8s) runs in the task's worker
    process, where the Kubernetes client is loaded already.
author:
  - homelab.immich developers (@homelab)
extends_documentation_fragment:
  - homelab.immich.controller
  - homelab.immich.k8s_connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
options:
  objects:
    description: The rendered objects, in the order they are applied; lists are flattened and empty documents left out.
    type: list
    elements: raw
    required: true
  live:
    description:
      - Live copies already read (as M(homelab.immich.k8s_read) returns them, with C(metadata.managedFields));
        an object found here by kind, namespace and name is not read again. Empty entries (an absent object) are
        left out.
      - A copy read earlier in the same run is as good as a fresh read only if nothing wrote the object since.
    type: list
    elements: raw
    default: []
  field_manager:
    description: The field manager of the server-side apply, whose managedFields entry is compared.
    type: str
    default: homelab.immich
attributes:
  connection:
    support: full
    details: M(kubernetes.core.k8s) runs through the task's connection (in the worker on a local one).
  diff_mode:
    support: full
requirements:
  - kubernetes.core
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Apply the Valkey objects (only those that would change)
  homelab.immich.k8s_apply:
    objects: "{{ lookup('ansible.builtin.template', 'valkey.yaml.j2') | ansible.builtin.from_yaml_all | list }}"
    live: "{{ valkey__read.found }}"
  register: valkey__applied
"""

RETURN = r"""
pending:
  description: The objects that would change (C(Kind namespace/name)), in order; empty on a no-op.
  returned: always
  type: list
  elements: str
planned:
  description: In check mode, the objects shown as they would be created instead of dry-run.
  returned: always
  type: list
  elements: str
resources:
  description: The objects as the apply (or its dry run) returned them, Secret values masked; empty when nothing was applied.
  returned: always
  type: list
  elements: dict
"""
