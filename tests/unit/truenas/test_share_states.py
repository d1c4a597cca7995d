"""truenas_nfs_share converges from any share a real NAS of each release can hold, including shares our own
input checks refuse (table-driven); reading such a share never crashes (truenas_nfs_info, check mode, diff).

Where the states come from (truenas/middleware, src/middlewared/middlewared/):
- plugins/nfs_/validators.py TS-25.04.2.6: no all-networks / all-hosts rule, so 0.0.0.0/0, 0.0.0.0/8 and a
  0.0.0.0 host are accepted; api/v25_04_0/nfs.py caps lists at 42, api/v25_10_0/nfs.py does not.
- alembic/versions/25.10 and 26.0: no migration rewrites sharing_nfs_share.nfs_network or nfs_hosts (26.0 only
  adds dataset/relative_path), so whatever 25.04 stored survives the upgrade to 25.10 and 26.0.
- plugins/nfs.py validate_hosts_and_networks logs "Got invalid network/host" instead of failing, i.e. upstream
  expects stored entries that no longer parse; such entries (and duplicates, non-canonical CIDRs) come from
  datastores written before today's checks ("legacy" below). They are seeded directly into the emulator's state.
"""
import pytest

from ansible_collections.homelab.immich.plugins.modules import truenas_nfs_info, truenas_nfs_share

from .conftest import connection_args, run_module

PATH = '/mnt/BigTank/photos/All'
BASE = dict(id=7, path=PATH, aliases=[], comment='', networks=['192.168.10.0/24'], hosts=[], ro=True,
            maproot_user=None, maproot_group=None, mapall_user=None, mapall_group=None, security=[], enabled=True,
            expose_snapshots=False)
# What the role asks for: every option given.
DESIRED = dict(path=PATH, comment='Immich photos', ro=True, networks=['192.168.10.0/24'], hosts=[], maproot_user='',
               maproot_group='', mapall_user='', mapall_group='', security=[], enabled=True)

# (id, releases that can hold it, share fields overriding BASE)
STATES = [
    ('all-networks-0/0', ('25.04', '25.10', '26.0'), dict(networks=['0.0.0.0/0'])),
    ('all-networks-0/8-plus-lan', ('25.04', '25.10', '26.0'), dict(networks=['0.0.0.0/8', '192.168.10.0/24'])),
    ('ipv6-all-networks', ('25.04', '25.10', '26.0'), dict(networks=['::/0'])),
    ('all-hosts-0.0.0.0', ('25.04', '25.10', '26.0'), dict(networks=[], hosts=['0.0.0.0'])),
    ('everybody', ('25.04', '25.10', '26.0'), dict(networks=[], hosts=[])),
    ('42-networks', ('25.04', '25.10', '26.0'), dict(networks=['10.%d.0.0/16' % i for i in range(42)])),
    ('100-networks', ('25.10', '26.0'), dict(networks=['10.%d.0.0/16' % i for i in range(100)])),
    ('writable-disabled-mapped', ('25.04', '25.10', '26.0'),
     dict(ro=False, enabled=False, maproot_user='root', maproot_group='wheel', comment='old', security=['SYS'])),
    ('mapall-empty-strings', ('25.04', '25.10', '26.0'),
     dict(mapall_user='nobody', mapall_group='', maproot_user='', maproot_group='')),
    ('kerberos', ('25.04', '25.10', '26.0'), dict(security=['KRB5P', 'SYS'])),
    ('legacy-duplicates', ('25.04', '25.10', '26.0'), dict(networks=['192.168.10.0/24', '192.168.10.0/24'])),
    ('legacy-non-canonical', ('25.04', '25.10', '26.0'), dict(networks=['192.168.10.7/24'])),
    ('legacy-unparsable', ('25.04', '25.10', '26.0'), dict(networks=['not-a-network', '192.168.10.0/24'])),
    ('already-as-desired', ('25.04', '25.10', '26.0'), dict(comment='Immich photos')),
]
CASES = [pytest.param(version, fields, name == 'already-as-desired', id='%s-%s' % (version, name))
         for name, versions, fields in STATES for version in versions]


def seed(emulator, fields):
    share = dict(BASE, **fields)
    emulator.state.data['shares'] = [share]
    emulator.state.data['next_share_id'] = 8
    return share


def no_traceback(result):
    assert 'exception' not in result and 'module_stderr' not in result and not result.get('failed'), result
    return True


@pytest.mark.parametrize('version,fields,already', CASES)
def test_converges_from_any_state_a_nas_can_hold(make_emulator, version, fields, already):
    emulator = make_emulator(version)
    seed(emulator, fields)
    args = dict(connection_args(emulator), **DESIRED)

    # reading the live state never crashes: info, then check mode with diff
    info, dummy = run_module(truenas_nfs_info, dict(connection_args(emulator), path=PATH))
    assert no_traceback(info) and [share['id'] for share in info['shares']] == [7]
    checked, dummy = run_module(truenas_nfs_share, args, check_mode=True, diff=True)
    assert no_traceback(checked)
    assert emulator.writes() == []

    result, dummy = run_module(truenas_nfs_share, args, diff=True)
    assert no_traceback(result)
    assert result['changed'] is checked['changed']  # check mode predicted the real run
    share = emulator.state.data['shares'][0]
    assert share['id'] == 7  # updated in place, not recreated
    assert (share['networks'], share['hosts'], share['ro'], share['enabled'], share['comment'], share['security']) \
        == (['192.168.10.0/24'], [], True, True, 'Immich photos', [])
    assert all(not share[key] for key in ('maproot_user', 'maproot_group', 'mapall_user', 'mapall_group'))
    assert result['changed'] is not already
    writes = [entry['method'] for entry in emulator.writes()]
    assert writes == ([] if already else ['sharing.nfs.update'])

    emulator.reset_log()
    again, dummy = run_module(truenas_nfs_share, args)
    assert no_traceback(again) and again['changed'] is False and emulator.writes() == []


def test_partial_options_on_a_share_the_release_now_refuses_give_truenas_message(make_emulator):
    """Options left unset are not managed; if the NAS holds what its release refuses on update (0.0.0.0/0 kept
    from 25.04, now on 25.10), TrueNAS's own message comes back, never a traceback."""
    emulator = make_emulator('25.10')
    seed(emulator, dict(networks=['0.0.0.0/0']))
    result, dummy = run_module(truenas_nfs_share, dict(connection_args(emulator), path=PATH, comment='new'))
    assert result['failed'] is True and 'exception' not in result
    assert result['msg'] == ("sharing.nfs.update: [EINVAL] sharingnfs_update.networks: Do not use 0.0.0.0/0 to "
                             "represent all-networks.  No entry is required to configure 'allow everybody'.  "
                             "Please remove 0.0.0.0/0.")
    assert emulator.state.data['shares'][0]['networks'] == ['0.0.0.0/0']  # nothing written


@pytest.mark.parametrize('entry', [
    None, {}, {'networks': None, 'hosts': None, 'security': None, 'comment': None},
    {'networks': '10.0.0.5/24 garbage 10.0.0.0/24', 'hosts': 'a.lan  b.lan a.lan'},  # datastore-style strings
    {'networks': [42, '::/0', '0.0.0.0/0'], 'hosts': ['0.0.0.0', ' spaced host '], 'maproot_user': ''},
])
def test_live_share_view_never_raises(entry):
    from ansible_collections.homelab.immich.plugins.module_utils.truenas import live_share_view
    view, unclean = live_share_view(entry)
    assert isinstance(view['networks'], list) and isinstance(view['hosts'], list) and view['comment'] == ''
    assert set(unclean) <= {'networks', 'hosts'}
    if entry and entry.get('networks') == '10.0.0.5/24 garbage 10.0.0.0/24':
        assert view['networks'] == ['10.0.0.0/24', 'garbage'] and unclean == ['networks', 'hosts']


def test_repair_of_an_unclean_list_shows_the_stored_value_in_the_diff(make_emulator):
    """Duplicates compare equal as a set, but middlewared refuses them on any later update ("Entries must be
    unique", plugins/nfs_/validators.py confirm_unique), so the module rewrites the list once."""
    emulator = make_emulator('25.10')
    seed(emulator, dict(comment='Immich photos', networks=['192.168.10.0/24', '192.168.10.0/24']))
    result, dummy = run_module(truenas_nfs_share, dict(connection_args(emulator), **DESIRED), diff=True)
    assert result['changed'] is True
    assert result['diff']['before']['networks'] == ['192.168.10.0/24', '192.168.10.0/24']
    assert result['diff']['after']['networks'] == ['192.168.10.0/24']
    assert emulator.writes()[0]['params'][1] == {'networks': ['192.168.10.0/24']}
