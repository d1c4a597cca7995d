# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for nested Immich settings: merge, check, diff and mask. No I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

# Keys whose values are secrets wherever they appear (oauth.clientSecret, notifications.smtp.transport.password,
# API key secrets, login tokens).
SECRET_KEYS = frozenset(['password', 'clientSecret', 'secret', 'accessToken'])
MASK = '********'


def deep_merge(base, override):
    """Return a copy of ``base`` with ``override`` merged in; mappings merge, everything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def changed_paths(before, after, prefix=''):
    """Dotted paths of the leaves (scalars or whole lists) that differ between two nested mappings."""
    paths = []
    for key in list(before) + [k for k in after if k not in before]:
        path = '%s.%s' % (prefix, key) if prefix else key
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            paths.extend(changed_paths(old, new, path))
        elif key not in before or key not in after or not _same(old, new):
            paths.append(path)
    return paths


def _same(old, new):
    # 1 == True in Python; a bool must never silently equal a number.
    if isinstance(old, bool) != isinstance(new, bool):
        return False
    return old == new


def pick_paths(data, paths):
    """A nested mapping holding only the given dotted paths of ``data`` (missing paths are skipped)."""
    picked = {}
    for path in paths:
        node, target = data, picked
        keys = path.split('.')
        try:
            for key in keys[:-1]:
                node = node[key]
                target = target.setdefault(key, {})
            target[keys[-1]] = copy.deepcopy(node[keys[-1]])
        except (KeyError, TypeError):
            continue
    return picked


def mask_secrets(data, keys=SECRET_KEYS):
    """Copy of ``data`` with every non-empty string under a secret key replaced by a mask."""
    if isinstance(data, dict):
        return dict((k, MASK if k in keys and isinstance(v, str) and v else mask_secrets(v, keys)) for k, v in data.items())
    if isinstance(data, list):
        return [mask_secrets(item, keys) for item in data]
    return data


def _kind(value):
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'list'
    if isinstance(value, dict):
        return 'mapping'
    if value is None:
        return 'null'
    return type(value).__name__


def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def check_partial(partial, current, prefix='config', secret_keys=SECRET_KEYS):
    """Return a list of problems with ``partial`` measured against the server's ``current`` settings.

    Every key must exist in ``current``; a value must have the kind of the current value (a null
    current value accepts any scalar). Each problem names the dotted key; secret values are not echoed.
    """
    problems = []
    if not isinstance(partial, dict):
        return ['%s must be a mapping, got %s' % (prefix, _kind(partial))]
    for key, value in partial.items():
        path = '%s.%s' % (prefix, key)
        if key not in current:
            problems.append('%s is not an Immich setting (known keys under %s: %s)'
                            % (path, prefix, ', '.join(sorted(current))))
            continue
        expected = current[key]
        shown = '' if key in secret_keys else ' %s' % _show(value)
        if isinstance(expected, dict):
            if isinstance(value, dict):
                problems.extend(check_partial(value, expected, path, secret_keys))
            else:
                problems.append('%s must be a mapping, got %s%s' % (path, _kind(value), shown))
        elif expected is None:
            if isinstance(value, (dict, list)):
                problems.append('%s must be a single value or null, got %s' % (path, _kind(value)))
        elif _kind(value) != _kind(expected):
            problems.append('%s must be a %s, got %s%s' % (path, _kind(expected), _kind(value), shown))
        elif isinstance(expected, list) and expected:
            element = _kind(expected[0])
            for index, item in enumerate(value):
                if _kind(item) != element:
                    problems.append('%s[%d] must be a %s, got %s %s' % (path, index, element, _kind(item), _show(item)))
    return problems
