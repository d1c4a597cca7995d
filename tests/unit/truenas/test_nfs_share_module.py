"""truenas_nfs_share against the emulator: create, idempotence, update, check mode, diff, absent, bad input."""
import re

import pytest

from ansible_collections.homelab.immich.plugins.modules import truenas_nfs_config, truenas_nfs_share

from .conftest import API_KEY, connection_args, run_module

PATH = '/mnt/BigTank/photos/All'


def share_args(emulator, **options):
    args = connection_args(emulator)
    args.update(path=PATH, networks=['192.168.10.0/24'], comment='Immich photos')
    args.update(options)
    return args


def test_create_then_rerun_writes_nothing(emulator):
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, networks=['192.168.10.77/24', '10.1.0.0/16']))
    assert result['changed'] is True
    assert result['share']['ro'] is True and result['share']['enabled'] is True
    assert result['share']['networks'] == ['10.1.0.0/16', '192.168.10.0/24']
    assert [w['method'] for w in emulator.writes()] == ['sharing.nfs.create']
    assert result['truenas_version'] == 'TrueNAS-25.10.1'

    emulator.reset_log()
    # same intent, other spelling and order: no write
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, networks=['192.168.10.0/24', '10.1.2.3/16']))
    assert result['changed'] is False
    assert emulator.writes() == []


def test_update_sends_only_what_differs(emulator):
    run_module(truenas_nfs_share, share_args(emulator))
    emulator.reset_log()
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, comment='changed', hosts=['immich-node1.lan']))
    assert result['changed'] is True
    writes = emulator.writes()
    assert [w['method'] for w in writes] == ['sharing.nfs.update']
    assert writes[0]['params'][1] == {'comment': 'changed', 'hosts': ['immich-node1.lan']}
    assert emulator.state.data['shares'][0]['comment'] == 'changed'


def test_check_mode_changes_nothing_and_diff_shows_the_change(emulator):
    result, dummy = run_module(truenas_nfs_share, share_args(emulator), check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['diff']['before'] == {}
    assert result['diff']['after']['networks'] == ['192.168.10.0/24'] and result['diff']['after']['ro'] is True
    assert emulator.writes() == [] and emulator.state.data['shares'] == []

    run_module(truenas_nfs_share, share_args(emulator))
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, ro=False), check_mode=True, diff=True)
    assert result['changed'] is True
    assert (result['diff']['before']['ro'], result['diff']['after']['ro']) == (True, False)
    assert emulator.state.data['shares'][0]['ro'] is True


def test_absent_removes_and_is_idempotent(emulator):
    run_module(truenas_nfs_share, share_args(emulator))
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, state='absent'), diff=True)
    assert result['changed'] is True and result['diff']['after'] == {}
    assert emulator.state.data['shares'] == []
    emulator.reset_log()
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, state='absent'))
    assert result['changed'] is False and emulator.writes() == []


@pytest.mark.parametrize('options,message', [
    ({'path': 'photos/All'}, 'path must be absolute'),
    ({'path': '/srv/photos'}, r'path must lie inside a pool, i.e. under /mnt/<pool>/'),
    ({'networks': ['192.168.10.300/24']}, "networks: '192.168.10.300/24' is not a valid IPv4 or IPv6 network"),
    ({'networks': ['0.0.0.0/0']}, 'means everybody; leave networks empty'),
    # plugins/nfs_/validators.py sanitize_networks TS-25.10.0+: any network whose address is 0, not only /0
    ({'networks': ['0.0.0.0/8']}, 'networks: 0.0.0.0/8 starts at address 0, which TrueNAS 25.10 and later reject'),
    ({'networks': ['::/0']}, 'networks: ::/0 means everybody'),
    ({'networks': ['0.1.2.3/7']}, 'networks: 0.1.2.3/7 starts at address 0'),
    ({'networks': ['10.0.0.0/16', '10.0.1.0/24']}, '10.0.0.0/16 and 10.0.1.0/24 overlap'),
    ({'hosts': ['bad host']}, 'without spaces or quotes'),
    ({'security': ['SYS', 'KRB9']}, 'value of security must be one or more of: SYS, KRB5, KRB5I, KRB5P'),
    ({'maproot_user': 'root', 'mapall_user': 'nobody'}, 'maproot_user/maproot_group and mapall_user/mapall_group are mutually exclusive'),
    ({'maproot_group': 'wheel', 'mapall_user': 'nobody'}, 'are mutually exclusive'),
    ({'mapall_group': 'nogroup'}, 'mapall_group needs mapall_user'),
    ({'maproot_group': 'wheel', 'maproot_user': ''}, 'maproot_group needs maproot_user'),
])
def test_bad_input_fails_before_any_call(emulator, options, message):
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, **options))
    assert result['failed'] is True
    assert re.search(message, result['msg']), result['msg']
    assert emulator.log() == []  # not even a login


@pytest.mark.parametrize('path,message', [
    ('/mnt/scratch/photos', "/mnt/scratch/photos is not inside a pool: no pool named 'scratch' \\(pools: BigTank\\)"),
    ('/mnt/BigTank/photos/latest', '/mnt/BigTank/photos/latest is a symlink, not a directory'),
    ('/mnt/BigTank/photos/missing', r'filesystem\.stat: \[ENOENT\] Path /mnt/BigTank/photos/missing not found'),
])
def test_bad_path_fails_after_reads_without_writing(emulator, path, message):
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, path=path))
    assert result['failed'] is True
    assert re.search(message, result['msg']), result['msg']
    assert emulator.writes() == []


def test_truenas_validation_message_is_passed_through(emulator):
    run_module(truenas_nfs_config, dict(connection_args(emulator), protocols=['NFSV3']))
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, security=['KRB5P']))
    assert result['failed'] is True
    assert result['msg'] == ('sharing.nfs.create: [EINVAL] sharingnfs_create.security: '
                             'The following security flavor(s) require NFSv4 to be enabled: KRB5P.')
    assert result['code'] == -32602 and result['extra'][0][0] == 'sharingnfs_create.security'
    assert result['changed'] is False and emulator.state.data['shares'] == []


def test_unknown_map_user_is_truenas_error(emulator):
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, mapall_user='immich'))
    assert result['failed'] is True and 'User not found: immich' in result['msg']


def test_two_shares_of_one_path_are_refused(emulator):
    emulator.state.data['shares'] = [
        dict(id=1, path=PATH, aliases=[], comment='', networks=['10.0.0.0/24'], hosts=[], ro=True, maproot_user=None,
             maproot_group=None, mapall_user=None, mapall_group=None, security=[], enabled=True, expose_snapshots=False),
        dict(id=2, path=PATH, aliases=[], comment='', networks=['10.0.1.0/24'], hosts=[], ro=True, maproot_user=None,
             maproot_group=None, mapall_user=None, mapall_group=None, security=[], enabled=True, expose_snapshots=False),
    ]
    result, dummy = run_module(truenas_nfs_share, share_args(emulator))
    assert result['failed'] is True and '2 NFS shares export %s (ids 1, 2)' % PATH in result['msg']
    assert emulator.writes() == []


def test_api_key_never_in_output(emulator):
    result, raw = run_module(truenas_nfs_share, share_args(emulator))
    assert API_KEY not in raw
    wrong = '1-this-key-is-wrong-7c1d'
    result, raw = run_module(truenas_nfs_share, share_args(emulator, api_key=wrong))
    assert result['failed'] is True and 'rejected the API key' in result['msg']
    assert wrong not in raw


def test_api_key_from_environment(emulator, monkeypatch):
    monkeypatch.setenv('TRUENAS_API_KEY', API_KEY)
    args = share_args(emulator)
    del args['api_key']
    result, dummy = run_module(truenas_nfs_share, args)
    assert result['changed'] is True


@pytest.mark.parametrize('version', ['25.04', '26.0'])
def test_share_lifecycle_on_other_releases(make_emulator, version):
    emulator = make_emulator(version)
    assert run_module(truenas_nfs_share, share_args(emulator))[0]['changed'] is True
    assert run_module(truenas_nfs_share, share_args(emulator))[0]['changed'] is False


def test_empty_mapping_clears_and_compares_equal_to_none(emulator):
    run_module(truenas_nfs_share, share_args(emulator, maproot_user='root', maproot_group='wheel'))
    assert emulator.state.data['shares'][0]['maproot_user'] == 'root'
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, maproot_user='', maproot_group='', mapall_user='',
                                                             mapall_group=''))
    assert result['changed'] is True
    assert emulator.state.data['shares'][0]['maproot_user'] is None
    emulator.reset_log()
    result, dummy = run_module(truenas_nfs_share, share_args(emulator, maproot_user='', mapall_user=''))
    assert result['changed'] is False and emulator.writes() == []
