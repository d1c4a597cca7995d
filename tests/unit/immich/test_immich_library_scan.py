"""immich_library_scan: request scans, wait on the queues, report statistics.

Tests taking ``immich`` run on every backend in IMMICH_TEST_BACKENDS with the same assertions; on the
real server the photos are real media (JPEGs with EXIF, a PNG, a video when ffmpeg is installed) and a
Syncthing .stversions/ and a Synology @eaDir/ folder that the default exclusions keep out. Tests taking
``emulator``/``make_emulator`` are emulator-only (fault injection, slowed jobs, Immich 3.2.2)."""

import pytest

from immich_helpers import EXPECTED, conn, run_module, writes

SCAN_QUEUES = {'library', 'sidecar', 'metadataExtraction', 'thumbnailGeneration'}


@pytest.fixture
def library(immich):
    run = run_module('immich_library', conn(immich, name='NAS photos', import_paths=[immich.photos],
                                            media_location=immich.media))
    immich.reset_log()
    return run.result['library']


def scan_args(backend, **extra):
    return conn(backend, **dict({'library': 'NAS photos', 'poll_interval': 0.05, 'wait_timeout': 60}, **extra))


def test_scan_and_wait_reports_assets_then_a_rerun_changes_nothing(immich, library, media):
    run = run_module('immich_library_scan', scan_args(immich, wait=True))
    assert run.rc == 0 and run.result['changed'], run.result
    refreshed = immich.library(library['id'])['refreshedAt']
    assert run.result['libraries'] == [{'id': library['id'], 'name': 'NAS photos', 'refreshedAt': refreshed,
                                        'statistics': media.expected()}]
    assert refreshed is not None
    assert set(run.result['queues']) == SCAN_QUEUES
    for name, counts in run.result['queues'].items():
        assert counts['waiting'] == 0 and counts['active'] == 0, name
        assert counts['failed'] == 0, name
    assert writes(immich) == [('POST', '/api/libraries/%s/scan' % library['id'])]
    assert len([e for e in immich.requests if e['path'] in ('/api/queues', '/api/jobs')]) >= 1

    # The seeded photos are the assets; nothing from .stversions/ or @eaDir/ was imported.
    assert immich.asset_count() == len(media.assets)

    # immich_library reports nothing changed and the whole re-run writes nothing but the scan request.
    immich.reset_log()
    again = run_module('immich_library', conn(immich, name='NAS photos', import_paths=[immich.photos],
                                              media_location=immich.media))
    assert not again.result['changed'] and writes(immich) == []
    rescan = run_module('immich_library_scan', scan_args(immich, wait=True))
    assert rescan.result['libraries'][0]['statistics'] == media.expected()
    assert [write[0] for write in writes(immich)] == ['POST']
    assert immich.asset_count() == len(media.assets)


def test_scan_sees_exclusion_changes(immich, library, media):
    """A newly excluded asset is marked offline and trashed by the next scan. Immich's library statistics do
    not filter trashed assets, so they keep counting it (until the trash is emptied); the live assets drop."""
    run_module('immich_library_scan', scan_args(immich, wait=True))
    run_module('immich_library', conn(immich, name='NAS photos', exclusion_patterns=['**/holiday/**']))
    run = run_module('immich_library_scan', scan_args(immich, wait=True))
    assert run.result['libraries'][0]['statistics'] == media.expected()
    assert immich.asset_count() == media.expected(lambda n: '/holiday/' not in n)['total']


def test_without_wait_returns_at_once(immich, library):
    run = run_module('immich_library_scan', scan_args(immich))
    assert run.result['changed']
    assert run.result['elapsed'] == 0.0
    assert writes(immich) == [('POST', '/api/libraries/%s/scan' % library['id'])]
    assert immich.wait_idle()


def test_check_mode_requests_no_scan(immich, library):
    run = run_module('immich_library_scan', scan_args(immich, wait=True), check_mode=True)
    assert run.result['changed']
    assert [lib['name'] for lib in run.result['libraries']] == ['NAS photos']
    assert writes(immich) == []
    assert immich.library(library['id'])['refreshedAt'] is None


def test_scan_all_libraries(immich, library, media):
    run_module('immich_library', conn(immich, name='More', import_paths=[immich.more], media_location=immich.media))
    immich.reset_log()
    run = run_module('immich_library_scan', scan_args(immich, library=None, wait=True))
    totals = dict((lib['name'], lib['statistics']['total']) for lib in run.result['libraries'])
    assert totals == {'NAS photos': media.expected()['total'], 'More': 1}
    assert len(writes(immich)) == 2


def test_library_by_id(immich, library):
    run = run_module('immich_library_scan', scan_args(immich, library=library['id']))
    assert run.result['libraries'][0]['id'] == library['id']


def test_no_libraries_nothing_to_do(immich):
    run = run_module('immich_library_scan', scan_args(immich, library=None))
    assert not run.result['changed'] and run.result['libraries'] == []
    assert writes(immich) == []


def test_unknown_library_and_queue(immich, library):
    run = run_module('immich_library_scan', scan_args(immich, library='Nope'))
    assert run.failed and "no Immich library has the name or id 'Nope'" in run.result['msg']
    run = run_module('immich_library_scan', scan_args(immich, queues=['library', 'thumbnails']))
    assert run.failed and "queues[1] 'thumbnails' is not an Immich job queue" in run.result['msg']
    assert writes(immich) == []
    assert immich.library(library['id'])['refreshedAt'] is None


def test_paused_queue_fails_fast(immich, library):
    immich.pause_queue('library')
    run = run_module('immich_library_scan', scan_args(immich, wait=True))
    assert run.failed and 'library is paused' in run.result['msg']


# -- emulator-only ---------------------------------------------------------------------------------

def test_scan_on_3_2(make_emulator):
    """Emulator-only: Immich 3.2.2 (no real 3.2 server here)."""
    emu = make_emulator('3.2.2')
    lib = run_module('immich_library', conn(emu, name='NAS photos', import_paths=['/mnt/photos'])).result['library']
    emu.reset_log()
    run = run_module('immich_library_scan', scan_args(emu, wait=True))
    assert run.result['libraries'][0]['statistics'] == EXPECTED
    assert writes(emu) == [('POST', '/api/libraries/%s/scan' % lib['id'])]
    polls = [e for e in emu.requests if e['path'] == '/api/queues']
    assert len(polls) >= 2, 'the first look sees the scan queued'


def test_wait_timeout_reports_progress(make_emulator):
    """Emulator-only: jobs slowed to 0.5 s each so the scan is surely still running."""
    emu = make_emulator(job_interval=0.5)
    run_module('immich_library', conn(emu, name='NAS photos', import_paths=['/mnt/photos']))
    run = run_module('immich_library_scan', scan_args(emu, wait=True, wait_timeout=0))
    assert run.failed
    assert 'the scan is still running after 0s' in run.result['msg']
    assert 'library' in run.result['msg'] and 'waiting' in run.result['msg']
    assert run.result['queues']['library']['waiting'] + run.result['queues']['library']['active'] > 0


def test_waits_through_503(emulator):
    """Emulator-only (fault injection)."""
    run_module('immich_library', conn(emulator, name='NAS photos', import_paths=['/mnt/photos']))
    emulator.set_faults(fail_next=1, fail_status=503, path_prefix='/api/queues')
    run = run_module('immich_library_scan', scan_args(emulator, wait=True))
    assert run.rc == 0 and run.result['libraries'][0]['statistics'] == EXPECTED
    assert [e['status'] for e in emulator.requests if e['path'] == '/api/queues'][:2] == [503, 200]


def test_lost_answer_to_scan_is_retried(emulator):
    """Emulator-only (fault injection): queuing a scan twice is harmless, so its POST may be retried."""
    run_module('immich_library', conn(emulator, name='NAS photos', import_paths=['/mnt/photos']))
    emulator.reset_log()
    emulator.set_faults(fail_next=1, fail_status=502, path_prefix='/api/libraries/', method='POST')
    run = run_module('immich_library_scan', scan_args(emulator, wait=True))
    assert run.rc == 0, run.result
    assert [e['status'] for e in emulator.requests if e['method'] == 'POST'] == [502, 204]
