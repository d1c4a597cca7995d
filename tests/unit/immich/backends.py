"""The backends every Immich module test runs against, behind one small interface:

- ``emulator``     tests/emulators/immich (Immich 2.5.5), in-process, fresh per test;
- ``real-2.5.5``, ``real-3.1.0``  the real Immich server started by ``tests/upstream/immich/upstream up``,
  reached through a RecordingProxy (method, path, status), reset before each test.

Which ones run: IMMICH_TEST_BACKENDS (space separated; default ``emulator``). ``make unit-real`` starts
the real servers and sets all three.

The real server is reset cheaply before each test straight in its database: every user is deleted
(libraries, API keys, sessions and assets go with them: ON DELETE CASCADE), and when a test changed the
system config, the defaults are PUT back through the API (the server caches its config in memory, so
SQL alone would leave that cache stale)."""

import json
import os
import time
import urllib.error
import urllib.request

from immich_helpers import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.upstream.immich import runtime as upstream
from tests.upstream.immich.proxy import RecordingProxy

RESET_EMAIL = 'reset-admin@example.com'
RESET_PASSWORD = 'Reset-Secret-77'


def selected():
    return os.environ.get('IMMICH_TEST_BACKENDS', 'emulator').split()


class Backend(object):
    """What the tests may ask of any backend. ``photos``/``more`` are import paths as the server sees them."""
    name = version = base_url = admin_key = photos = more = media = None
    real = False

    def path(self, *parts):
        return '/'.join((self.photos,) + parts)


class EmulatorBackend(Backend):
    def __init__(self, emulator, photos='/mnt/photos', more='/mnt/more'):
        self.emu = emulator
        self.name = 'emulator'
        self.version = emulator.contract.version_string
        self.base_url = emulator.base_url
        self.photos, self.more, self.media = photos, more, '/data'

    admin_key = property(lambda self: self.emu.admin_key)
    requests = property(lambda self: self.emu.requests)

    def writes(self):
        return self.emu.writes()

    def reset_log(self):
        self.emu.reset_log()

    def create_user(self, email, password, name='User', is_admin=False):
        return self.emu.create_user(email, password, name, is_admin=is_admin)

    def create_api_key(self, email, permissions=('all',), name='test key'):
        return self.emu.create_api_key(email, permissions=permissions, name=name)

    def admin(self):
        return self.emu.state.admin()

    def libraries(self):
        return self.emu.state.live_libraries()

    def library(self, library_id):
        return self.emu.state.library(library_id)

    def statistics(self, library_id):
        return self.emu.state.statistics(library_id)

    def config(self):
        return self.emu.state.config

    def session_count(self):
        return len(self.emu.state.sessions)

    def api_key_names(self):
        return sorted(k['name'] for k in self.emu.state.api_keys.values())

    def api_key_by_secret(self, secret):
        return self.emu.state.api_key_by_secret(secret)

    def scan(self, library_id):
        self.emu.jobs.scan_library(library_id)

    def pause_queue(self, name):
        self.emu.jobs.command(name, 'pause')

    def wait_idle(self, timeout=30):
        return self.emu.wait_idle(timeout)

    def asset_count(self):
        return len([a for a in self.emu.state.assets.values() if not a.get('deletedAt')])


class RealBackend(Backend):
    """One real server (from the runner's state.json) behind a fresh RecordingProxy."""
    real = True

    def __init__(self, version, photos, more):
        state = upstream.load_state()
        if not state or version not in state.get('immich', {}):
            raise RuntimeError('the real Immich %s is not running: run `tests/upstream/immich/upstream up %s` '
                               '(or `make upstream-immich`)' % (version, version))
        self.server = state['immich'][version]
        self.pg_port = state['postgres']['port']
        self.database = self.server['database']
        self.direct = self.server['url']
        self.name = 'real-' + version
        self.version = version
        self.photos, self.more, self.media = photos, more, self.server['media']
        self.proxy = RecordingProxy(self.direct).start()
        self.base_url = self.proxy.base_url
        self.admin_key = None
        self._passwords = {}

    # -- plumbing --------------------------------------------------------------------------------
    def call(self, method, path, body=None, key=None, token=None, expect=(200, 201, 204)):
        """A request straight to the server (not through the proxy: it is not in the request log)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.direct + '/api' + path, data=data, method=method)
        request.add_header('Content-Type', 'application/json')
        if key:
            request.add_header('x-api-key', key)
        if token:
            request.add_header('Authorization', 'Bearer ' + token)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        if expect and status not in expect:
            raise AssertionError('%s %s -> %s %s' % (method, path, status, text[:300]))
        return json.loads(text) if text else None

    def sql(self, statement):
        return upstream.psql(self.pg_port, statement, database=self.database)

    def login(self, email, password):
        return self.call('POST', '/auth/login', {'email': email, 'password': password})['accessToken']

    def _admin_token(self):
        admin = self.admin()
        if admin is None:
            self.call('POST', '/auth/admin-sign-up', {'email': RESET_EMAIL, 'password': RESET_PASSWORD, 'name': 'Reset'})
            self._passwords[RESET_EMAIL] = RESET_PASSWORD
            admin = self.admin()
        password = self._passwords.get(admin['email'], ADMIN_PASSWORD if admin['email'] == ADMIN_EMAIL else None)
        return self.login(admin['email'], password)

    def reset(self):
        """Back to a server with no user, no library and the default config."""
        self.sql('DELETE FROM "user"')
        self._passwords = {}
        saved = self.sql("SELECT value FROM system_metadata WHERE key = 'system-config'").strip()
        if saved and saved != '{}':
            token = self._admin_token()
            self.call('PUT', '/system-config', self.call('GET', '/system-config/defaults', token=token), token=token)
            self.sql('DELETE FROM "user"')
            self._passwords = {}
        self.admin_key = None

    def settle(self):
        """After a test: let its jobs finish and un-pause what it paused, while its admin still exists."""
        if self.admin() is None:
            return
        self.wait_idle(timeout=60)
        self.resume_queues()

    def bootstrap_admin(self):
        self.call('POST', '/auth/admin-sign-up', {'email': ADMIN_EMAIL, 'password': ADMIN_PASSWORD, 'name': 'Admin'})
        self._passwords[ADMIN_EMAIL] = ADMIN_PASSWORD
        self.admin_key = self.create_api_key(ADMIN_EMAIL)

    def stop(self):
        self.proxy.stop()

    # -- the interface -----------------------------------------------------------------------------
    requests = property(lambda self: self.proxy.requests)

    def writes(self):
        return self.proxy.writes()

    def reset_log(self):
        self.proxy.reset_log()

    def _admin_auth(self):
        return {'key': self.admin_key} if self.admin_key else {'token': self._admin_token()}

    def create_user(self, email, password, name='User', is_admin=False):
        user = self.call('POST', '/admin/users', {'email': email, 'password': password, 'name': name,
                                                  'isAdmin': is_admin}, **self._admin_auth())
        self._passwords[email] = password
        return user

    def create_api_key(self, email, permissions=('all',), name='test key'):
        token = self.login(email, self._passwords[email])
        created = self.call('POST', '/api-keys', {'name': name, 'permissions': list(permissions)}, token=token)
        self.call('POST', '/auth/logout', token=token)
        return created['secret']

    def admin(self):
        row = self.sql('SELECT row_to_json(u) FROM "user" u WHERE "isAdmin" AND "deletedAt" IS NULL LIMIT 1').strip()
        return json.loads(row) if row else None

    def libraries(self):
        return self.call('GET', '/libraries', **self._admin_auth())

    def library(self, library_id):
        return self.call('GET', '/libraries/' + library_id, **self._admin_auth())

    def statistics(self, library_id):
        return self.call('GET', '/libraries/%s/statistics' % library_id, **self._admin_auth())

    def config(self):
        return self.call('GET', '/system-config', **self._admin_auth())

    def session_count(self):
        return int(self.sql('SELECT count(*) FROM session'))

    def api_key_names(self):
        return sorted(n for n in self.sql('SELECT name FROM api_key').split('\n') if n)

    def api_key_by_secret(self, secret):
        return self.call('GET', '/api-keys/me', key=secret)

    def scan(self, library_id):
        self.call('POST', '/libraries/%s/scan' % library_id, **self._admin_auth())

    def pause_queue(self, name):
        self.call('PUT', '/jobs/' + name, {'command': 'pause'}, **self._admin_auth())

    def resume_queues(self):
        token = None
        for name, queue in self._jobs().items():
            if queue['queueStatus']['isPaused']:
                token = token or self._admin_token()
                self.call('PUT', '/jobs/' + name, {'command': 'resume'}, token=token)

    def _jobs(self):
        # Reading the queues needs an admin; with none (a test that made none), they are taken as idle.
        if self.admin() is None:
            return {}
        return self.call('GET', '/jobs', **self._admin_auth())

    def wait_idle(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            busy = [n for n, q in self._jobs().items()
                    if q['jobCounts']['active'] or q['jobCounts']['waiting'] or q['jobCounts'].get('delayed')]
            if not busy:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def asset_count(self):
        return int(self.sql('SELECT count(*) FROM asset WHERE "deletedAt" IS NULL'))
