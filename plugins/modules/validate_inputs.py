#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: validate_inputs
short_description: Check a role's variables against its argument spec on the values they really have
version_added: 0.1.0
description:
  - Reads the calling role's C(meta/argument_specs.yml) and checks every variable it declares, as the role's
    tasks will read it.
  - Unlike Ansible's own role argument validation, which converts before it checks (a string given for a
    C(list) option is split on commas and passes), a list must be a list and a mapping a mapping, and a
    string must not be a list, a mapping or a boolean. Scalars keep Ansible's conversions (C("5432") is an
    int, C("yes") a bool), so C(-e name=value) works.
  - Then choices, required options and list elements are checked with Ansible's argument spec validator.
  - Then, only when every type and choice is right, the role's own O(checks) are evaluated, so that none of
    them ever meets a value of the wrong type.
  - Every failing variable is reported in one message, each by its name; values of C(no_log) options are
    never shown.
  - Runs on the controller only; it reads variables and writes nothing.
author:
  - homelab.immich developers (@homelab)
extends_documentation_fragment:
  - homelab.immich.controller
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
options:
  entry_point:
    description: The entry point of the role's argument spec to check against.
    type: str
    default: main
  argument_spec:
    description: The C(options) of an argument spec to use instead of the calling role's.
    type: dict
  checks:
    description:
      - The role's own rules beyond types and choices, each a mapping with C(ok), a template that evaluates to
        true or false, and C(msg), what to report (naming the variable) when it is false; C(var), the variable
        the rule is about, is for the reader.
      - Evaluated after the types and choices passed, all of them, and the message of every failing one is
        reported. A template for the whole list is accepted.
    type: list
    elements: dict
attributes:
  diff_mode:
    support: none
"""

EXAMPLES = r"""
# In a role's tasks/validate.yml: the types and choices of every variable of meta/argument_specs.yml, then the
# role's rules; the registered result tells the role's main.yml that the inputs were checked for this run.
- name: Check the valkey inputs
  homelab.immich.validate_inputs:
    checks:
      - var: valkey_port
        ok: "{{ valkey_port is homelab.immich.tcp_port }}"
        msg: "valkey_port must be a TCP port (1-65535), got '{{ valkey_port }}'."
  register: valkey__validation
"""

RETURN = r"""
checked:
  description: The names of the variables that were checked.
  returned: success
  type: list
  elements: str
errors:
  description: One message per failing variable or check, naming the variable.
  returned: failed
  type: list
  elements: str
stage:
  description: What failed, C(types) (types, choices, required) or C(checks) (the O(checks), evaluated only after the types passed).
  returned: failed
  type: str
  sample: types
"""
