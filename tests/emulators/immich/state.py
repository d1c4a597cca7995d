"""In-memory state of the emulated Immich, optionally persisted as JSON after every change."""

import copy
import datetime
import hashlib
import json
import os
import secrets
import threading
import uuid


def now_iso():
    stamp = datetime.datetime.now(datetime.timezone.utc)
    return stamp.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (stamp.microsecond // 1000)


def new_id():
    return str(uuid.uuid4())


def hash_secret(secret):
    # Immich stores bcrypt hashes of passwords and sha256 hashes of tokens and API keys;
    # a salted sha256 is enough to keep clear-text secrets out of the state file.
    return hashlib.sha256(('immich-emulator:' + secret).encode('utf-8')).hexdigest()


class State(object):
    """Users, sessions, API keys, libraries, assets and the system config.

    All access goes through ``lock`` (an RLock shared with the job runner).
    """

    def __init__(self, default_config, path=None):
        self.lock = threading.RLock()
        self.path = path
        self.default_config = copy.deepcopy(default_config)
        self.users = {}
        self.sessions = {}
        self.api_keys = {}
        self.libraries = {}
        self.assets = {}
        self.config = copy.deepcopy(default_config)
        self.onboarded = False
        if path and os.path.exists(path):
            self._load()

    # -- persistence ---------------------------------------------------------------------------

    def _load(self):
        with open(self.path) as fh:
            data = json.load(fh)
        self.users = data.get('users', {})
        self.sessions = data.get('sessions', {})
        self.api_keys = data.get('api_keys', {})
        self.libraries = data.get('libraries', {})
        self.assets = data.get('assets', {})
        self.onboarded = data.get('onboarded', False)
        saved = data.get('config')
        if isinstance(saved, dict):
            self.config = _overlay(self.default_config, saved)

    def save(self):
        if not self.path:
            return
        with self.lock:
            data = {
                'users': self.users, 'sessions': self.sessions, 'api_keys': self.api_keys,
                'libraries': self.libraries, 'assets': self.assets, 'config': self.config,
                'onboarded': self.onboarded,
            }
            text = json.dumps(data, indent=1, sort_keys=True)
        tmp = '%s.tmp-%d' % (self.path, os.getpid())
        with open(tmp, 'w') as fh:
            fh.write(text)
        os.replace(tmp, self.path)

    # -- users and credentials -----------------------------------------------------------------

    def add_user(self, email, password, name, is_admin=False):
        with self.lock:
            stamp = now_iso()
            user = {
                'id': new_id(), 'email': email.lower(), 'name': name, 'isAdmin': bool(is_admin),
                'password': hash_secret(password), 'createdAt': stamp, 'updatedAt': stamp,
                'deletedAt': None, 'storageLabel': 'admin' if is_admin else None,
                'shouldChangePassword': False, 'isOnboarded': False,
            }
            self.users[user['id']] = user
            self.save()
            return user

    def admin(self):
        return next((u for u in self.users.values() if u['isAdmin'] and not u.get('deletedAt')), None)

    def user_by_email(self, email):
        email = (email or '').lower()
        return next((u for u in self.users.values() if u['email'] == email and not u.get('deletedAt')), None)

    def check_password(self, user, password):
        return user is not None and user.get('password') == hash_secret(password or '')

    def new_session(self, user):
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.sessions[hash_secret(token)] = {'userId': user['id'], 'createdAt': now_iso()}
            self.save()
        return token

    def session_user(self, token):
        session = self.sessions.get(hash_secret(token))
        return self.users.get(session['userId']) if session else None

    def end_session(self, token):
        with self.lock:
            if self.sessions.pop(hash_secret(token), None) is not None:
                self.save()

    def add_api_key(self, user, name, permissions):
        secret = secrets.token_urlsafe(32)
        with self.lock:
            stamp = now_iso()
            key = {'id': new_id(), 'name': name, 'userId': user['id'], 'permissions': list(permissions),
                   'key': hash_secret(secret), 'createdAt': stamp, 'updatedAt': stamp}
            self.api_keys[key['id']] = key
            self.save()
        return key, secret

    def api_key_by_secret(self, secret):
        hashed = hash_secret(secret)
        return next((k for k in self.api_keys.values() if k['key'] == hashed), None)

    # -- libraries and assets ------------------------------------------------------------------

    def live_libraries(self):
        return [lib for lib in self.libraries.values() if not lib.get('deletedAt')]

    def library(self, library_id):
        lib = self.libraries.get(library_id)
        return lib if lib and not lib.get('deletedAt') else None

    def library_assets(self, library_id):
        return [a for a in self.assets.values() if a['libraryId'] == library_id]

    def statistics(self, library_id):
        assets = self.library_assets(library_id)
        photos = sum(1 for a in assets if a['type'] == 'IMAGE')
        videos = sum(1 for a in assets if a['type'] == 'VIDEO')
        return {'photos': photos, 'videos': videos, 'total': photos + videos, 'usage': sum(a['size'] for a in assets)}


def _overlay(base, saved):
    """Saved config values over the version's defaults, keeping only keys the version knows."""
    out = copy.deepcopy(base)
    for key, value in saved.items():
        if key not in out:
            continue
        if isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _overlay(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
