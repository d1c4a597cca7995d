#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_read
short_description: Read several live Kubernetes objects in one task, with the collection's cluster connection
version_added: 0.1.0
description:
  - Reads each described object (or list of objects) through the kubernetes.core client, in the controller
    process, and returns one result per entry of O(objects), in order. Each role reads all it needs in one such
    task; reading nothing but what is described, it changes nothing and runs the same in check mode.
  - The Kubernetes client is loaded with the action in Ansible's own process, so the forked worker of each
    later task finds it loaded.
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
    description:
      - What to read, each a mapping with C(kind) and optionally C(api_version) (default C(v1)), C(name),
        C(namespace) and C(label_selector); with a C(name), the result is the object or C({}) when it (or its API)
        does not exist; without one, the list of objects (C([]) likewise).
      - The string C(api_groups) instead returns the names of the API groups the cluster serves.
      - Every entry is checked before the cluster is contacted.
    type: list
    elements: raw
    required: true
attributes:
  diff_mode:
    support: none
requirements:
  - kubernetes.core
  - kubernetes (Python)
"""

EXAMPLES = r"""
- name: Read the Valkey Deployment, the Secrets of the namespace and the served API groups
  homelab.immich.k8s_read:
    objects:
      - {api_version: apps/v1, kind: Deployment, name: immich-valkey, namespace: immich}
      - {kind: Secret, namespace: immich}
      - api_groups
  register: valkey__read

- name: Keep them by name
  ansible.builtin.set_fact:
    valkey__live: "{{ dict(['deployment', 'secrets', 'groups'] | zip(valkey__read.found)) }}"
"""

RETURN = r"""
found:
  description: One result per entry of O(objects); an object (C({}) when absent), a list of objects, or the list of API group names.
  returned: success
  type: list
  elements: raw
"""
