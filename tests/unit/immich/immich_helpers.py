"""Shared helpers for the Immich tests (imported by conftest.py and the test files)."""

import contextlib
import copy
import importlib
import io
import json
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

ADMIN_EMAIL = 'admin@example.com'
ADMIN_PASSWORD = 'admin-Secret-42'
USER_EMAIL = 'user@example.com'
USER_PASSWORD = 'user-Secret-43'

# name -> (size in bytes); only media files outside hidden/@eaDir folders count as assets.
PHOTO_FILES = {
    'a.jpg': 100,
    'b.PNG': 200,
    'trip/c.mp4': 300,
    'trip/d.mov': 400,
    'trip/@eaDir/thumb.jpg': 50,     # excluded by Immich's default patterns
    'trip/.hidden.jpg': 60,          # hidden files are never imported
    'notes.txt': 10,                 # not media
}
EXPECTED = {'photos': 2, 'videos': 2, 'total': 4, 'usage': 1000}


def conn(emulator, **extra):
    """Connection arguments for a module: the emulator's URL and the admin API key."""
    args = {'api_url': emulator.base_url, 'api_key': emulator.admin_key}
    args.update(extra)
    return args


class ModuleRun(object):
    """Outcome of one module run: ``result`` is the JSON Ansible would see, ``raw`` the kwargs before
    Ansible's no_log masking (so tests can prove the module itself never put a secret in its result)."""

    def __init__(self, rc, result, raw, text):
        self.rc = rc
        self.result = result
        self.raw = raw
        self.text = text

    @property
    def failed(self):
        return bool(self.result.get('failed'))

    @property
    def warnings(self):
        # ansible-core 2.19 returns structured warnings ({event: {msg}}); older cores return strings.
        return [w if isinstance(w, str) else w.get('event', {}).get('msg', '') for w in self.result.get('warnings', [])]

    def __repr__(self):
        return 'ModuleRun(rc=%r, result=%r)' % (self.rc, self.result)


def run_module(name, args, check_mode=False, diff=True):
    module = importlib.import_module('ansible_collections.homelab.immich.plugins.modules.%s' % name)
    captured = {}
    original = basic.AnsibleModule._return_formatted

    def spy(self, kwargs):
        captured['raw'] = copy.deepcopy(kwargs)
        return original(self, kwargs)

    full = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    out = io.StringIO()
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    rc = None
    with patch_module_args(full), mock.patch.object(basic.AnsibleModule, '_return_formatted', spy), \
            contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit as exc:
            rc = exc.code
    text = out.getvalue()
    return ModuleRun(rc, json.loads(text), captured.get('raw', {}), text)


def writes(emulator):
    return [(e['method'], e['path']) for e in emulator.writes()]


def paths(emulator, method=None):
    return [e['path'] for e in emulator.requests if method is None or e['method'] == method]
