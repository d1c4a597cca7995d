"""Start and stop the real stack: one PostgreSQL 15 cluster (a database per Immich version), one Valkey
(a Redis database index per version) and one Immich server per version, all on loopback with free
ports, each server in its own process group (setsid) and stopped as a group. The state (ports, process
groups, paths) is in <run dir>/state.json, which `env` and the tests read."""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

from . import build, media
from .common import CACHE, PG_BIN, RunnerError, Step, free_port, progress

PG_PASSWORD = 'postgres'
READY_TIMEOUT = float(os.environ.get('IMMICH_REAL_READY_TIMEOUT', '240'))


def run_dir():
    name = os.environ.get('IMMICH_REAL_NAME', 'default')
    return os.path.expanduser(os.environ.get('IMMICH_REAL_DIR') or os.path.join(CACHE, 'upstream-run', name))


def state_path():
    return os.path.join(run_dir(), 'state.json')


def load_state():
    try:
        with open(state_path()) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def _save_state(state):
    os.makedirs(run_dir(), exist_ok=True)
    with open(state_path() + '.tmp', 'w') as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.rename(state_path() + '.tmp', state_path())


def _alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError, TypeError):
        return False


def _stop_group(pgid, sig=signal.SIGTERM, timeout=15):
    if not pgid or not _alive(pgid):
        return
    os.killpg(pgid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pgid):
        time.sleep(0.2)
    if _alive(pgid):
        os.killpg(pgid, signal.SIGKILL)


def ping(url, timeout=2):
    try:
        with urllib.request.urlopen(url + '/api/server/ping', timeout=timeout) as response:
            return json.load(response).get('res') == 'pong'
    except (OSError, ValueError):
        return False


# ---------------------------------------------------------------- PostgreSQL
def _pg_user():
    """PostgreSQL refuses to run as root: as root, the cluster runs as Debian's `postgres` user."""
    return 'postgres' if os.geteuid() == 0 else None


def _pg_dir(base):
    """<run dir>/pg unless the postgres user cannot reach it (root's home is 0700): then /tmp."""
    user = _pg_user()
    if user and subprocess.run(['runuser', '-u', user, '--', 'test', '-w', os.path.dirname(base)],
                               check=False).returncode != 0:
        return '/tmp/homelab-immich-%s-pg' % os.environ.get('IMMICH_REAL_NAME', 'default')
    return os.path.join(base, 'pg')


def psql(port, sql, database='postgres'):
    """Run SQL as the superuser over loopback; returns stdout (tuples only, unaligned)."""
    result = subprocess.run([os.path.join(PG_BIN, 'psql'), '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1',
                             '-h', '127.0.0.1', '-p', str(port), '-U', 'postgres', '-d', database, '-c', sql],
                            capture_output=True, text=True, check=False,
                            env=dict(os.environ, PGPASSWORD=PG_PASSWORD))
    if result.returncode != 0:
        raise RunnerError('psql on port %s failed: %s' % (port, result.stderr.strip()))
    return result.stdout


def _start_postgres(base):
    pg = _pg_dir(base)
    data = os.path.join(pg, 'data')
    user = _pg_user()
    if not os.path.isfile(os.path.join(data, 'PG_VERSION')):
        shutil.rmtree(pg, ignore_errors=True)
        os.makedirs(pg)
        if user:
            shutil.chown(pg, user, user)
        os.chmod(pg, 0o700)
        with Step('postgres: initdb'):
            subprocess.run([os.path.join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E',
                            'UTF8', '--locale=C.UTF-8'], check=True, user=user, capture_output=True)
    port = free_port()
    log = open(os.path.join(base, 'postgres.log'), 'ab')
    # fsync off: a test database that a crash may lose; it is recreated on every `up` anyway.
    proc = subprocess.Popen([os.path.join(PG_BIN, 'postgres'), '-D', data, '-p', str(port),
                             '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=' + pg,
                             '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
                             '-c', 'max_connections=200'],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, user=user,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while subprocess.run([os.path.join(PG_BIN, 'pg_isready'), '-q', '-h', '127.0.0.1', '-p', str(port)],
                         check=False).returncode != 0:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RunnerError('postgres did not start; see %s' % os.path.join(base, 'postgres.log'))
        time.sleep(0.2)
    psql(port, "ALTER USER postgres PASSWORD '%s'" % PG_PASSWORD)
    return {'port': port, 'pgid': proc.pid, 'dir': pg}


# ---------------------------------------------------------------- Valkey
def _start_valkey(base, binary):
    port = free_port()
    folder = os.path.join(base, 'valkey')
    os.makedirs(folder, exist_ok=True)
    log = open(os.path.join(base, 'valkey.log'), 'ab')
    proc = subprocess.Popen([binary, '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--appendonly',
                             'no', '--dir', folder, '--databases', '16'],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return {'port': port, 'pgid': proc.pid, 'binary': binary}


# ---------------------------------------------------------------- Immich
GEODATA = {
    'geodata-date.txt': '2026-01-01\n',
    'admin1CodesASCII.txt': 'FR.11\tIle-de-France\tIle-de-France\t3012874\n',
    'admin2Codes.txt': 'FR.11.75\tParis\tParis\t2968815\n',
    'cities500.txt': '2988507\tParis\tParis\tParis\t48.85341\t2.3488\tP\tPPLC\tFR\t\t11\t75\t751\t75056\t2138551'
                     '\t\t42\tEurope/Paris\t2024-01-01\n',
    # At least one country polygon: an empty list crashes the microservices worker.
    'ne_10m_admin_0_countries.geojson': json.dumps({'type': 'FeatureCollection', 'features': [{
        'type': 'Feature', 'properties': {'ADMIN': 'Testland', 'ADM0_A3': 'TST', 'TYPE': 'Sovereign country'},
        'geometry': {'type': 'Polygon', 'coordinates': [[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]]}}]}),
}


def _build_data(folder, info):
    """IMMICH_BUILD_DATA: a one-city geodata stub and the core plugin manifest (its wasm is not built)."""
    geo = os.path.join(folder, 'geodata')
    os.makedirs(geo, exist_ok=True)
    for name, text in GEODATA.items():
        with open(os.path.join(geo, name), 'w') as handle:
            handle.write(text)
    for source, target in (('plugins/manifest.json', 'corePlugin/manifest.json'),
                           ('packages/plugin-core/manifest.json', 'plugins/immich-plugin-core/manifest.json')):
        if os.path.isfile(os.path.join(info['root'], source)):
            os.makedirs(os.path.dirname(os.path.join(folder, target)), exist_ok=True)
            shutil.copy(os.path.join(info['root'], source), os.path.join(folder, target))


def db_name(version):
    return 'immich_' + version.replace('.', '_')


def _start_immich(base, info, index, pg, redis, variant='', extra_env=None):
    version = info['version']
    folder = os.path.join(base, 'immich-' + version + variant)
    shutil.rmtree(folder, ignore_errors=True)
    media_dir = os.path.join(folder, 'media')
    os.makedirs(media_dir)
    _build_data(os.path.join(folder, 'build'), info)
    database = db_name(version) + variant.replace('-', '_')
    psql(pg['port'], 'DROP DATABASE IF EXISTS %s WITH (FORCE)' % database)
    psql(pg['port'], 'CREATE DATABASE %s' % database)
    port = free_port()
    db_url = 'postgresql://postgres:%s@127.0.0.1:%d/%s' % (PG_PASSWORD, pg['port'], database)
    env = dict(os.environ, PATH=info['node_bin'] + os.pathsep + os.environ['PATH'], NODE_ENV='production',
               IMMICH_HOST='127.0.0.1', IMMICH_PORT=str(port), IMMICH_MEDIA_LOCATION=media_dir,
               IMMICH_BUILD_DATA=os.path.join(folder, 'build'), IMMICH_MACHINE_LEARNING_ENABLED='false',
               IMMICH_API_METRICS_PORT=str(free_port()), IMMICH_MICROSERVICES_METRICS_PORT=str(free_port()),
               DB_URL=db_url, DB_VECTOR_EXTENSION='pgvector', REDIS_HOSTNAME='127.0.0.1',
               REDIS_PORT=str(redis['port']), REDIS_DBINDEX=str(index), IMMICH_LOG_LEVEL='log', TZ='UTC')
    for key in ('IMMICH_CONFIG_FILE', 'IMMICH_ALLOW_SETUP', 'DB_HOSTNAME', 'DB_DATABASE_NAME'):
        env.pop(key, None)
    env.update(extra_env or {})
    log_path = os.path.join(folder, 'server.log')
    proc = subprocess.Popen([os.path.join(info['node_bin'], 'node'), 'dist/main.js'], cwd=info['server'], env=env,
                            stdout=open(log_path, 'ab'), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    return {'version': version, 'port': port, 'url': 'http://127.0.0.1:%d' % port, 'pgid': proc.pid,
            'db_url': db_url, 'database': database, 'media': media_dir, 'log': log_path, 'started': time.time(),
            'redis_db': index, 'node_version': info['node_version'], 'sha256': info['sha256']}


def _wait_ready(server):
    start = time.monotonic()
    while not ping(server['url']):
        if not _alive(server['pgid']):
            raise RunnerError('immich %s exited before it answered; last lines of %s:\n%s'
                              % (server['version'], server['log'], _tail(server['log'])))
        if time.monotonic() - start > READY_TIMEOUT:
            raise RunnerError('immich %s not ready after %ds; see %s' % (server['version'], READY_TIMEOUT,
                                                                         server['log']))
        time.sleep(0.5)
    return time.monotonic() - start


def _tail(path, size=3000):
    with open(path, 'rb') as handle:
        return handle.read()[-size:].decode(errors='replace')


def start_variant(version, variant, extra_env, redis_db):
    """One more server of `version` on the running stack, with its own database, media folder and Redis
    index and extra environment (e.g. IMMICH_ALLOW_SETUP=false); returns its record once it answers.
    Stop it with stop_variant(); it is not in state.json."""
    state = load_state()
    if not state:
        raise RunnerError('nothing running (run `up` first)')
    infos = build.all_versions([version])[0]
    server = _start_immich(run_dir(), infos[version], redis_db, state['postgres'], state['valkey'],
                           variant='-' + variant, extra_env=extra_env)
    try:
        _wait_ready(server)
    except RunnerError:
        _stop_group(server['pgid'])
        raise
    return server


def stop_variant(server):
    _stop_group(server['pgid'])


def status():
    """{component: running?} for the recorded stack (empty when nothing was started)."""
    state = load_state()
    if not state:
        return {}
    result = {'postgres': _alive(state['postgres']['pgid']), 'valkey': _alive(state['valkey']['pgid'])}
    for version, server in state['immich'].items():
        result['immich-' + version] = _alive(server['pgid']) and ping(server['url'])
    return result


def up(versions):
    """Build what is missing (cached), then start the stack; a running stack with these versions is reused."""
    current = status()
    if current and all(current.values()) and sorted(load_state()['immich']) == sorted(versions):
        progress('already running (%s); `down` first to restart' % ', '.join(sorted(versions)))
        return load_state()
    down(quiet=True)
    infos, redis_binary = build.all_versions(versions)
    pillow_dir = build.pillow()
    base = run_dir()
    os.makedirs(base, exist_ok=True)
    state = {'immich': {}}
    with Step('photos: seed real media'):
        photos = os.path.join(base, 'photos')
        state['photos'] = photos
        state['expected_assets'] = media.make_photos(photos, pillow_dir)
        state['pillow'] = pillow_dir
    with Step('postgres %s: start' % os.path.basename(os.path.dirname(PG_BIN))):
        state['postgres'] = _start_postgres(base)
    _save_state(state)
    with Step('valkey: start'):
        state['valkey'] = _start_valkey(base, redis_binary)
    _save_state(state)
    start = time.monotonic()
    for index, version in enumerate(sorted(versions)):
        state['immich'][version] = _start_immich(base, infos[version], index, state['postgres'], state['valkey'])
        _save_state(state)
    for version in sorted(versions):
        _wait_ready(state['immich'][version])
        state['immich'][version]['ready_seconds'] = round(time.monotonic() - start, 1)
        progress('immich %s: ready at %s, %.1fs after its start (migrations included)'
                 % (version, state['immich'][version]['url'], state['immich'][version]['ready_seconds']))
    _save_state(state)
    return state


def down(quiet=False):
    state = load_state()
    if not state:
        if not quiet:
            progress('nothing recorded in %s' % run_dir())
        return
    for server in state.get('immich', {}).values():
        _stop_group(server['pgid'])
    if state.get('valkey'):
        _stop_group(state['valkey']['pgid'])
    if state.get('postgres'):
        _stop_group(state['postgres']['pgid'], sig=signal.SIGINT)  # SIGINT = fast shutdown
    os.remove(state_path())
    if not quiet:
        progress('stopped (run dir %s kept for its logs)' % run_dir())


def env_lines():
    """Shell exports for the running stack."""
    state = load_state()
    if not state:
        raise RunnerError('nothing running (run `up` first)')
    lines = ['export IMMICH_REAL_DIR=%s' % run_dir(), 'export IMMICH_REAL_PHOTOS=%s' % state['photos'],
             'export IMMICH_REAL_VERSIONS="%s"' % ' '.join(sorted(state['immich']))]
    for version, server in sorted(state['immich'].items()):
        key = version.replace('.', '_')
        lines.append('export IMMICH_REAL_%s_URL=%s' % (key, server['url']))
        lines.append('export IMMICH_REAL_%s_DB_URL=%s' % (key, server['db_url']))
    return lines
