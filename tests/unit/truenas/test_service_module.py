"""truenas_service: the right start API per release, idempotence, check mode, failures."""
import pytest

from ansible_collections.homelab.immich.plugins.modules import truenas_service

from .conftest import connection_args, run_module


def service_args(emulator, **options):
    args = connection_args(emulator)
    args.update(service='nfs', enabled=True, state='started')
    args.update(options)
    return args


@pytest.mark.parametrize('version,start_method', [
    ('25.04', 'service.start'),    # no service.control yet
    ('25.10', 'service.control'),  # a job
    ('26.0', 'service.control'),   # service.start is private there (plugins/service.py TS-26.0.0-BETA.3)
])
def test_starts_with_the_api_of_the_release(make_emulator, version, start_method):
    emulator = make_emulator(version)
    result, dummy = run_module(truenas_service, service_args(emulator), diff=True)
    assert result['changed'] is True
    assert result['service']['state'] == 'RUNNING' and result['service']['enable'] is True
    assert result['diff'] == {'before': {'enable': False, 'state': 'STOPPED'}, 'after': {'enable': True, 'state': 'RUNNING'}}
    writes = emulator.writes()
    assert [w['method'] for w in writes] == ['service.update', start_method]
    if start_method == 'service.control':
        assert writes[1]['params'][:2] == ['START', 'nfs']
        assert any(entry['method'] == 'core.get_jobs' for entry in emulator.log())

    emulator.reset_log()
    result, dummy = run_module(truenas_service, service_args(emulator))
    assert result['changed'] is False and emulator.writes() == []


def test_check_mode_writes_nothing(emulator):
    result, dummy = run_module(truenas_service, service_args(emulator), check_mode=True)
    assert result['changed'] is True and result['service']['state'] == 'RUNNING'
    assert emulator.writes() == []
    assert emulator.state.data['services'][0]['state'] == 'STOPPED'


def test_stop(emulator):
    run_module(truenas_service, service_args(emulator))
    result, dummy = run_module(truenas_service, service_args(emulator, state='stopped', enabled=None))
    assert result['changed'] is True and result['service']['state'] == 'STOPPED' and result['service']['enable'] is True


@pytest.mark.parametrize('version', ['25.04', '25.10'])
def test_start_failure_reports_truenas_message(make_emulator, version):
    emulator = make_emulator(version)
    emulator.api.service_start_fails = True
    result, dummy = run_module(truenas_service, service_args(emulator, enabled=None))
    assert result['failed'] is True
    assert 'Service not running after start' in result['msg']


def test_unknown_service(emulator):
    result, dummy = run_module(truenas_service, service_args(emulator, service='nfsd'))
    assert result['failed'] is True
    assert result['msg'] == "TrueNAS has no service named 'nfsd' (known: cifs, nfs, ssh)"
    assert emulator.writes() == []
