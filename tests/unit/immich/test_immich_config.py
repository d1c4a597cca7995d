"""immich_config: merge a partial config, PUT the whole object only when something differs.

Tests taking ``immich`` run on every backend in IMMICH_TEST_BACKENDS with the same assertions (the real
server is reset to its default config before each test); tests taking ``make_emulator`` are
emulator-only (Immich 3.2.2, IMMICH_CONFIG_FILE, a patched contract)."""

import pytest

from immich_helpers import conn, paths, run_module, writes

SCAN = {'library': {'scan': {'cronExpression': '0 3 * * *'}, 'watch': {'enabled': False}},
        'job': {'thumbnailGeneration': {'concurrency': 2}}}


def test_config_path_and_whole_object_put_then_rerun_writes_nothing(immich):
    before = immich.config()
    run = run_module('immich_config', conn(immich, config=SCAN))
    assert run.result['changed'], run.result
    assert run.result['config_path'] == '/system-config'
    assert writes(immich) == [('PUT', '/api/system-config')]
    assert '/api/system-config' in paths(immich, 'GET')
    assert run.result['changed_keys'] == ['job.thumbnailGeneration.concurrency', 'library.scan.cronExpression']
    assert run.result['diff'] == {
        'before': {'job': {'thumbnailGeneration': {'concurrency': 3}}, 'library': {'scan': {'cronExpression': '0 0 * * *'}}},
        'after': {'job': {'thumbnailGeneration': {'concurrency': 2}}, 'library': {'scan': {'cronExpression': '0 3 * * *'}}},
    }
    after = immich.config()
    assert after['library']['scan']['cronExpression'] == '0 3 * * *'
    # everything else kept: the PUT carried the whole merged object
    assert after['machineLearning'] == before['machineLearning']
    assert after['job']['library'] == {'concurrency': 5}
    assert run.result['config']['library']['scan']['cronExpression'] == '0 3 * * *'

    immich.reset_log()
    again = run_module('immich_config', conn(immich, config=SCAN))
    assert not again.result['changed'] and again.result['changed_keys'] == []
    assert writes(immich) == []


def test_check_mode_writes_nothing(immich):
    run = run_module('immich_config', conn(immich, config=SCAN), check_mode=True)
    assert run.result['changed'] and 'library.scan.cronExpression' in run.result['changed_keys']
    assert writes(immich) == []
    assert immich.config()['library']['scan']['cronExpression'] == '0 0 * * *'


@pytest.mark.parametrize('config, message', [
    ({'library': {'scann': {'enabled': True}}}, 'config.library.scann is not an Immich setting (known keys under config.library: scan, watch)'),
    ({'nope': 1}, 'config.nope is not an Immich setting'),
    ({'library': {'scan': {'enabled': 'yes'}}}, "config.library.scan.enabled must be a boolean, got string 'yes'"),
    ({'job': {'library': {'concurrency': '5'}}}, "config.job.library.concurrency must be a number, got string '5'"),
    ({'library': {'scan': True}}, 'config.library.scan must be a mapping, got boolean'),
    ({'machineLearning': {'urls': 'http://ml:3003'}}, 'config.machineLearning.urls must be a list, got string'),
    ({'machineLearning': {'urls': [3003]}}, 'config.machineLearning.urls[0] must be a string, got number 3003'),
])
def test_bad_keys_and_types_fail_without_writing(immich, config, message):
    before = immich.config()
    run = run_module('immich_config', conn(immich, config=config))
    assert run.failed
    assert message in run.result['msg']
    assert writes(immich) == []
    assert immich.config() == before


def test_editor_job_is_known_to_2_5_and_3_1(immich):
    """The real 2.5.5 and 3.1.0 have job.editor (the emulator once said 3.2+, reading SDK 2.4.0); a key
    neither has is refused before any write."""
    run = run_module('immich_config', conn(immich, config={'job': {'editor': {'concurrency': 1}}}))
    assert run.result['changed'] and immich.config()['job']['editor'] == {'concurrency': 1}
    immich.reset_log()
    run = run_module('immich_config', conn(immich, config={'job': {'ediotr': {'concurrency': 1}}}))
    assert run.failed and 'config.job.ediotr is not an Immich setting' in run.result['msg']
    assert writes(immich) == []


def test_secrets_are_masked(immich):
    # smtp stays disabled: an enabled one is verified by the real server, which connects to its host.
    smtp = {'notifications': {'smtp': {'enabled': False, 'from': 'Immich <immich@example.com>',
                                       'transport': {'host': 'mail', 'password': 'Smtp-Secret-1'}}},
            'oauth': {'clientSecret': 'Oauth-Secret-2'}}
    run = run_module('immich_config', conn(immich, config=smtp))
    assert run.result['changed'], run.result
    assert immich.config()['notifications']['smtp']['transport']['password'] == 'Smtp-Secret-1'
    assert run.result['diff']['after']['notifications']['smtp']['transport']['password'] == '********'
    assert run.result['diff']['after']['oauth']['clientSecret'] == '********'
    for secret in ('Smtp-Secret-1', 'Oauth-Secret-2'):
        assert secret not in repr(run.raw.get('diff')) and secret not in repr(run.raw.get('config'))


def test_server_rejects_bad_cron(immich):
    run = run_module('immich_config', conn(immich, config={'library': {'scan': {'cronExpression': 'every night'}}}))
    assert run.failed and 'Invalid cron expression' in run.result['msg']
    assert immich.config()['library']['scan']['cronExpression'] == '0 0 * * *'


# -- emulator-only ---------------------------------------------------------------------------------

def test_admin_config_path_on_3_2(make_emulator):
    """Emulator-only: Immich 3.2.2 (/admin/config); no real 3.2 server here."""
    emu = make_emulator('3.2.2')
    run = run_module('immich_config', conn(emu, config=SCAN))
    assert run.result['changed'] and run.result['config_path'] == '/admin/config'
    assert writes(emu) == [('PUT', '/api/admin/config')]
    run = run_module('immich_config', conn(emu, config={'job': {'editor': {'concurrency': 1}}}))
    assert run.result['changed']


def test_config_file_in_use(make_emulator):
    """Emulator-only: a server started with IMMICH_CONFIG_FILE."""
    emu = make_emulator(config_file=True)
    run = run_module('immich_config', conn(emu, config=SCAN))
    assert run.failed and 'IMMICH_CONFIG_FILE' in run.result['msg']
    assert writes(emu) == []


def test_config_file_refusal_on_put_is_explained(make_emulator, monkeypatch):
    """Emulator-only: a server that does not report configFile in its features but refuses the PUT."""
    emu = make_emulator()
    emu.config_file = True
    monkeypatch.setattr(type(emu.contract), 'server_features',
                        lambda self, config, config_file: {'configFile': False})
    run = run_module('immich_config', conn(emu, config=SCAN))
    assert run.failed and 'IMMICH_CONFIG_FILE' in run.result['msg'] and 'change that file' in run.result['msg']
