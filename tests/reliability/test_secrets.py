"""No secret in the output of site.yml run with -vvv and --diff, neither on a converge from an empty
cluster nor on the no-op re-run.

The secrets are collected, not hard-coded: every variable of inventories/local whose name marks it as a
secret (docs/DESIGN.md: *_password, *_secret, *_api_key, *_access_key; also *_token, *_key_id), rendered by
Ansible, plus every value under a secret-looking key of the Secrets the collection manages (the
generated database owner and Valkey passwords, the Immich API key). Each is searched as is and
base64-encoded (how a Secret's data would show).
"""
import base64
import re

from tests.lib.testbed import MANAGED_BY
from tests.lib.write_watch import b64

SECRET_VARIABLE = re.compile(r'(_password|_secret|_api_key|_access_key|_token|_key_id)$')
SECRET_DATA_KEY = re.compile(r'pass|secret|key|token', re.I)
MIN_LENGTH = 6  # shorter values would match by chance (and no secret here is that short)


def collect_secrets(testbed, inventory):
    """{label: value} of every secret the runs must not print."""
    secrets = {}
    for host, variables in inventory.items():
        for name, value in variables.items():
            if SECRET_VARIABLE.search(name) and isinstance(value, str) and len(value) >= MIN_LENGTH:
                secrets['%s (inventory, %s)' % (name, host)] = value
    for secret in testbed.objects(MANAGED_BY, resources=['secrets'], exclude=()):
        meta = secret['metadata']
        for key, encoded in (secret.get('data') or {}).items():
            value = base64.b64decode(encoded).decode('utf-8', 'replace')
            if SECRET_DATA_KEY.search(key) and len(value) >= MIN_LENGTH:
                secrets['Secret %s/%s key %s' % (meta['namespace'], meta['name'], key)] = value
    return secrets


def leaks(output, secrets):
    found = []
    for label, value in secrets.items():
        for form, needle in (('plain', value), ('base64', b64(value))):
            index = output.find(needle)
            if index >= 0:
                line = output.count('\n', 0, index) + 1
                found.append('%s appears %s at output line %d' % (label, form, line))
    return found


def test_no_secret_in_verbose_diff_output(fresh_testbed, inventory, expect):
    tb = fresh_testbed
    converge = tb.playbook('-vvv', '--diff')
    assert converge.rc == 0, converge.tail(60)
    noop = tb.playbook('-vvv', '--diff')
    assert noop.rc == 0, noop.tail(60)
    tb.converged = True

    secrets = collect_secrets(tb, inventory)
    names = ' '.join(secrets)
    # The collection must have produced the secrets this test is about, else it proves nothing.
    for wanted in ('immich_library_admin_password', 'truenas_nfs_export_api_key', 'immich_database_s3_secret_access_key',
                   'immich-api-key', 'immich-database-owner'):
        assert wanted in names, 'no secret %s was found to look for; found: %s' % (wanted, sorted(secrets))
    # -vvv shows module arguments: masked ones prove the output holds task arguments at all.
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in converge.output or 'censored' in converge.output

    problems = ['converge: ' + p for p in leaks(converge.output, secrets)] + ['no-op: ' + p for p in leaks(noop.output, secrets)]
    assert not problems, 'secrets in the -vvv --diff output (see %s):\n  %s' % (tb.output_dir, '\n  '.join(problems))
    assert not expect.problems(), expect.problems()
