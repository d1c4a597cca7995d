"""Request body validation the way Immich does it.

2.x: Nest's global ValidationPipe({transform: true, whitelist: true}) with class-validator decorators:
unknown properties are silently stripped, errors are a list of messages ("email must be an email").
3.x: nestjs-zod schemas (z.object strips unknown keys too); errors come back as
{message: 'Validation failed', errors: [{code, path, message}]}.

A field spec is a dict: type (string, email, uuid, boolean, number, integer, enum, array, object),
required, not_empty, values (enum), items (array element spec), min_items, max_items, unique,
fields (object), nullable.
"""

import re

# Immich checks ids as version-4 UUIDs (2.x IsUUID('4'), 3.x z.uuidv4()): the nil UUID is refused.
UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', re.I)
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+$')
CRON_FIELD_RE = re.compile(r'^[0-9A-Za-z*/,?LW#-]+$')


class Issue(object):
    """One validation problem, renderable as a class-validator message or a zod issue."""

    def __init__(self, path, code, cv, zod, **extra):
        self.path = path
        self.code = code
        self.cv = cv
        self.zod = zod
        # The other keys of the zod issue in 3.x (expected, values, origin/format/pattern), as the real sends them.
        self.extra = extra


# Patterns zod 4 reports with an invalid_format issue (copied from the real 3.1.0's answers).
ZOD_PATTERNS = {
    'email': "/^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9]"
             "(?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/",
    'uuid': '/^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$/',
}


def format_issue(path, fmt, cv, zod):
    return Issue(path, 'invalid_format', cv, zod, origin='string', format=fmt, pattern=ZOD_PATTERNS[fmt])


def _type_name(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


def _missing_or_wrong(path, expected_zod, value, cv_messages):
    received = 'undefined' if value is _MISSING else _type_name(value)
    zod = 'Invalid input: expected %s, received %s' % (expected_zod, received)
    return [Issue(path, 'invalid_type', cv_messages[0], zod, expected=expected_zod)] + [
        Issue(path, 'invalid_type', m, None) for m in cv_messages[1:]]


_MISSING = object()


def validate(body, fields):
    """Issues for ``body`` against an object spec's ``fields``. Unknown keys are ignored (stripped)."""
    if not isinstance(body, dict):
        return [Issue([], 'invalid_type', 'request body must be an object',
                      'Invalid input: expected object, received %s' % _type_name(body))]
    issues = []
    for name, spec in fields.items():
        issues.extend(_check([name], body.get(name, _MISSING), spec))
    return issues


def _label(path):
    return '.'.join(str(p) for p in path)


def _check(path, value, spec, each=False):
    label = _label(path)
    prefix = 'each value in ' if each else ''
    if value is _MISSING and not spec.get('required', True) and not each:
        return []
    # Immich's @Optional() skips only undefined; null is validated unless the field is nullable.
    if value is None and spec.get('nullable'):
        return []
    kind = spec['type']
    missing = value is _MISSING or value is None
    if kind in ('string', 'email', 'uuid'):
        if missing or not isinstance(value, str):
            msgs = ['%s%s must be a string' % (prefix, label)]
            if kind == 'email':
                msgs = ['%s%s must be an email' % (prefix, label)]
            elif kind == 'uuid':
                msgs = ['%s%s must be a UUID' % (prefix, label)]
            if spec.get('not_empty') and missing:
                msgs.append('%s%s should not be empty' % (prefix, label))
            if kind == 'uuid' and missing:
                # 2.x ValidateUUID() = IsUUID + IsNotEmpty + IsString: all three speak up for a missing id.
                msgs += ['%s%s should not be empty' % (prefix, label), '%s%s must be a string' % (prefix, label)]
            return _missing_or_wrong(path, 'string', value, msgs[:1]) + [
                Issue(path, 'invalid_type', m, None) for m in msgs[1:]]
        if spec.get('not_empty') and value == '':
            return [Issue(path, 'too_small', '%s%s should not be empty' % (prefix, label),
                          'Too small: expected string to have >=1 characters')]
        if kind == 'email' and not EMAIL_RE.match(value):
            return [format_issue(path, 'email', '%s%s must be an email' % (prefix, label),
                                 'Invalid input: expected email, received string')]
        if kind == 'uuid' and not UUID_RE.match(value):
            return [format_issue(path, 'uuid', '%s%s must be a UUID' % (prefix, label), 'Invalid UUID')]
        return []
    if kind == 'boolean':
        if missing or not isinstance(value, bool):
            return _missing_or_wrong(path, 'boolean', value, ['%s%s must be a boolean value' % (prefix, label)])
        return []
    if kind in ('number', 'integer'):
        if missing or isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = 'must be an integer number' if kind == 'integer' else 'must be a number conforming to the specified constraints'
            return _missing_or_wrong(path, 'number', value, ['%s%s %s' % (prefix, label, msg)])
        if kind == 'integer' and not float(value).is_integer():
            return [Issue(path, 'invalid_type', '%s%s must be an integer number' % (prefix, label),
                          'Invalid input: expected int, received number')]
        return []
    if kind == 'enum':
        values = spec['values']
        if missing or value not in values:
            shown = ', '.join(str(v) for v in values)
            zod = 'Invalid option: expected one of %s' % '|'.join('"%s"' % v if isinstance(v, str) else str(v) for v in values)
            return [Issue(path, 'invalid_value', '%s%s must be one of the following values: %s' % (prefix, label, shown), zod,
                          values=list(values))]
        return []
    if kind == 'array':
        if missing or not isinstance(value, list):
            # 2.x (real 2.5.5): a non-list trips the size and uniqueness validators, not an "array" one.
            cv = ['%s must contain no more than %d elements' % (label, spec['max_items'])] if 'max_items' in spec else []
            cv += ["All %s's elements must be unique" % label] if spec.get('unique') else []
            return _missing_or_wrong(path, 'array', value, cv or ['%s must be an array' % label])
        issues = []
        if 'min_items' in spec and len(value) < spec['min_items']:
            issues.append(Issue(path, 'too_small', '%s must contain at least %d elements' % (label, spec['min_items']),
                                'Too small: expected array to have >=%d items' % spec['min_items']))
        if 'max_items' in spec and len(value) > spec['max_items']:
            issues.append(Issue(path, 'too_big', '%s must contain no more than %d elements' % (label, spec['max_items']),
                                'Too big: expected array to have <=%d items' % spec['max_items']))
        item_spec = spec.get('items')
        if item_spec:
            seen = set()
            for index, item in enumerate(value):
                item_issues = _check(path + [index], item, dict(item_spec, required=True), each=True)
                for issue in item_issues:
                    # class-validator reports `each` problems once, on the property itself.
                    issue.cv = issue.cv.replace(_label(path + [index]), label) if issue.cv else issue.cv
                    if issue.cv not in seen:
                        seen.add(issue.cv)
                    else:
                        issue.cv = None
                issues.extend(item_issues)
        if spec.get('unique'):
            hashable = [repr(v) for v in value]
            if len(set(hashable)) != len(hashable):
                issues.append(Issue(path, 'custom', "All %s's elements must be unique" % label, 'Array items must be unique'))
        return issues
    if kind == 'object':
        if missing or not isinstance(value, dict):
            return _missing_or_wrong(path, 'object', value, ['%s must be an object' % label])
        issues = []
        for name, sub in spec['fields'].items():
            issues.extend(_check(path + [name], value.get(name, _MISSING), sub))
        return issues
    raise ValueError('unknown spec type %r' % kind)


def schema_from_contract(schema, enums):
    """Object fields for a SystemConfigDto/AdminConfigDto tree from contract.json."""
    fields = {}
    for raw_key, leaf in schema.items():
        key = raw_key.rstrip('?')
        spec = _leaf_spec(leaf, enums)
        spec['required'] = not raw_key.endswith('?')
        fields[key] = spec
    return fields


def _leaf_spec(leaf, enums):
    if isinstance(leaf, dict):
        return {'type': 'object', 'fields': schema_from_contract(leaf, enums)}
    if isinstance(leaf, list):
        if leaf[0] == 'list':
            return {'type': 'array', 'items': _leaf_spec(leaf[1], enums)}
        spec = _leaf_spec(leaf[1], enums)
        spec['nullable'] = True
        return spec
    if leaf.startswith('enum:'):
        return {'type': 'enum', 'values': enums[leaf[5:]]}
    return {'type': {'bool': 'boolean', 'num': 'number', 'str': 'string'}[leaf]}


# What the `cron` npm package (4.3.5 in Immich 2.5.5, 4.4.0 in 3.1.0) accepts in `new CronJob(expr)`,
# checked against the real servers (tests/unit/immich/test_cron_check.py): 5 fields, or 6 with seconds
# first; `*`, numbers (leading zeros allowed), three-letter month and weekday names (any case), a-b ranges
# with a <= b, /steps >= 1, comma lists; the aliases below. Not `?`, `L`, `W`, `#`, @annually, @reboot.
CRON_ALIASES = frozenset(['@yearly', '@monthly', '@weekly', '@daily', '@hourly', '@minutely'])
CRON_NAMES = {4: dict((m, i + 1) for i, m in enumerate('jan feb mar apr may jun jul aug sep oct nov dec'.split())),
              5: dict((d, i) for i, d in enumerate('sun mon tue wed thu fri sat'.split()))}
CRON_BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]  # second, minute, hour, dom, month, dow
CRON_ITEM_RE = re.compile(r'^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?$')


def _cron_value(text, field, low, high):
    if text.isdigit():
        number = int(text)
    elif text in CRON_NAMES.get(field, {}):
        number = CRON_NAMES[field][text]
    else:
        return None
    return number if low <= number <= high else None


def cron_reason(expression):
    """The `cron` library's reason for a word that is no alias ("Unknown alias: eve", checked against the real
    3.1.0); the other reasons are not modelled and get a generic text."""
    text = str(expression).strip().lower()
    for word in text.split():
        letters = re.findall(r'[a-z]+', word)
        if letters and not text.startswith('@'):
            return 'Unknown alias: %s' % letters[0][:3]
    return 'Field value out of range' if text else 'Too few fields'


def valid_cron(expression):
    if not isinstance(expression, str):
        return False
    text = expression.strip().lower()
    if text.startswith('@'):
        return text in CRON_ALIASES
    parts = text.split()
    if len(parts) == 5:
        parts = ['0'] + parts
    if len(parts) != 6:
        return False
    for field, (part, (low, high)) in enumerate(zip(parts, CRON_BOUNDS)):
        for item in part.split(','):
            match = CRON_ITEM_RE.match(item)
            if not match:
                return False
            if match.group(2) is not None and int(match.group(2)) < 1:
                return False
            if match.group(1) == '*':
                continue
            ends = [_cron_value(v, field, low, high) for v in match.group(1).split('-')]
            if None in ends or ends[0] > ends[-1]:
                return False
    return True


def render(issues, major3):
    """The 400 body for a list of issues, in the version's style (without statusCode/correlationId)."""
    if major3:
        return {'message': 'Validation failed',
                'errors': [dict(i.extra, code=i.code, path=i.path, message=i.zod) for i in issues if i.zod]}
    return {'message': [i.cv for i in issues if i.cv], 'error': 'Bad Request'}
