"""The subset of middlewared's query-filters and query-options the emulated methods accept."""
from .errors import CallError

OPERATORS = {
    '=': lambda value, arg: value == arg,
    '!=': lambda value, arg: value != arg,
    'in': lambda value, arg: value in arg,
    'nin': lambda value, arg: value not in arg,
    '^': lambda value, arg: isinstance(value, str) and value.startswith(arg),
    '$': lambda value, arg: isinstance(value, str) and value.endswith(arg),
}


def _get(item, name):
    for part in name.split('.'):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def matches(item, filters):
    for flt in filters or []:
        if len(flt) != 3 or flt[1] not in OPERATORS:
            raise CallError(f'Invalid filter {flt!r}')
        name, operator, arg = flt
        if not OPERATORS[operator](_get(item, name), arg):
            return False
    return True


def filter_list(items, filters=None, options=None):
    """Filter ``items``; options: get, limit, offset, select, count (others are ignored)."""
    options = options or {}
    result = [item for item in items if matches(item, filters)]
    if options.get('offset'):
        result = result[options['offset']:]
    if options.get('limit'):
        result = result[:options['limit']]
    if options.get('select'):
        result = [{key: item.get(key) for key in options['select']} for item in result]
    if options.get('count'):
        return len(result)
    if options.get('get'):
        if not result:
            raise CallError('Object not found', 2)  # MatchNotFound is ENOENT
        return result[0]
    return result
