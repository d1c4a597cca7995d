"""The immich_library role's cron check accepts and rejects exactly what Immich's own parser (the `cron`
npm package behind its IsCronExpression validator) does.

Each expression of the table is judged three ways, which must agree: the role's check (the
homelab.immich.immich_cron test its validate.yml uses), and the backend's
answer to a PUT of library.scan.cronExpression (200 vs 400 "Invalid cron expression"). On the real
backends that answer is Immich's own parser; on the emulator, its copy of that grammar. The `accepted`
column is what `new CronJob(expr)` of cron 4.3.5 (Immich 2.5.5) said when the table was written; the
real-server runs re-check it."""

import pytest

from ansible_collections.homelab.immich.plugins.test.inputs import immich_cron
from immich_helpers import conn


def role_accepts(expression):
    """The role's check: roles/immich_library/tasks/validate.yml asks the immich_cron test plugin."""
    return immich_cron(expression)


TABLE = [
    ('0 0 * * *', True), ('0 3 * * *', True), ('*/15 * * * *', True), ('0 0 1 1 *', True), ('0 0 * * 0', True),
    ('0 0 * * 7', True), ('0 0 * * sun', True), ('0 0 * JAN *', True), ('0 0 1-15/2 * *', True),
    ('0 0 * * mon-fri', True), ('0 0 0 * * *', True), ('@daily', True), ('@hourly', True), ('@weekly', True),
    ('@yearly', True), ('@monthly', True), ('@minutely', True), ('@DAILY', True), ('@midnight', False),
    ('@annually', False), ('@reboot', False), ('0 0 ? * *', False), ('0 0 * * ?', False), ('0 24 * * *', False),
    ('60 0 * * *', False), ('0 0 32 * *', False), ('0 0 0 * *', False), ('0 0 * 13 *', False), ('0 0 * 0 *', False),
    ('0 0 * * 8', False), ('every night', False), ('', False), ('0 0 * *', False), ('0 0 0 0 * * *', False),
    ('0 0 L * *', False), ('0 0 W * *', False), ('0 0 * * 1#2', False), ('5,10 * * * *', True),
    ('0-59/5 * * * *', True), ('*/0 * * * *', False), ('0 0 * * MON,WED', True), (' 0 0 * * * ', True),
    ('0 0 * * 5-1', False), ('0 0 31 2 *', True), ('0 0 * * 1/2', True), ('*/61 * * * *', True),
    ('0 0 * * SUNDAY', False), ('0  0 * * *', True), ('0 0 * jan-mar *', True), ('01 02 * * *', True),
    ('0 0 * * */2', True), ('-1 0 * * *', False), ('0 0 * * 0-7', True), ('0 0 * * 7-0', False),
    ('1-5/2 * * * *', True), ('*/5,10 * * * *', True), ('0 0 * * sun-sat', True), ('0 0 * * sat-sun', False),
    ('0 0 * dec-jan *', False), ('0 0 * * MoN', True), ('0 0 * * 1-', False), ('0 0 * * ,1', False),
    ('60 * * * * *', False), ('59 59 23 31 12 6', True), ('0 0 * * 1-5/0', False), ('0 0 */5/2 * *', False),
    ('0 0 1-3-5 * *', False), ('0 0 0/0 * *', False), ('0 0 * * 1,', False), ('0 0 * * * # x', False),
    ('1 2 3 4 5 6 7', False), ('0 0 * 12-1 *', False), ('0 0 31-1 * *', False), ('00 00 * * 07', True),
]


@pytest.mark.parametrize('expression, accepted', TABLE)
def test_role_check_agrees_with_the_table(expression, accepted):
    assert role_accepts(expression) is accepted


def test_role_check_and_server_agree(immich):
    """One backend, the whole table: each PUT is answered by Immich's parser (real) or the emulator's copy."""
    from ansible_collections.homelab.immich.plugins.module_utils.immich import ImmichAPIError, ImmichClient
    client = ImmichClient(immich.base_url, api_key=immich.admin_key)
    config = client.get('/system-config')
    disagreements = []
    for expression, accepted in TABLE:
        config['library']['scan']['cronExpression'] = expression
        try:
            client.put('/system-config', config)
            server = True
        except ImmichAPIError as exc:
            assert exc.status == 400 and 'Invalid cron expression' in exc.message, exc
            server = False
        if not (server is accepted is role_accepts(expression)):
            disagreements.append((expression, 'server' if server else 'server refuses', 'table %s' % accepted,
                                  'role %s' % role_accepts(expression)))
    assert disagreements == []


def test_module_reports_the_servers_refusal(immich):
    from immich_helpers import run_module
    run = run_module('immich_config', conn(immich, config={'library': {'scan': {'cronExpression': '0 0 ? * *'}}}))
    assert run.failed and 'Invalid cron expression' in run.result['msg']
