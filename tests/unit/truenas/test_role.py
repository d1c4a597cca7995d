"""roles/truenas_nfs_export through ansible-playbook against the emulator: converge, idempotence,
preflight failures naming the variable, the API key never printed (also with -vvv), and the logins of a
converge, a no-op re-run and a long wait staying under TrueNAS's rate limit (20 per address a minute), which the
emulator enforces like middlewared (tests/emulators/truenas/ratelimit.py)."""
import json
import os
import re
import subprocess
import sys

import pytest
from websockets.sync.client import connect

from .conftest import API_KEY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK = os.path.join(ROOT, 'tests', 'unit', 'truenas', 'role', 'converge.yml')
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
INVENTORY = """all:
  children:
    nas:
      hosts:
        truenas:
          ansible_connection: local
          ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


@pytest.fixture
def play(make_emulator, tmp_path):
    """``play(*args, **role_vars)`` -> (returncode, output, recap dict) of one ansible-playbook run."""
    emulator = make_emulator('25.10')
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(INVENTORY)

    def run(*args, env_api_key=None, **role_vars):
        variables = dict(truenas_nfs_export_host='127.0.0.1', truenas_nfs_export_port=emulator.port,
                         truenas_nfs_export_scheme='ws', truenas_nfs_export_api_key=API_KEY,
                         truenas_nfs_export_networks=['192.168.10.0/24'], truenas_nfs_export_wait_delay=0)
        variables.update(role_vars)
        extra = tmp_path / 'vars.json'
        extra.write_text(json.dumps(variables))
        env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
        env.pop('TRUENAS_API_KEY', None)
        if env_api_key:
            env['TRUENAS_API_KEY'] = env_api_key
        proc = subprocess.run([ANSIBLE_PLAYBOOK, '-i', str(inventory), PLAYBOOK, '-e', '@' + str(extra)] + list(args),
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        output = proc.stdout + proc.stderr
        match = re.search(r'truenas\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', output)
        recap = dict(zip(('ok', 'changed', 'failed'), map(int, match.groups()))) if match else {}
        return proc.returncode, output, recap

    run.emulator = emulator
    return run


def test_converge_then_rerun_changes_nothing_and_never_prints_the_key(play):
    emulator = play.emulator
    code, output, recap = play('-vvv')
    assert code == 0, output
    assert recap['changed'] == 2  # the share and the service (protocols already NFSV3+NFSV4)
    assert API_KEY not in output
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in output  # the key was there, masked
    share = emulator.state.data['shares'][0]
    assert (share['path'], share['ro'], share['networks']) == ('/mnt/BigTank/photos/All', True, ['192.168.10.0/24'])
    assert emulator.state.data['services'][0]['state'] == 'RUNNING' and emulator.state.data['services'][0]['enable']

    emulator.reset_log()
    code, output, recap = play()
    assert code == 0 and recap['changed'] == 0, output
    assert emulator.writes() == []


@pytest.mark.parametrize('role_vars,variable,message', [
    ({'truenas_nfs_export_networks': ['192.168.10.300/24']}, 'truenas_nfs_export_networks', 'not valid: 192.168.10.300/24'),
    ({'truenas_nfs_export_path': 'photos/All'}, 'truenas_nfs_export_path', 'absolute, normalised path inside a pool'),
    ({'truenas_nfs_export_maproot_user': 'root', 'truenas_nfs_export_mapall_user': 'nobody'},
     'truenas_nfs_export_mapall_user', 'mutually exclusive'),
    ({'truenas_nfs_export_mapall_group': 'nogroup'}, 'truenas_nfs_export_mapall_group', 'needs truenas_nfs_export_mapall_user'),
    ({'truenas_nfs_export_state': 'absent'}, 'truenas_nfs_export_allow_data_loss', 'is not true'),
    ({'truenas_nfs_export_security': ['KRB9']}, 'truenas_nfs_export_security', 'KRB9'),
    ({'truenas_nfs_export_host': '192.168.10.133'}, 'truenas_nfs_export_scheme', 'TrueNAS then revokes it'),
    # plugins/nfs_/validators.py sanitize_networks TS-25.10.0+: every network whose address is 0 is refused
    ({'truenas_nfs_export_networks': ['0.0.0.0/8']}, 'truenas_nfs_export_networks', '0.0.0.0/8 start(s) at address 0'),
    ({'truenas_nfs_export_networks': ['192.168.10.0/24', '0.1.2.3/7']}, 'truenas_nfs_export_networks',
     '0.1.2.3/7 start(s) at address 0'),
    ({'truenas_nfs_export_networks': ['::/0']}, 'truenas_nfs_export_networks', '::/0 start(s) at address 0'),
    ({'truenas_nfs_export_networks': ['0:0::/16']}, 'truenas_nfs_export_networks', '0:0::/16 start(s) at address 0'),
])
def test_bad_input_fails_in_preflight_naming_the_variable(play, role_vars, variable, message):
    code, output, recap = play(**role_vars)
    assert code != 0 and recap['failed'] == 1
    assert variable in output and message in output, output
    assert play.emulator.log() == []  # failed before talking to the NAS


@pytest.mark.parametrize('path,message', [
    ('/mnt/scratch/photos', 'truenas_nfs_export_path: /mnt/scratch/photos is not inside a pool'),
    ('/mnt/BigTank/photos/latest', 'is a SYMLINK, not a directory'),
    ('/mnt/BigTank/photos/missing', 'truenas_nfs_export_path: /mnt/BigTank/photos/missing does not exist'),
])
def test_path_problems_fail_in_preflight_without_writing(play, path, message):
    code, output, recap = play(truenas_nfs_export_path=path)
    assert code != 0 and recap['failed'] == 1 and message in output, output
    assert play.emulator.writes() == []


def test_absent_with_allow_data_loss_removes_only_the_export(play):
    assert play()[0] == 0
    code, output, recap = play(truenas_nfs_export_state='absent', truenas_nfs_export_allow_data_loss=True)
    assert code == 0 and recap['changed'] == 1, output
    assert play.emulator.state.data['shares'] == []
    assert play.emulator.state.data['services'][0]['state'] == 'RUNNING'  # other shares may need NFS


def test_api_key_from_the_environment_when_the_variable_is_empty(play):
    code, output, recap = play(env_api_key=API_KEY, truenas_nfs_export_api_key='')
    assert code == 0 and recap['changed'] == 2, output
    code, output, recap = play(truenas_nfs_export_api_key='')
    assert code != 0 and 'truenas_nfs_export_api_key is empty and TRUENAS_API_KEY is not set' in output


def logins(emulator):
    return [entry for entry in emulator.log() if entry['method'].startswith('auth.login')]


def test_converge_rerun_and_a_long_wait_stay_under_the_rate_limit(play):
    """One login per task: a converge whose wait has to poll 25 times logs in at most 5 times, a no-op re-run
    once. With a login per retry the wait alone would make 26 and run into EBUSY (the emulator's default
    rate limit and stall are upstream's)."""
    emulator = play.emulator
    emulator.api.service_start_lag = 25  # nfs reports STOPPED for 25 more service.query answers after its start
    code, output, recap = play()
    assert code == 0 and recap['changed'] == 2, output
    polls = [entry['connection'] for entry in emulator.log() if entry['method'] == 'sharing.nfs.query']
    assert len(polls) >= 25 and len(set(polls[-25:])) == 1  # the wait polled 25 times in one session
    assert len(logins(emulator)) <= 5 and not [entry for entry in emulator.log() if entry['error'] == -32001]
    emulator.reset_log()
    code, output, recap = play()
    assert code == 0 and recap['changed'] == 0, output
    assert [entry['method'] for entry in logins(emulator)] == ['auth.login_with_api_key']
    counts = [entry['num_times_called'] for entry in emulator.rate_limit.snapshot().values()]
    assert counts and max(counts) <= 6  # both runs together, well under 20


def test_wait_that_runs_out_fails_after_its_retries_in_one_session(play):
    play.emulator.api.service_start_lag = 1000
    code, output, recap = play(truenas_nfs_export_wait_retries=4)
    assert code != 0 and 'after 4 attempts 0 s apart, the nfs service is STOPPED' in output, output
    waits = [entry for entry in play.emulator.log() if entry['method'] == 'sharing.nfs.query']
    assert len(logins(play.emulator)) <= 5 and len(waits) >= 4


def test_rate_limit_hit_says_so_instead_of_blaming_the_key(play):
    emulator = play.emulator
    emulator.rate_limit.stall = (0.05, 0.1)  # upstream sleeps 1-10 s first
    with connect(emulator.url) as ws:  # something else on this machine logs in 20 times
        for seq in range(20):
            ws.send(json.dumps({'jsonrpc': '2.0', 'id': seq, 'method': 'auth.login_with_api_key', 'params': ['1-x']}))
            assert json.loads(ws.recv())['result'] is False
    code, output, recap = play(truenas_nfs_export_api_user='admin')  # login_ex has its own counter...
    assert code == 0, output
    emulator.reset_log()
    with connect(emulator.url) as ws:  # ...until it is used up as well
        for seq in range(20):
            ws.send(json.dumps({'jsonrpc': '2.0', 'id': seq, 'method': 'auth.login_ex', 'params': [
                {'mechanism': 'API_KEY_PLAIN', 'username': 'nobody', 'api_key': '1-x'}]}))
            json.loads(ws.recv())
    code, output, recap = play(truenas_nfs_export_api_user='admin')
    assert code != 0 and recap['failed'] == 1
    assert 'Rate Limit Exceeded' in output and 'TrueNAS rate limit' in output and 'wait a minute' in output, output
    assert 'Check truenas_nfs_export_host' not in output and 'check that the key' not in output
    assert emulator.writes() == []


def test_login_ex_reason_reaches_the_role_output(play):
    play.emulator.api.api_key_status = 'EXPIRED'
    code, output, recap = play(truenas_nfs_export_api_user='admin')
    assert code != 0 and 'the API key has expired or was revoked (EXPIRED)' in output, output
    assert 'truenas_nfs_export_api_user' in output
