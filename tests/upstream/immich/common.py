"""Paths, progress lines and small process helpers shared by the build and run steps."""

import hashlib
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CACHE = os.path.expanduser(os.environ.get('HOMELAB_IMMICH_CACHE', '~/.cache/homelab-immich'))
UPSTREAM_CACHE = os.path.join(CACHE, 'upstream')
VERSIONS = ('2.5.5', '3.1.0')
PGVECTOR_VERSION = '0.8.6'
VALKEY_VERSION = '8.0.1'
PG_MAJOR = '15'
PG_BIN = '/usr/lib/postgresql/%s/bin' % PG_MAJOR

# Where upstream publishes each input (said when the file is missing; never downloaded by the runner).
UPSTREAM_ORIGIN = {
    'immich-server-src-v{v}.tar.gz':
        'git archive of github.com/immich-app/immich at tag v{v} (server/, package.json, pnpm-lock.yaml, '
        'pnpm-workspace.yaml, .pnpmfile.cjs, plugins/ or packages/, .nvmrc), no top-level folder',
    'pgvector-v{v}.tar.gz': 'git archive --prefix=pgvector-v{v}/ of github.com/pgvector/pgvector at tag v{v}',
    'valkey-{v}.tar.gz': 'git archive --prefix=valkey-{v}/ of github.com/valkey-io/valkey at tag {v}',
}


class RunnerError(Exception):
    """A failure with a message meant for the person running the runner."""


def upstream_dir():
    """../shared/upstream relative to the project root, or HOMELAB_IMMICH_UPSTREAM_DIR."""
    return os.environ.get('HOMELAB_IMMICH_UPSTREAM_DIR') or os.path.join(os.path.dirname(REPO), 'shared', 'upstream')


def upstream_file(pattern, version):
    name = pattern.format(v=version)
    path = os.path.join(upstream_dir(), name)
    if not os.path.isfile(path):
        origin = UPSTREAM_ORIGIN[pattern].format(v=version)
        raise RunnerError('missing upstream input %s (looked in %s; set HOMELAB_IMMICH_UPSTREAM_DIR to the folder '
                          'that holds it). Upstream has it as: %s' % (name, upstream_dir(), origin))
    return path


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


_START = time.monotonic()


def progress(message):
    """One line per step, with the time since the command started."""
    sys.stderr.write('[immich-upstream %6.1fs] %s\n' % (time.monotonic() - _START, message))
    sys.stderr.flush()


class Step:
    """`with Step('build x'):` prints the step and how long it took."""

    def __init__(self, name):
        self.name = name
        self.start = None

    def __enter__(self):
        self.start = time.monotonic()
        return self

    def __exit__(self, exc_type, exc, tb):
        took = time.monotonic() - self.start
        progress('%s: %s in %.1fs' % (self.name, 'failed' if exc_type else 'done', took))
        return False


def run(cmd, log=None, env=None, cwd=None, nice=False, user=None):
    """Run a build command; its output goes to `log` and the tail is shown when it fails."""
    if nice:
        cmd = ['nice', '-n', '10'] + list(cmd)
    handle = open(log, 'ab') if log else subprocess.DEVNULL
    try:
        if log:
            handle.write(('\n$ %s\n' % ' '.join(cmd)).encode())
            handle.flush()
        result = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=cwd, user=user,
                                check=False)
    finally:
        if log:
            handle.close()
    if result.returncode != 0:
        tail = ''
        if log:
            with open(log, 'rb') as handle:
                tail = handle.read()[-3000:].decode(errors='replace')
        raise RunnerError('command failed (exit %d): %s\n--- last lines of %s ---\n%s'
                          % (result.returncode, ' '.join(cmd), log, tail))


def free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
