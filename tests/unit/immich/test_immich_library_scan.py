"""immich_library_scan: request scans, wait on the queues, report statistics."""

import pytest

from immich_helpers import EXPECTED, conn, run_module, writes


@pytest.fixture
def library(emulator):
    run = run_module('immich_library', conn(emulator, name='NAS photos', import_paths=['/mnt/photos']))
    emulator.reset_log()
    return run.result['library']


def scan_args(emulator, **extra):
    return conn(emulator, **dict({'library': 'NAS photos', 'poll_interval': 0.02, 'wait_timeout': 20}, **extra))


@pytest.mark.parametrize('version', ['2.5.5', '3.2.2'])
def test_scan_and_wait_reports_assets(make_emulator, version):
    emu = make_emulator(version)
    lib = run_module('immich_library', conn(emu, name='NAS photos', import_paths=['/mnt/photos'])).result['library']
    emu.reset_log()
    run = run_module('immich_library_scan', scan_args(emu, wait=True))
    assert run.rc == 0 and run.result['changed'], run.result
    assert run.result['libraries'] == [{'id': lib['id'], 'name': 'NAS photos',
                                        'refreshedAt': emu.state.library(lib['id'])['refreshedAt'], 'statistics': EXPECTED}]
    assert run.result['libraries'][0]['refreshedAt'] is not None
    assert set(run.result['queues']) == {'library', 'sidecar', 'metadataExtraction', 'thumbnailGeneration'}
    for name, counts in run.result['queues'].items():
        assert counts['waiting'] == 0 and counts['active'] == 0, name
    assert run.result['queues']['thumbnailGeneration']['completed'] == EXPECTED['total']
    assert writes(emu) == [('POST', '/api/libraries/%s/scan' % lib['id'])]
    polls = [e for e in emu.requests if e['path'] == '/api/queues']
    assert len(polls) >= 2, 'the first look sees the scan queued'


def test_scan_sees_exclusion_changes(emulator, library):
    run_module('immich_library_scan', scan_args(emulator, wait=True))
    run_module('immich_library', conn(emulator, name='NAS photos', exclusion_patterns=['**/trip/**']))
    run = run_module('immich_library_scan', scan_args(emulator, wait=True))
    assert run.result['libraries'][0]['statistics'] == {'photos': 2, 'videos': 0, 'total': 2, 'usage': 300}


def test_without_wait_returns_at_once(emulator, library):
    run = run_module('immich_library_scan', scan_args(emulator))
    assert run.result['changed']
    assert run.result['elapsed'] == 0.0
    busy = run.result['queues']['library']
    assert busy['waiting'] + busy['active'] >= 1
    assert emulator.wait_idle()


def test_check_mode_requests_no_scan(emulator, library):
    run = run_module('immich_library_scan', scan_args(emulator, wait=True), check_mode=True)
    assert run.result['changed']
    assert [lib['name'] for lib in run.result['libraries']] == ['NAS photos']
    assert writes(emulator) == []
    assert emulator.jobs.idle()


def test_scan_all_libraries(emulator, library):
    run_module('immich_library', conn(emulator, name='More', import_paths=['/mnt/more']))
    emulator.reset_log()
    run = run_module('immich_library_scan', scan_args(emulator, library=None, wait=True))
    totals = dict((lib['name'], lib['statistics']['total']) for lib in run.result['libraries'])
    assert totals == {'NAS photos': 4, 'More': 1}
    assert len(writes(emulator)) == 2


def test_library_by_id(emulator, library):
    run = run_module('immich_library_scan', scan_args(emulator, library=library['id']))
    assert run.result['libraries'][0]['id'] == library['id']


def test_no_libraries_nothing_to_do(emulator):
    run = run_module('immich_library_scan', scan_args(emulator, library=None))
    assert not run.result['changed'] and run.result['libraries'] == []


def test_unknown_library_and_queue(emulator, library):
    run = run_module('immich_library_scan', scan_args(emulator, library='Nope'))
    assert run.failed and "no Immich library has the name or id 'Nope'" in run.result['msg']
    run = run_module('immich_library_scan', scan_args(emulator, queues=['library', 'thumbnails']))
    assert run.failed and "queues[1] 'thumbnails' is not an Immich job queue" in run.result['msg']
    assert writes(emulator) == []


def test_wait_timeout_reports_progress(make_emulator):
    emu = make_emulator(job_interval=0.5)
    run_module('immich_library', conn(emu, name='NAS photos', import_paths=['/mnt/photos']))
    run = run_module('immich_library_scan', scan_args(emu, wait=True, wait_timeout=0))
    assert run.failed
    assert 'the scan is still running after 0s' in run.result['msg']
    assert 'library' in run.result['msg'] and 'waiting' in run.result['msg']
    assert run.result['queues']['library']['waiting'] + run.result['queues']['library']['active'] > 0


def test_paused_queue_fails_fast(emulator, library):
    emulator.jobs.command('library', 'pause')
    run = run_module('immich_library_scan', scan_args(emulator, wait=True))
    assert run.failed and 'library is paused' in run.result['msg']


def test_waits_through_503(emulator, library):
    emulator.set_faults(fail_next=1, fail_status=503, path_prefix='/api/queues')
    run = run_module('immich_library_scan', scan_args(emulator, wait=True))
    assert run.rc == 0 and run.result['libraries'][0]['statistics'] == EXPECTED
    assert [e['status'] for e in emulator.requests if e['path'] == '/api/queues'][:2] == [503, 200]
