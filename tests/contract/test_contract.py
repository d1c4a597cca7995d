"""Differential contract tests: every request the modules and roles send, and the error paths they rely
on, sent to the emulator and to the real Immich of the same version (2.5.5, 3.1.0); the table of
differences is printed and the test fails on any. Needs `tests/upstream/immich/upstream up`.

test_setup_disabled_and_config_file_mode starts one more real server per version with
IMMICH_ALLOW_SETUP=false and IMMICH_CONFIG_FILE (about 45 s each). Do not run this file and the real-backend
unit suite at the same time: both reset the same servers."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'unit', 'immich'))

from backends import RealBackend  # noqa: E402  pylint: disable=wrong-import-position
from tests.contract import differential  # noqa: E402  pylint: disable=wrong-import-position
from tests.upstream.immich import build, media  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize('version', os.environ.get('IMMICH_CONTRACT_VERSIONS', '2.5.5 3.1.0').split())
def test_emulator_matches_real_server(version, tmp_path, capsys):
    photos, more = str(tmp_path / 'photos'), str(tmp_path / 'more')
    media.make_photos(photos, build.pillow())
    os.makedirs(more)
    real = RealBackend(version, photos, more)
    real.reset()
    emulator, emulator_side = differential.start_emulator_side(version, photos, more)
    try:
        real_side = differential.Side('real', real.direct, photos, more, real.media)
        real_side.prepare()
        emulator_side.prepare()
        rows = differential.compare(emulator_side, real_side)
    finally:
        emulator.stop()
        real.settle()
        real.reset()
        real.stop()
    report = differential.table(version, rows)
    if os.environ.get('IMMICH_CONTRACT_DUMP'):
        import json  # pylint: disable=import-outside-toplevel
        with open(os.environ['IMMICH_CONTRACT_DUMP'] + '.' + version, 'w') as handle:
            json.dump(differential.DUMP, handle, indent=1, default=str)
    with capsys.disabled():
        print('\n' + report)
    assert [row for row in rows if row[5]] == [], report


SETUP_REQUESTS = [
    ('server config, setup disabled', 'GET', '/server/config', None),
    ('sign-up, setup disabled', 'POST', '/auth/admin-sign-up', {'email': 'a@example.com', 'password': 'p', 'name': 'A'}),
    ('features, config file', 'GET', '/server/features', None),
]


@pytest.mark.parametrize('version', os.environ.get('IMMICH_CONTRACT_VERSIONS', '2.5.5 3.1.0').split())
def test_setup_disabled_and_config_file_mode(version, tmp_path, capsys):
    """A real server started with IMMICH_ALLOW_SETUP=false and IMMICH_CONFIG_FILE against the emulator
    started with allow_setup=False, config_file=True: the sign-up refusal, isInitialized with no admin,
    configFile in the features. (The config-file PUT refusal needs an admin, which setup-disabled prevents;
    it is compared by the emulator-only test_config_file_in_use.)"""
    from tests.upstream.immich import runtime  # pylint: disable=import-outside-toplevel
    from tests.emulators.immich import start_emulator  # pylint: disable=import-outside-toplevel
    config_file = tmp_path / 'immich.json'
    config_file.write_text('{"newVersionCheck": {"enabled": false}}')
    server = runtime.start_variant(version, 'locked', {'IMMICH_ALLOW_SETUP': 'false',
                                                       'IMMICH_CONFIG_FILE': str(config_file)}, redis_db=5)
    emulator = start_emulator(version=version, allow_setup=False, config_file=True)[0]
    try:
        real_side = differential.Side('real', server['url'], str(tmp_path), str(tmp_path), server['media'])
        emulator_side = differential.Side('emulator', emulator.base_url, str(tmp_path), str(tmp_path), '/data')
        rows = [differential._compare_one(emulator_side, real_side, name, method, path, body, 'none')  # pylint: disable=protected-access
                for name, method, path, body in SETUP_REQUESTS]
        initialized = [side.call('GET', '/server/config')[1]['isInitialized'] for side in (real_side, emulator_side)]
        features = [side.call('GET', '/server/features')[1]['configFile'] for side in (real_side, emulator_side)]
    finally:
        emulator.stop()
        runtime.stop_variant(server)
    report = differential.table(version + ' (IMMICH_ALLOW_SETUP=false, IMMICH_CONFIG_FILE)', rows)
    with capsys.disabled():
        print('\n' + report)
    assert initialized == [True, True] and features == [True, True]
    assert [row for row in rows if row[5]] == [], report
