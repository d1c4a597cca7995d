"""Background job queues: a library scan walks the mapped directory and its assets travel
library -> sidecar -> metadataExtraction -> thumbnailGeneration (-> smartSearch, faceDetection),
at a rate set by ``interval`` (seconds a job stays active) and each queue's configured concurrency.
"""

import collections
import os
import threading

from .state import new_id, now_iso

# Paths per LIBRARY_SYNC_FILES job; small so that a scan of a few files shows progress.
SYNC_BATCH = 2
COUNT_KEYS = ('active', 'completed', 'delayed', 'failed', 'paused', 'waiting')


class Queue(object):
    def __init__(self, name):
        self.name = name
        self.waiting = collections.deque()
        self.active = []
        self.completed = 0
        self.failed = 0
        self.is_paused = False

    def counts(self):
        # Immich queues jobs with removeOnComplete (config.repository.ts), so the real server always reports
        # completed 0; self.completed is kept for the emulator's own tests only.
        return {'active': len(self.active), 'completed': 0, 'delayed': 0, 'failed': self.failed,
                'paused': len(self.waiting) if self.is_paused else 0,
                'waiting': 0 if self.is_paused else len(self.waiting)}


class JobRunner(object):
    def __init__(self, state, storage, queue_names, interval=0.05):
        self.state = state
        self.storage = storage
        self.interval = interval
        self.queues = collections.OrderedDict((name, Queue(name)) for name in queue_names)
        self._stop = threading.Event()
        self._thread = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._run, name='immich-emulator-jobs', daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as exc:  # pylint: disable=broad-except
                # Keep the emulator alive; a broken job shows up as a failed count.
                print('immich emulator: job error: %r' % (exc,), flush=True)

    def tick(self):
        """Finish the active jobs, then start the next ones (up to each queue's concurrency)."""
        with self.state.lock:
            dirty = False
            for queue in self.queues.values():
                finished, queue.active = queue.active, []
                for job in finished:
                    try:
                        self._handle(queue.name, job)
                        queue.completed += 1
                    except Exception:  # pylint: disable=broad-except
                        queue.failed += 1
                    dirty = True
            for queue in self.queues.values():
                if queue.is_paused:
                    continue
                limit = self._concurrency(queue.name)
                while queue.waiting and len(queue.active) < limit:
                    queue.active.append(queue.waiting.popleft())
            if dirty:
                self.state.save()

    def _concurrency(self, name):
        setting = self.state.config.get('job', {}).get(name)
        if isinstance(setting, dict) and isinstance(setting.get('concurrency'), int) and setting['concurrency'] > 0:
            return setting['concurrency']
        return 1

    def queue(self, queue_name, job_name, **data):
        with self.state.lock:
            if queue_name in self.queues:
                self.queues[queue_name].waiting.append({'name': job_name, 'data': data})

    def idle(self):
        with self.state.lock:
            return all(not q.waiting and not q.active for q in self.queues.values())

    # -- work ----------------------------------------------------------------------------------

    def scan_library(self, library_id):
        """POST /libraries/{id}/scan: what LibraryService.queueScan() queues."""
        self.queue('library', 'LibraryQueueSyncFiles', id=library_id)
        self.queue('library', 'LibraryQueueSyncAssets', id=library_id)

    def _handle(self, queue_name, job):
        name, data = job['name'], job['data']
        state = self.state
        if name == 'LibraryQueueScanAll':
            for lib in state.live_libraries():
                self.scan_library(lib['id'])
        elif name == 'LibraryQueueSyncFiles':
            lib = state.library(data['id'])
            if lib is None:
                return
            known = set(a['originalPath'] for a in state.library_assets(lib['id']))
            new = [(c, l) for c, l in self.storage.walk(lib['importPaths'], lib['exclusionPatterns']) if c not in known]
            for start in range(0, len(new), SYNC_BATCH):
                self.queue('library', 'LibrarySyncFiles', libraryId=lib['id'], files=new[start:start + SYNC_BATCH])
            lib['refreshedAt'] = now_iso()
        elif name == 'LibraryQueueSyncAssets':
            lib = state.library(data['id'])
            if lib is None:
                return
            for asset in state.library_assets(lib['id']):
                valid = self._still_valid(asset, lib)
                if not valid and not asset.get('isOffline'):
                    # Immich marks such assets offline and trashes them (library.service.ts handleSyncAssets);
                    # its statistics query does not filter trashed assets, so they still count there.
                    asset.update(isOffline=True, deletedAt=now_iso())
                elif valid and asset.get('isOffline'):
                    asset.update(isOffline=False, deletedAt=None)
        elif name == 'LibrarySyncFiles':
            lib = state.library(data['libraryId'])
            if lib is None:
                return
            for container, local in data['files']:
                try:
                    size = os.path.getsize(local)
                except OSError:
                    continue
                asset = {'id': new_id(), 'libraryId': lib['id'], 'ownerId': lib['ownerId'], 'originalPath': container,
                         'localPath': local, 'type': self.storage.asset_type(container), 'size': size,
                         'createdAt': now_iso()}
                state.assets[asset['id']] = asset
                self.queue('sidecar', 'SidecarDiscovery', id=asset['id'])
        elif name == 'LibraryDelete':
            for asset in state.library_assets(data['id']):
                del state.assets[asset['id']]
            state.libraries.pop(data['id'], None)
        elif queue_name == 'sidecar':
            self.queue('metadataExtraction', 'AssetExtractMetadata', id=data['id'])
        elif queue_name == 'metadataExtraction':
            self.queue('thumbnailGeneration', 'AssetGenerateThumbnails', id=data['id'])
        elif queue_name == 'thumbnailGeneration':
            ml = state.config.get('machineLearning', {})
            if ml.get('enabled'):
                if ml.get('clip', {}).get('enabled'):
                    self.queue('smartSearch', 'SmartSearch', id=data['id'])
                if ml.get('facialRecognition', {}).get('enabled'):
                    self.queue('faceDetection', 'AssetDetectFaces', id=data['id'])

    def _still_valid(self, asset, lib):
        if not os.path.isfile(asset.get('localPath', '')):
            return False
        inside = any(asset['originalPath'].startswith(p.rstrip('/') + '/') for p in lib['importPaths'])
        return inside and not self.storage.is_excluded(asset['originalPath'], lib['exclusionPatterns'])

    # -- views ---------------------------------------------------------------------------------

    def queues_response(self):
        """GET /queues: QueueResponseDto[]."""
        with self.state.lock:
            return [{'isPaused': q.is_paused, 'name': q.name, 'statistics': q.counts()} for q in self.queues.values()]

    def jobs_response(self):
        """GET /jobs: QueuesResponseLegacyDto."""
        with self.state.lock:
            return dict((q.name, {'jobCounts': q.counts(),
                                  'queueStatus': {'isActive': bool(q.active), 'isPaused': q.is_paused}})
                        for q in self.queues.values())

    def command(self, name, command):
        """PUT /jobs/{name} {command}: start (library: scan all), pause, resume, empty, clear-failed."""
        with self.state.lock:
            queue = self.queues[name]
            if command == 'start' and name == 'library':
                self.queue('library', 'LibraryQueueScanAll')
            elif command == 'pause':
                queue.is_paused = True
            elif command == 'resume':
                queue.is_paused = False
            elif command == 'empty':
                queue.waiting.clear()
            elif command == 'clear-failed':
                queue.failed = 0
            return {'jobCounts': queue.counts(), 'queueStatus': {'isActive': bool(queue.active), 'isPaused': queue.is_paused}}
