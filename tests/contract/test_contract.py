"""Differential contract tests: every request the modules and roles send, and the error paths they rely
on, sent to the emulator and to the real Immich of the same version (2.5.5, 3.1.0); the table of
differences is printed and the test fails on any. Needs `tests/upstream/immich/upstream up`.

Not covered here (need a server started otherwise): IMMICH_CONFIG_FILE mode, IMMICH_ALLOW_SETUP=false."""

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
