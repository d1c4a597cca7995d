"""The collection's API modules run in the worker on a local connection, with the same results as a module run.

One playbook (admin sign-up, a library created and then stripped of its exclusion pattern, which warns, and a
call that fails) runs twice through ansible-playbook, each against a fresh Immich emulator: once with
ansible_python_interpreter set to this very Python (in the worker) and once to a symlink to it (another path, so
a module run in a new interpreter). The results must be the same; the -vvv output tells which way each ran
(a module run starts an interpreter: an EXEC line) and must not show the password.
"""
import json
import os
import subprocess
import sys

import pytest

from tests.emulators.immich import start_emulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PASSWORD = 'in-worker-test-password'

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/homelab.immich.immich:
      api_url: "{{ url }}"
      email: admin@example.com
      password: %(password)s
  tasks:
    - homelab.immich.immich_admin:
        email: admin@example.com
        password: %(password)s
      register: admin
    - homelab.immich.immich_library:
        name: Photos
        import_paths: [/mnt/photos]
        exclusion_patterns: ['**/raw/**']
        default_exclusions: false
      register: created
    - homelab.immich.immich_library:
        name: Photos
        import_paths: [/mnt/photos]
        exclusion_patterns: []
        default_exclusions: false
      register: stripped
    - homelab.immich.immich_info:
        api_url: http://127.0.0.1:9
        retries: 0
        timeout: 2
      register: unreachable
      ignore_errors: true
    - ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'admin': admin, 'created': created, 'stripped': stripped, 'unreachable': unreachable} | to_json }}"
""" % {'password': PASSWORD}

VOLATILE = ('id', 'createdAt', 'updatedAt', 'refreshedAt', 'ownerId', 'userId')


def _stable(value):
    if isinstance(value, dict):
        return dict((k, _stable(v)) for k, v in value.items() if k not in VOLATILE)
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _run(tmp_path, interpreter, name):
    emulator, url = start_emulator(version='2.5.5', mounts={'/mnt/photos': str(tmp_path)})
    try:
        playbook = tmp_path / 'play.yml'
        playbook.write_text(PLAYBOOK)
        out = tmp_path / ('%s.json' % name)
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
        run = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-vvv', '-i', 'localhost,', '-c', 'local',
             '-e', json.dumps({'ansible_python_interpreter': interpreter, 'url': url, 'out': str(out)}), str(playbook)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        return json.loads(out.read_text()), run.stdout
    finally:
        emulator.stop()


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    linked = tmp_path_factory.mktemp('python') / 'python'
    os.symlink(sys.executable, str(linked))
    return {
        'in_worker': _run(tmp_path_factory.mktemp('in_worker'), sys.executable, 'in_worker'),
        'module': _run(tmp_path_factory.mktemp('module'), str(linked), 'module'),
    }


def test_each_way_ran_as_intended(runs):
    """A module run starts an interpreter (an EXEC line at -vvv for each of the four tasks); in the worker, none."""
    assert runs['module'][1].count('EXEC ') >= 4, runs['module'][1][-3000:]
    assert 'EXEC ' not in runs['in_worker'][1].split('TASK [ansible.builtin.copy]')[0], runs['in_worker'][1][-3000:]


def test_the_results_are_those_of_a_module_run(runs):
    in_worker, module = runs['in_worker'][0], runs['module'][0]
    assert in_worker['admin']['created'] is True and in_worker['created']['created'] is True
    assert _stable(in_worker) == _stable(module)


def test_warnings_are_returned_in_the_result(runs):
    for name in runs:
        warnings = runs[name][0]['stripped'].get('warnings') or []
        assert any('exclusion patterns' in w for w in warnings), (name, runs[name][0]['stripped'])


def test_a_failure_is_reported_as_by_a_module_run(runs):
    for name in runs:
        unreachable = runs[name][0]['unreachable']
        assert unreachable['failed'] is True and '127.0.0.1:9' in unreachable['msg'], (name, unreachable)


def test_the_password_is_not_in_the_output(runs):
    for name in runs:
        assert PASSWORD not in runs[name][1], name
