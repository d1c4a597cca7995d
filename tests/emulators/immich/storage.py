"""The server's view of the filesystem: container paths mapped onto local directories.

``--mount /mnt/photos=/some/local/dir`` makes /mnt/photos (as the Immich pod sees it) resolve to the
local directory; any other path does not exist, like a path the pod does not mount.
"""

import os
import posixpath
import re

# Immich's media location in v2+ (StorageCore.isImmichPath): external libraries may not point inside it.
MEDIA_LOCATION = '/data'
# Working directory of the server process in the official image; relative paths resolve against it.
SERVER_CWD = '/usr/src/app'

IMAGE_EXTENSIONS = frozenset([
    '.3fr', '.ari', '.arw', '.avif', '.bmp', '.cap', '.cin', '.cr2', '.cr3', '.crw', '.dcr', '.dng', '.erf', '.fff',
    '.gif', '.heic', '.heif', '.hif', '.iiq', '.insp', '.jp2', '.jpe', '.jpeg', '.jpg', '.jxl', '.k25', '.kdc', '.mrw',
    '.nef', '.nrw', '.orf', '.ori', '.pef', '.png', '.psd', '.raf', '.raw', '.rw2', '.rwl', '.sr2', '.srf', '.srw',
    '.svg', '.tif', '.tiff', '.webp', '.x3f',
])
VIDEO_EXTENSIONS = frozenset([
    '.3gp', '.3gpp', '.avi', '.flv', '.insv', '.m2t', '.m2ts', '.m4v', '.mkv', '.mov', '.mp4', '.mpe', '.mpeg',
    '.mpg', '.mts', '.vob', '.webm', '.wmv',
])


def glob_to_regex(pattern):
    """picomatch-style glob (``**``, ``*``, ``?``) to a case-insensitive regex over absolute paths."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith('**/', i):
            out.append('(?:.*/)?')
            i += 3
        elif pattern.startswith('**', i):
            out.append('.*')
            i += 2
        elif pattern[i] == '*':
            out.append('[^/]*')
            i += 1
        elif pattern[i] == '?':
            out.append('[^/]')
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile('^' + ''.join(out) + '$', re.IGNORECASE)


class Storage(object):
    def __init__(self, mounts=None):
        # Longest container path first, so nested mounts win.
        self.mounts = sorted(((posixpath.normpath(c), os.path.abspath(l)) for c, l in (mounts or {}).items()),
                             key=lambda item: -len(item[0]))

    def local_path(self, container_path):
        """Local path for a container path, or None when no mount covers it."""
        path = posixpath.normpath(container_path)
        for container, local in self.mounts:
            if path == container:
                return local
            if path.startswith(container.rstrip('/') + '/'):
                return os.path.join(local, path[len(container.rstrip('/')) + 1:])
        return None

    def container_path(self, local, container, local_root):
        return posixpath.join(container, os.path.relpath(local, local_root).replace(os.sep, '/'))

    def validate_import_path(self, import_path):
        """ValidateLibraryImportPathResponseDto for one path, with Immich's checks and messages, in order."""
        result = {'importPath': import_path, 'isValid': False}
        resolved = posixpath.normpath(posixpath.join(SERVER_CWD, import_path))
        if (resolved.rstrip('/') + '/').startswith(MEDIA_LOCATION + '/'):
            result['message'] = 'Cannot use media upload folder for external libraries'
            return result
        if not posixpath.isabs(import_path):
            result['message'] = 'Import path must be absolute, try %s' % resolved
            return result
        local = self.local_path(import_path)
        if local is None or not os.path.exists(local):
            result['message'] = 'Path does not exist (ENOENT)'
            return result
        if not os.path.isdir(local):
            result['message'] = 'Not a directory'
            return result
        if not os.access(local, os.R_OK):
            result['message'] = 'Lacking read permission for folder'
            return result
        result['isValid'] = True
        return result

    def walk(self, import_paths, exclusion_patterns):
        """Media files under the valid import paths as (container path, local path), like Immich's crawl:
        hidden files and folders skipped, extensions matched case-insensitively, exclusions applied."""
        excluded = [glob_to_regex(p) for p in exclusion_patterns]
        found = []
        for import_path in import_paths:
            if not self.validate_import_path(import_path)['isValid']:
                continue
            root_container = posixpath.normpath(import_path)
            root_local = self.local_path(import_path)
            for dirpath, dirnames, filenames in os.walk(root_local):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
                for filename in sorted(filenames):
                    if filename.startswith('.'):
                        continue
                    ext = os.path.splitext(filename)[1].lower()
                    if ext not in IMAGE_EXTENSIONS and ext not in VIDEO_EXTENSIONS:
                        continue
                    local = os.path.join(dirpath, filename)
                    container = self.container_path(local, root_container, root_local)
                    if any(rx.match(container) for rx in excluded):
                        continue
                    found.append((container, local))
        return found

    @staticmethod
    def asset_type(path):
        return 'VIDEO' if os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS else 'IMAGE'

    def is_excluded(self, container_path, exclusion_patterns):
        return any(glob_to_regex(p).match(container_path) for p in exclusion_patterns)
