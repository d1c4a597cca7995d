"""The emulated NAS: pools, datasets, a declared filesystem, users, services, NFS config and shares.

Everything lives in one JSON-serialisable dict so ``--state FILE`` can persist it between runs.
The filesystem is declared, not real: ``paths`` maps absolute paths to ``{"type": "DIRECTORY"}``
or ``{"type": "SYMLINK", "target": "/abs/path"}``; pool and dataset mountpoints and every parent
of a declared path are directories too.
"""
import copy
import json
import os
import posixpath
import threading

MAX_SYMLINK_HOPS = 40


def default_state():
    """A NAS shaped like the reference homelab: pool BigTank, dataset BigTank/photos, photos under All."""
    return {
        'pools': [
            {'id': 1, 'name': 'BigTank', 'guid': '1111', 'status': 'ONLINE', 'healthy': True, 'path': '/mnt/BigTank'},
        ],
        'datasets': [
            _dataset('BigTank'),
            _dataset('BigTank/photos'),
        ],
        'paths': {
            '/mnt/BigTank/photos/All': {'type': 'DIRECTORY'},
            # a symlink inside the pool: exporting it is refused ("Symbolic links are not allowed")
            '/mnt/BigTank/photos/latest': {'type': 'SYMLINK', 'target': '/mnt/BigTank/photos/All'},
            # a directory under /mnt that is not a pool: "The path must reside within a pool mount point"
            '/mnt/scratch/photos': {'type': 'DIRECTORY'},
        },
        # hostnames sharing.nfs may resolve (the emulator has no DNS)
        'dns': {'immich-node1.lan': '192.168.10.21'},
        'users': ['root', 'nobody', 'admin', 'apps'],
        'groups': ['root', 'wheel', 'nogroup', 'admin', 'apps'],
        'services': [
            {'id': 1, 'service': 'nfs', 'enable': False, 'state': 'STOPPED', 'pids': []},
            {'id': 2, 'service': 'cifs', 'enable': False, 'state': 'STOPPED', 'pids': []},
            {'id': 3, 'service': 'ssh', 'enable': True, 'state': 'RUNNING', 'pids': [812]},
        ],
        'nfs_config': {
            'id': 1, 'servers': 2, 'allow_nonroot': False, 'protocols': ['NFSV3', 'NFSV4'], 'v4_krb': False,
            'v4_domain': '', 'bindip': [], 'mountd_port': None, 'rpcstatd_port': None, 'rpclockd_port': None,
            'mountd_log': True, 'statd_lockd_log': False, 'v4_krb_enabled': False, 'userd_manage_gids': False,
            'keytab_has_nfs_spn': False, 'managed_nfsd': True, 'rdma': False,
        },
        'shares': [],
        'next_share_id': 1,
    }


def _dataset(name):
    return {
        'id': name, 'name': name, 'pool': name.split('/')[0], 'type': 'FILESYSTEM',
        'mountpoint': '/mnt/' + name, 'encrypted': False, 'locked': False, 'children': [],
    }


class State:
    """Thread-safe holder of the state dict, saved to ``path`` after every write when given."""

    def __init__(self, path=None, seed=None):
        self.lock = threading.RLock()
        self.path = path
        if path and os.path.exists(path):
            with open(path, encoding='utf-8') as handle:
                self.data = json.load(handle)
        else:
            self.data = copy.deepcopy(seed) if seed is not None else default_state()
            self.save()

    def save(self):
        if not self.path:
            return
        tmp = self.path + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as handle:
            json.dump(self.data, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.path)

    def snapshot(self):
        with self.lock:
            return copy.deepcopy(self.data)

    # -- filesystem ------------------------------------------------------------------------

    def _directories(self):
        dirs = {'/', '/mnt'}
        for pool in self.data['pools']:
            dirs.add(pool['path'])
        for dataset in self.data['datasets']:
            dirs.add(dataset['mountpoint'])
        for path in self.data['paths']:
            parent = posixpath.dirname(path)
            while parent not in dirs and parent != '/':
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return dirs

    def entry(self, path):
        """``{"type": ...}`` of the final component of ``path`` (symlinks not followed), or None."""
        path = posixpath.normpath(path)
        if path in self.data['paths']:
            return self.data['paths'][path]
        if path in self._directories():
            return {'type': 'DIRECTORY'}
        return None

    def realpath(self, path):
        """Resolve every symlink component, like os.path.realpath (missing components are kept)."""
        parts = [part for part in posixpath.normpath(path).split('/') if part]
        resolved = '/'
        hops = 0
        while parts:
            candidate = posixpath.join(resolved, parts.pop(0))
            entry = self.data['paths'].get(candidate)
            if entry and entry['type'] == 'SYMLINK' and hops < MAX_SYMLINK_HOPS:
                hops += 1
                target = entry['target']
                if not target.startswith('/'):
                    target = posixpath.join(resolved, target)
                parts = [part for part in posixpath.normpath(target).split('/') if part] + parts
                resolved = '/'
            else:
                resolved = candidate
        return resolved
