"""Each role's README carries the variables table generated from its meta/argument_specs.yml, up to date."""
import os

import pytest

from tests.docs import role_readmes


@pytest.mark.parametrize('role', role_readmes.roles())
def test_readme_variables_match_the_spec(role):
    path = os.path.join(role_readmes.ROOT, 'roles', role, 'README.md')
    assert os.path.exists(path), 'roles/%s has no README.md (make docs writes its variables section)' % role
    with open(path) as stream:
        text = stream.read()
    assert text.startswith('# homelab.immich.%s' % role), 'the README starts with a title and a hand-written introduction'
    assert role_readmes.render(text, role) == text, 'the variables section is out of date: run make docs'


def test_the_table_names_every_option():
    """Control: the generated section lists each option of the spec (a spec option missing from it would fail above)."""
    text = role_readmes.section('valkey')
    assert '| `valkey_rollout_timeout` | int | `300` |' in text and '| `valkey_password` | str | (secret) |' in text
