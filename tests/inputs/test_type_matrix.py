"""Every typed role variable, given a value of the wrong type, fails cleanly and names itself.

One generated playbook includes each role's ``tasks/validate.yml`` (what site.yml's first play runs) once per
variable of its ``meta/argument_specs.yml``, with that variable overridden by a value of another type, and
records where and how each include failed. Each must fail in the type check (the `types` stage of the one
validate_inputs task of validate.yml), with a message that names the variable, before any of the role's own
checks could meet the bad value; the table of all results is printed. Needs no cluster, NAS or Immich:
validate.yml reads variables only.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)

# A value of another type for each declared type (what a user gets wrong: a string for a list, and so on).
WRONG = {
    'list': ('a string', '192.168.10.0/24,10.0.0.0/8'),
    'dict': ('a string', 'key=value'),
    'str': ('a list', ['a', 'b']),
    'path': ('a mapping', {'a': 'b'}),
    'int': ('a string', 'twelve'),
    'float': ('a list', [1.5]),
    'bool': ('a string', 'sometimes'),
}
TYPE_CHECK_TASK = 'Check the %s inputs'


def typed_variables():
    rows = []
    for role in sorted(os.listdir(os.path.join(ROOT, 'roles'))):
        path = os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml')
        if role.startswith('_') or not os.path.exists(os.path.join(ROOT, 'roles', role, 'tasks', 'validate.yml')):
            continue
        with open(path) as stream:
            options = yaml.safe_load(stream)['argument_specs']['main'].get('options') or {}
        for name, option in sorted(options.items()):
            declared = option.get('type', 'str')
            if declared in WRONG:
                rows.append((role, name, declared))
    return rows


@pytest.fixture(scope='module')
def matrix(tmp_path_factory):
    rows = typed_variables()
    out = tmp_path_factory.mktemp('matrix')
    results = str(out / 'results.json')
    tasks = [{'name': 'Start the record', 'ansible.builtin.set_fact': {'matrix__results': []}}]
    for role, name, declared in rows:
        wrong = WRONG[declared][1]
        tasks.append({
            'name': '%s given %s' % (name, WRONG[declared][0]),
            'block': [
                {'name': 'Validate %s' % role, 'ansible.builtin.include_role': {'name': 'homelab.immich.' + role, 'tasks_from': 'validate'},
                 'vars': {name: wrong}},
                {'name': 'Record a pass', 'ansible.builtin.set_fact': {
                    'matrix__results': '{{ matrix__results + [%s] }}' % json.dumps({'role': role, 'var': name, 'failed': False})}},
            ],
            'rescue': [
                {'name': 'Record the failure', 'ansible.builtin.set_fact': {'matrix__results': (
                    "{{ matrix__results + [{'role': %s, 'var': %s, 'failed': true, 'task': ansible_failed_task.name,"
                    " 'msg': ansible_failed_result.msg | default(''),"
                    " 'stage': ansible_failed_result.stage | default('')}] }}" % (json.dumps(role), json.dumps(name)))}},
            ],
        })
    tasks.append({'name': 'Write the record', 'ansible.builtin.copy': {
        'content': '{{ matrix__results | to_nice_json }}', 'dest': results, 'mode': '0600'}})
    playbook = out / 'matrix.yml'
    playbook.write_text(yaml.safe_dump([{'name': 'Wrong types', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}],
                                       sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='ansible.builtin.null')
    run = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', os.path.join(ROOT, 'inventories', 'local'), str(playbook)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with open(results) as stream:
        recorded = {(r['role'], r['var']): r for r in json.load(stream)}
    return rows, recorded


def test_every_typed_variable_fails_cleanly_naming_itself(matrix):
    rows, recorded = matrix
    table, bad = [], []
    for role, name, declared in rows:
        r = recorded.get((role, name), {'failed': False, 'task': '(not run)', 'msg': ''})
        clean = (r['failed'] and r.get('task') == TYPE_CHECK_TASK % role and r.get('stage') == 'types'
                 and name in r.get('msg', ''))
        verdict = 'fails, names it' if clean else 'NOT CLEAN'
        table.append('| %-20s | %-52s | %-5s | %-9s | %s |' % (role, name, declared, WRONG[declared][0], verdict))
        if not clean:
            bad.append('%s (%s given %s): %s' % (name, declared, WRONG[declared][0], r))
    print('\nWrong-type inputs (%d typed variables):' % len(rows))
    print('| role                 | variable                                             | type  | given     | result |')
    print('\n'.join(table))
    assert len(rows) > 150, 'the roles declare fewer typed variables than expected: %d' % len(rows)
    assert not bad, '\n'.join(bad)


def test_the_matrix_sees_a_variable_that_is_not_checked(tmp_path):
    """Control: a value of the right type passes validate.yml, so a pass would show in the table."""
    playbook = tmp_path / 'control.yml'
    playbook.write_text(yaml.safe_dump([{'name': 'Control', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Validate valkey with good values', 'ansible.builtin.include_role': {'name': 'homelab.immich.valkey', 'tasks_from': 'validate'},
         'vars': {'valkey_port': 6380}}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
    run = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), '-i', os.path.join(ROOT, 'inventories', 'local'), str(playbook)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
