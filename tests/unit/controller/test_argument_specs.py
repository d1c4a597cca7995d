"""meta/argument_specs.yml is the single description of every role variable; defaults/main.yml holds the values.

Each role's defaults and the options of its entry points must name the same variables (the site-level
homelab_immich_* connection settings and required arguments are declared without a role default), every option must have a type and a
description, and a default written in the spec must be the value defaults/main.yml holds.
"""
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = sorted(r for r in os.listdir(os.path.join(ROOT, 'roles')) if os.path.isdir(os.path.join(ROOT, 'roles', r, 'meta')))


def load(role, *path):
    with open(os.path.join(ROOT, 'roles', role, *path)) as stream:
        return yaml.safe_load(stream) or {}


@pytest.mark.parametrize('role', ROLES)
def test_defaults_and_spec_name_the_same_variables(role):
    defaults = load(role, 'defaults', 'main.yml')
    specs = load(role, 'meta', 'argument_specs.yml')['argument_specs']
    declared = {name for entry in specs.values() for name in (entry.get('options') or {})}
    # Site-level settings and the arguments an internal role's caller must give have no role default.
    site_level = {name for name in declared if name.startswith('homelab_immich_')} | {
        name for entry in specs.values() for name, option in (entry.get('options') or {}).items() if option.get('required')}
    assert sorted(set(defaults) - declared) == [], 'in defaults/main.yml but in no entry point of meta/argument_specs.yml'
    assert sorted(declared - site_level - set(defaults)) == [], 'in meta/argument_specs.yml but without a value in defaults/main.yml'


@pytest.mark.parametrize('role', ROLES)
def test_every_option_has_a_type_a_description_and_the_default_of_defaults_main(role):
    defaults = load(role, 'defaults', 'main.yml')
    specs = load(role, 'meta', 'argument_specs.yml')['argument_specs']
    problems = []
    for entry, spec in specs.items():
        for name, option in (spec.get('options') or {}).items():
            if 'type' not in option or not option.get('description'):
                problems.append('%s %s: no type or no description' % (entry, name))
            if 'default' in option and name in defaults and option['default'] != defaults[name]:
                problems.append('%s %s: spec default %r, defaults/main.yml %r' % (entry, name, option['default'], defaults[name]))
    assert not problems, problems


def test_secrets_are_no_log_in_the_spec():
    """Variables ending in _password, _api_key or _access_key (docs/DESIGN.md's convention) are no_log options. (Here a
    name ending in _secret names a Kubernetes Secret, such as immich_db_secret, and holds no secret itself.)"""
    missing = []
    for role in ROLES:
        for entry, spec in load(role, 'meta', 'argument_specs.yml')['argument_specs'].items():
            for name, option in (spec.get('options') or {}).items():
                if name.endswith(('_password', '_api_key', '_access_key')) and not option.get('no_log'):
                    missing.append('%s/%s %s' % (role, entry, name))
    assert not missing, missing
