"""truenas_nfs_config: only the given keys are compared and written."""
from ansible_collections.homelab.immich.plugins.modules import truenas_nfs_config

from .conftest import connection_args, run_module


def test_protocols_set_once_and_other_keys_untouched(emulator):
    emulator.state.data['nfs_config']['allow_nonroot'] = True  # not given below: must stay
    result, dummy = run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=['NFSV4']), diff=True)
    assert result['changed'] is True
    assert result['diff'] == {'before': {'protocols': ['NFSV3', 'NFSV4']}, 'after': {'protocols': ['NFSV4']}}
    assert [w['params'] for w in emulator.writes()] == [[{'protocols': ['NFSV4']}]]
    assert emulator.state.data['nfs_config']['allow_nonroot'] is True

    emulator.reset_log()
    result, dummy = run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=['NFSV4', 'NFSV4']))
    assert result['changed'] is False and emulator.writes() == []


def test_order_of_protocols_does_not_matter(emulator):
    result, dummy = run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=['NFSV4', 'NFSV3']))
    assert result['changed'] is False and emulator.writes() == []


def test_check_mode(emulator):
    result, dummy = run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=['NFSV3']), check_mode=True)
    assert result['changed'] is True and result['config']['protocols'] == ['NFSV3']
    assert emulator.writes() == [] and emulator.state.data['nfs_config']['protocols'] == ['NFSV3', 'NFSV4']


def test_bad_input_fails_before_any_call(emulator):
    result, dummy = run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=['NFSV3'], v4_domain='lan'))
    assert result['failed'] is True and result['msg'] == 'v4_domain only applies when NFSV4 is in protocols'
    result, dummy = run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=[]))
    assert result['failed'] is True and 'at least one' in result['msg']
    result, dummy = run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=['NFSV2']))
    assert result['failed'] is True and 'NFSV3, NFSV4' in result['msg']
    assert emulator.log() == []
