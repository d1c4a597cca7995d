"""homelab.immich.validate_inputs through ansible-playbook: the types first, then the role's own checks.

One playbook gives the action an argument spec and checks, with values that are wrong in different ways, and
records each registered result. A check that would raise on a value of the wrong type (``| length`` of a number
does not) must not be evaluated while a type is wrong; once the types pass, every failing check is reported in
one message, and a check that is not true or false is a mistake of the role, not of the user.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

SPEC = {'size': {'type': 'int'}, 'names': {'type': 'list', 'elements': 'str'}}
CHECKS = [
    {'var': 'size', 'ok': '{{ size | int > 0 }}', 'msg': "size must be positive, got '{{ size }}'."},
    # Raises (a number has no length) if it were evaluated with size a string: it must not be, then.
    {'var': 'names', 'ok': '{{ names | length > 0 and (size + 1) > 1 }}', 'msg': 'names must not be empty.'},
]
CASES = {
    'good': {'size': 3, 'names': ['a']},
    'wrong_type': {'size': 'twelve', 'names': ['a']},
    'two_rules': {'size': 0, 'names': []},
}


def _run(tmp_path, checks, cases):
    out = tmp_path / 'results.json'
    tasks = []
    for case, values in cases.items():
        tasks.append({'name': case, 'homelab.immich.validate_inputs': {'argument_spec': SPEC, 'checks': checks},
                      'vars': values, 'register': 'result_' + case, 'ignore_errors': True})
    tasks.append({'name': 'Record', 'ansible.builtin.copy': {
        'dest': str(out), 'content': '{{ %s | to_json }}' % ('{' + ', '.join("'%s': result_%s" % (c, c) for c in cases) + '}')}})
    playbook = tmp_path / 'play.json'
    playbook.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
               '-e', 'ansible_python_interpreter=' + sys.executable, str(playbook)]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(out.read_text())


def test_types_first_then_every_failing_check(tmp_path):
    results = _run(tmp_path, CHECKS, CASES)

    assert not results['good'].get('failed'), results['good']
    assert results['good']['checked'] == ['names', 'size']

    wrong = results['wrong_type']
    assert wrong['failed'] and wrong['stage'] == 'types', wrong
    assert len(wrong['errors']) == 1 and 'size' in wrong['errors'][0], wrong

    rules = results['two_rules']
    assert rules['failed'] and rules['stage'] == 'checks', rules
    assert rules['errors'] == ["size must be positive, got '0'.", 'names must not be empty.'], rules
    assert "size must be positive, got '0'. names must not be empty." in rules['msg']


def test_a_check_that_is_not_a_boolean_is_the_roles_mistake(tmp_path):
    results = _run(tmp_path, [{'var': 'size', 'ok': '{{ size }}', 'msg': 'never shown'}], {'good': CASES['good']})
    assert results['good']['failed'], results['good']
    assert 'not true or false' in results['good']['msg'] and 'never shown' not in results['good']['msg']
