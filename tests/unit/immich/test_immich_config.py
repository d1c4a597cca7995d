"""immich_config: merge a partial config, PUT the whole object only when something differs."""

import pytest

from immich_helpers import conn, paths, run_module, writes

SCAN = {'library': {'scan': {'cronExpression': '0 3 * * *'}, 'watch': {'enabled': False}},
        'job': {'thumbnailGeneration': {'concurrency': 2}}}


@pytest.mark.parametrize('version, path', [('2.5.5', '/api/system-config'), ('3.1.0', '/api/system-config'),
                                           ('3.2.2', '/api/admin/config')])
def test_version_picks_the_config_path(make_emulator, version, path):
    emu = make_emulator(version)
    run = run_module('immich_config', conn(emu, config=SCAN))
    assert run.result['changed'] and run.result['config_path'] == path[len('/api'):]
    assert writes(emu) == [('PUT', path)]
    assert path in paths(emu, 'GET')
    assert emu.state.config['library']['scan']['cronExpression'] == '0 3 * * *'


def test_whole_object_is_put_and_rerun_writes_nothing(emulator):
    before = emulator.state.config
    run = run_module('immich_config', conn(emulator, config=SCAN))
    assert run.result['changed_keys'] == ['job.thumbnailGeneration.concurrency', 'library.scan.cronExpression']
    assert run.result['diff'] == {
        'before': {'job': {'thumbnailGeneration': {'concurrency': 3}}, 'library': {'scan': {'cronExpression': '0 0 * * *'}}},
        'after': {'job': {'thumbnailGeneration': {'concurrency': 2}}, 'library': {'scan': {'cronExpression': '0 3 * * *'}}},
    }
    after = emulator.state.config
    # everything else kept: the PUT carried the whole merged object
    assert after['machineLearning'] == before['machineLearning']
    assert after['job']['library'] == {'concurrency': 5}
    assert run.result['config']['library']['scan']['cronExpression'] == '0 3 * * *'

    emulator.reset_log()
    again = run_module('immich_config', conn(emulator, config=SCAN))
    assert not again.result['changed'] and again.result['changed_keys'] == []
    assert writes(emulator) == []


def test_check_mode_writes_nothing(emulator):
    run = run_module('immich_config', conn(emulator, config=SCAN), check_mode=True)
    assert run.result['changed'] and 'library.scan.cronExpression' in run.result['changed_keys']
    assert writes(emulator) == []
    assert emulator.state.config['library']['scan']['cronExpression'] == '0 0 * * *'


@pytest.mark.parametrize('config, message', [
    ({'library': {'scann': {'enabled': True}}}, 'config.library.scann is not an Immich setting (known keys under config.library: scan, watch)'),
    ({'nope': 1}, 'config.nope is not an Immich setting'),
    ({'library': {'scan': {'enabled': 'yes'}}}, "config.library.scan.enabled must be a boolean, got string 'yes'"),
    ({'job': {'library': {'concurrency': '5'}}}, "config.job.library.concurrency must be a number, got string '5'"),
    ({'library': {'scan': True}}, 'config.library.scan must be a mapping, got boolean'),
    ({'machineLearning': {'urls': 'http://ml:3003'}}, 'config.machineLearning.urls must be a list, got string'),
    ({'machineLearning': {'urls': [3003]}}, 'config.machineLearning.urls[0] must be a string, got number 3003'),
])
def test_bad_keys_and_types_fail_without_writing(emulator, config, message):
    run = run_module('immich_config', conn(emulator, config=config))
    assert run.failed
    assert message in run.result['msg']
    assert writes(emulator) == []


def test_editor_job_is_unknown_on_2_5_but_known_on_3_2(make_emulator):
    old = make_emulator('2.5.5')
    run = run_module('immich_config', conn(old, config={'job': {'editor': {'concurrency': 1}}}))
    assert run.failed and 'config.job.editor is not an Immich setting' in run.result['msg']
    new = make_emulator('3.2.2')
    run = run_module('immich_config', conn(new, config={'job': {'editor': {'concurrency': 1}}}))
    assert run.result['changed']


def test_config_file_in_use(make_emulator):
    emu = make_emulator(config_file=True)
    run = run_module('immich_config', conn(emu, config=SCAN))
    assert run.failed and 'IMMICH_CONFIG_FILE' in run.result['msg']
    assert writes(emu) == []


def test_config_file_refusal_on_put_is_explained(make_emulator, monkeypatch):
    # A server that does not report configFile in its features but refuses the PUT.
    emu = make_emulator()
    emu.config_file = True
    monkeypatch.setattr(type(emu.contract), 'server_features',
                        lambda self, config, config_file: {'configFile': False})
    run = run_module('immich_config', conn(emu, config=SCAN))
    assert run.failed and 'IMMICH_CONFIG_FILE' in run.result['msg'] and 'change that file' in run.result['msg']


def test_secrets_are_masked(emulator):
    smtp = {'notifications': {'smtp': {'enabled': True, 'transport': {'host': 'mail', 'password': 'Smtp-Secret-1'}}},
            'oauth': {'clientSecret': 'Oauth-Secret-2'}}
    run = run_module('immich_config', conn(emulator, config=smtp))
    assert run.result['changed']
    assert emulator.state.config['notifications']['smtp']['transport']['password'] == 'Smtp-Secret-1'
    assert run.result['diff']['after']['notifications']['smtp']['transport']['password'] == '********'
    assert run.result['diff']['after']['oauth']['clientSecret'] == '********'
    for secret in ('Smtp-Secret-1', 'Oauth-Secret-2'):
        assert secret not in repr(run.raw.get('diff')) and secret not in repr(run.raw.get('config'))


def test_server_rejects_bad_cron(emulator):
    run = run_module('immich_config', conn(emulator, config={'library': {'scan': {'cronExpression': 'every night'}}}))
    assert run.failed and 'Invalid cron expression every night' in run.result['msg']
