"""truenas_nfs_info: where a path lives, without failing when something is missing."""
import pytest

from ansible_collections.homelab.immich.plugins.modules import truenas_nfs_info

from .conftest import connection_args, run_module


@pytest.mark.parametrize('path,exists,kind,in_pool,dataset', [
    ('/mnt/BigTank/photos/All', True, 'DIRECTORY', True, 'BigTank/photos'),
    ('/mnt/BigTank/photos', True, 'DIRECTORY', True, 'BigTank/photos'),
    ('/mnt/BigTank/photos/latest', True, 'SYMLINK', True, 'BigTank/photos'),
    ('/mnt/BigTank/nothing/here', False, None, True, 'BigTank'),
    ('/mnt/scratch/photos', True, 'DIRECTORY', False, None),
])
def test_path_info(emulator, path, exists, kind, in_pool, dataset):
    result, dummy = run_module(truenas_nfs_info, dict(connection_args(emulator), path=path))
    info = result['path']
    assert (info['exists'], info['type'], info['in_pool']) == (exists, kind, in_pool)
    assert (info['dataset'] or {}).get('id') == dataset
    assert result['changed'] is False and emulator.writes() == []
    assert result['release'] == '25.10.1' and result['service_control'] is True
    assert result['nfs_service']['service'] == 'nfs' and result['nfs_config']['protocols'] == ['NFSV3', 'NFSV4']


def test_explicit_dataset_that_does_not_hold_the_path(emulator):
    result, dummy = run_module(truenas_nfs_info, dict(connection_args(emulator), path='/mnt/BigTank/photos/All',
                                                      dataset='BigTank/videos'))
    assert result['path']['dataset'] is None
