"""Role inputs checked on the values they really have (plugins/plugin_utils/role_inputs.py), and the
filters and tests that give inputs one spelling (plugins/filter/inputs.py, plugins/test/inputs.py)."""
import os

import pytest
import yaml

from ansible_collections.homelab.immich.plugins.filter.inputs import duplicates, endpoint_url, hostname, normpath
from ansible_collections.homelab.immich.plugins.plugin_utils.role_inputs import input_errors, type_errors
from ansible_collections.homelab.immich.plugins.test.inputs import endpoint_url as is_endpoint_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

SPEC = {
    'a_list': {'type': 'list', 'elements': 'str'},
    'a_dict': {'type': 'dict'},
    'a_str': {'type': 'str'},
    'an_int': {'type': 'int'},
    'a_bool': {'type': 'bool'},
    'a_choice': {'type': 'str', 'choices': ['managed', 'external_secret']},
    'a_secret': {'type': 'str', 'no_log': True},
    'anything': {'type': 'raw'},
    'records': {'type': 'list', 'elements': 'dict', 'options': {'name': {'type': 'str'}, 'port': {'type': 'int'}}},
}
GOOD = {'a_list': ['192.168.10.0/24'], 'a_dict': {'k': 'v'}, 'a_str': 'x', 'an_int': 5432, 'a_bool': True,
        'a_choice': 'managed', 'a_secret': 's3cr3t', 'anything': ['x'], 'records': [{'name': 'a', 'port': 1}]}


def errors_for(**bad):
    values = dict(GOOD, **bad)
    return input_errors(SPEC, values)


def test_good_values_pass():
    assert input_errors(SPEC, GOOD) == []


@pytest.mark.parametrize('name,value,expected', [
    ('a_list', '192.168.10.0/24', 'a_list must be a list, got a string'),          # Ansible's own check splits it
    ('a_list', {'k': 'v'}, 'a_list must be a list, got a mapping'),
    ('a_dict', 'k=v', 'a_dict must be a mapping, got a string'),                  # Ansible's own check parses k=v
    ('a_dict', ['k'], 'a_dict must be a mapping, got a list'),
    ('a_str', ['x'], 'a_str must be a string, got a list'),
    ('a_str', {'x': 1}, 'a_str must be a string, got a mapping'),
    ('a_str', True, 'a_str must be a string, got a boolean'),
    ('an_int', 'abc', 'an_int must be an integer, got a string'),
    ('an_int', True, 'an_int must be an integer, got a boolean'),
    ('an_int', 1.5, 'an_int must be an integer, got a number'),
    ('an_int', [1], 'an_int must be an integer, got a list'),
    ('a_bool', 'sometimes', 'a_bool must be a boolean (true or false), got a string'),
    ('a_bool', ['yes'], 'a_bool must be a boolean (true or false), got a list'),
])
def test_a_value_of_the_wrong_type_is_named(name, value, expected):
    errors = errors_for(**{name: value})
    assert len(errors) == 1 and errors[0].startswith(expected), errors


@pytest.mark.parametrize('name,value', [
    ('an_int', '5432'), ('an_int', 3.0), ('a_bool', 'yes'), ('a_bool', 'false'), ('a_bool', 0), ('a_str', 4.1), ('a_str', 17),
])
def test_ansibles_scalar_conversions_still_work(name, value):
    """-e name=value gives strings, and YAML gives 4.1 for an unquoted NFS version: both stay accepted."""
    assert errors_for(**{name: value}) == []


def test_list_elements_and_nested_options_are_checked():
    errors = errors_for(a_list=['ok', ['nested']], records=[{'name': ['x'], 'port': 'eighty'}])
    assert 'a_list[1] must be a string, got a list' in errors[0]
    assert any(e.startswith('records[0].name must be a string') for e in errors), errors
    assert any(e.startswith('records[0].port must be an integer') for e in errors), errors


def test_every_failing_variable_is_reported_at_once():
    errors = errors_for(a_list='x', a_dict='y', an_int='z')
    assert [e.split(' ', 1)[0] for e in errors] == ['a_dict', 'a_list', 'an_int']


def test_choices_are_checked_on_the_real_value():
    errors = errors_for(a_choice='inventory')
    assert errors == ['value of a_choice must be one of: managed, external_secret, got: inventory']


def test_a_secret_is_never_shown():
    errors = errors_for(a_secret=['s3cr3t'])
    assert errors and all('s3cr3t' not in e for e in errors), errors
    assert 'no_log' in errors[0]


def test_null_is_left_to_the_spec():
    """null means "not set": required options fail through Ansible's validator, others pass."""
    spec = {'must': {'type': 'str', 'required': True}, 'may': {'type': 'list'}}
    assert type_errors(spec, {'must': None, 'may': None}) == []
    assert input_errors(spec, {'may': None}) == ['missing required arguments: must']


def test_every_role_spec_declares_types_the_check_knows():
    """A type this check does not know would pass unchecked: every option of every role uses a known one."""
    known = {'str', 'list', 'dict', 'bool', 'int', 'float', 'path', 'raw'}
    unknown = []
    for role in sorted(os.listdir(os.path.join(ROOT, 'roles'))):
        path = os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml')
        if not os.path.exists(path):
            continue
        with open(path) as stream:
            specs = yaml.safe_load(stream)['argument_specs']
        for entry, spec in specs.items():
            for name, option in (spec.get('options') or {}).items():
                for key in ('type', 'elements'):
                    if key in option and option[key] not in known:
                        unknown.append('%s/%s %s: %s %s' % (role, entry, name, key, option[key]))
    assert not unknown, unknown


@pytest.mark.parametrize('given,expected', [
    ('/mnt/photos/', '/mnt/photos'), ('/mnt//photos', '/mnt/photos'), ('//mnt/photos', '/mnt/photos'),
    ('/mnt/photos/./2024/', '/mnt/photos/2024'), ('/', '/'), ('photos/', 'photos'), ('', ''),
])
def test_normpath(given, expected):
    assert normpath(given) == expected


@pytest.mark.parametrize('given,expected', [
    ('NAS.Example.org.', 'nas.example.org'), ('192.168.10.133', '192.168.10.133'), ('[FE80::1]', '[fe80::1]'), (' nas ', 'nas'),
])
def test_hostname(given, expected):
    assert hostname(given) == expected


def test_duplicates():
    assert duplicates(['/a', '/b', '/a', '/a', '/c', '/b']) == ['/a', '/b']
    assert duplicates([]) == []


@pytest.mark.parametrize('url,ok', [
    ('http://192.168.10.133:30293', True), ('https://s3.example.org', True), ('http://minio:9000/', True),
    ('http://host:9000/bucket', False),      # Barman wants the bucket in the destination path
    ('host:9000', False), ('ftp://host', False), ('http://user:pw@host', False), ('http://host:99999', False),
    ('http://host?x=1', False), ('http:// host', False), ('', False), ('http://', False),
])
def test_endpoint_url(url, ok):
    assert is_endpoint_url(url) is ok


def test_endpoint_url_filter_drops_trailing_slashes():
    assert endpoint_url('http://minio:9000/') == 'http://minio:9000'
