"""Inputs of the Immich server image (tests/kind/build.sh), taken from the real-server runner
(tests/upstream/immich) so that the image and the runner's processes run the same build with the same
build data.

  context.py inputs VERSION DIR   write DIR/build (IMMICH_BUILD_DATA: the runner's one-city geodata stub and
                                  the core plugin manifest), print sha256=, node=, commit= of the release
                                  tarball; reads only the tarball (the cache key of the image)
  context.py workspace VERSION    the runner's build of VERSION (built when missing, cached), print root=,
                                  node_bin=, pnpm_js=, node=, pnpm=
"""
import os
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))))

from tests.upstream.immich import build, runtime  # noqa: E402
from tests.upstream.immich.common import RunnerError, sha256, upstream_file  # noqa: E402

TARBALL = 'immich-server-src-v{v}.tar.gz'
# Where the release keeps its core plugin manifest (2.x, 3.x): what runtime._build_data copies.
MANIFESTS = ('plugins/manifest.json', 'packages/plugin-core/manifest.json')


def inputs(version, folder):
    tarball = upstream_file(TARBALL, version)
    node_version = build._read_member(tarball, 'server/.nvmrc', '.nvmrc').lstrip('v')
    with tarfile.open(tarball) as archive:
        # `git archive` of a commit records it in the pax header.
        commit = archive.pax_headers.get('comment', '')
        with tempfile.TemporaryDirectory() as root:
            for name in MANIFESTS:
                try:
                    archive.extract(name, root, filter='tar')
                except KeyError:
                    continue
            # The very files the runner gives its servers as IMMICH_BUILD_DATA.
            runtime._build_data(os.path.join(folder, 'build'), {'root': root})
    print('sha256=%s\nnode=%s\ncommit=%s' % (sha256(tarball), node_version, commit))


def workspace(version):
    info = build.immich(version)
    pnpm_js = build.pnpm(info['pnpm_version'])
    print('root=%s\nnode_bin=%s\npnpm_js=%s\nnode=%s\npnpm=%s'
          % (info['root'], info['node_bin'], pnpm_js, info['node_version'], info['pnpm_version']))


def main(argv):
    if len(argv) == 3 and argv[0] == 'inputs':
        inputs(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == 'workspace':
        workspace(argv[1])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except RunnerError as error:
        sys.stderr.write('immich image: %s\n' % error)
        sys.exit(1)
