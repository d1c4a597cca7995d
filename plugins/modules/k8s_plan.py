#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_plan
short_description: Show Kubernetes objects as they would be created, when the server cannot dry-run them
version_added: 0.1.0
description:
  - Reports each given object as the "after" of a diff (with C(--diff)) and in its message, and reports
    changed when there is any.
  - For check mode against a cluster the earlier roles have not converged yet, where a server-side dry run
    cannot place an object in a namespace that does not exist, or of a kind whose CRD is not installed yet.
  - The values of a Secret's C(data) and C(stringData) are masked.
  - Runs on the controller only and contacts nothing.
author:
  - homelab.immich developers (@homelab)
extends_documentation_fragment:
  - homelab.immich.controller
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
options:
  objects:
    description: The rendered objects.
    type: list
    elements: dict
    required: true
  reason:
    description: Why they are shown instead of dry-run, for the message.
    type: str
attributes:
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Show what would be created in the namespace an earlier role creates
  homelab.immich.k8s_plan:
    objects: "{{ lookup('ansible.builtin.template', 'valkey.yaml.j2') | ansible.builtin.from_yaml_all | list }}"
    reason: the namespace does not exist yet
  when: ansible_check_mode
"""

RETURN = r"""
objects:
  description: C(<kind> <namespace>/<name>) of each object shown.
  returned: always
  type: list
  elements: str
"""
