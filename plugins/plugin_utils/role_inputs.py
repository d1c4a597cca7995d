# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check role variables against their role's ``meta/argument_specs.yml`` on the values they really have.

Ansible's own role argument validation converts before it checks: a string given for a ``list`` option is
split on commas and passes, while the variable the role's tasks then read is still a string. Here a list
must be a list and a mapping a mapping; scalars keep Ansible's conversions (``"5432"`` is an int, ``"yes"``
a bool) so that ``-e name=value`` works. Then the rest of the spec (choices, required, elements) is
checked by Ansible's ArgumentSpecValidator on the same values. Every failing variable is reported.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import BOOLEANS

SCALARS = (str, int, float)

# What each declared type accepts before Ansible's own conversion, and how to say it.
_EXPECTED = {
    'list': 'a list',
    'dict': 'a mapping',
    'str': 'a string',
    'path': 'a path (string)',
    'int': 'an integer',
    'float': 'a number',
    'bool': 'a boolean (true or false)',
}


def _kind(value):
    """A short name for the type a value really has, as a user would call it."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, Mapping):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, (int, float)):
        return 'a number'
    return 'a %s' % type(value).__name__


def _accepts(declared, value):
    if declared in (None, 'raw'):
        return True
    if value is None:
        # null means "not set" to Ansible's validator, which applies required/defaults itself.
        return True
    if declared == 'list':
        return isinstance(value, (list, tuple))
    if declared == 'dict':
        return isinstance(value, Mapping)
    if declared in ('str', 'path'):
        # Numbers are fine for a string (nfs version 4.1 unquoted); booleans are YAML's yes/no surprise.
        return isinstance(value, SCALARS) and not isinstance(value, bool)
    if declared == 'int':
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, str) and value.strip().lstrip('+-').isdigit()
    if declared == 'float':
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return isinstance(value, str)
    if declared == 'bool':
        return isinstance(value, bool) or (isinstance(value, (str, int)) and value in BOOLEANS)
    return True


def _shown(value, secret):
    if secret:
        return '(value hidden: no_log)'
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 120 else text[:117] + '...'


def type_errors(spec, values, prefix=''):
    """Messages for every value whose real type does not fit its declared type (recursing into
    ``options`` of mappings and ``elements`` of lists)."""
    errors = []
    for name in sorted(values):
        option = spec.get(name)
        if option is None:
            continue
        value = values[name]
        declared = option.get('type', 'str')
        secret = bool(option.get('no_log'))
        full = prefix + name
        if not _accepts(declared, value):
            expected = _EXPECTED.get(declared, declared)
            errors.append('%s must be %s, got %s: %s.' % (full, expected, _kind(value), _shown(value, secret)))
            continue
        elements = option.get('elements')
        if declared == 'list' and elements and value is not None:
            for index, item in enumerate(value):
                if not _accepts(elements, item) or item is None:
                    expected = _EXPECTED.get(elements, elements)
                    errors.append('%s[%d] must be %s, got %s: %s.' % (full, index, expected, _kind(item), _shown(item, secret)))
                elif elements == 'dict' and option.get('options'):
                    errors.extend(type_errors(option['options'], dict(item), '%s[%d].' % (full, index)))
        if declared == 'dict' and option.get('options') and isinstance(value, Mapping):
            errors.extend(type_errors(option['options'], dict(value), full + '.'))
    return errors


def input_errors(spec, values):
    """Every message for ``values`` (name -> value as the role will read it) against ``spec`` (the
    ``options`` of one entry point): the real types first, then choices and the rest of the spec."""
    errors = type_errors(spec, values)
    if errors:
        return errors
    result = ArgumentSpecValidator(spec).validate(dict(values), validate_role_argument_spec=True)
    return list(result.error_messages)
