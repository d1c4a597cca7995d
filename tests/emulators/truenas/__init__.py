"""TrueNAS 25.04+ JSON-RPC-over-WebSocket emulator for tests (not TrueNAS).

- ``start_emulator(version="25.10", api_key=..., state_file=None)`` -> running ``TrueNASEmulator``
  on a free loopback port (``.url``, ``.log()``, ``.writes()``, ``.faults``, ``.state``, ``.stop()``).
- ``python -m tests.emulators.truenas --port 8765 --version 25.10 --api-key KEY --state FILE``
  runs it until SIGTERM.

Implemented: auth.login_with_api_key, system.version/version_short/info, core.ping, core.get_jobs,
pool.query, pool.dataset.query, filesystem.stat, sharing.nfs.query/create/update/delete,
nfs.config/update, service.query/update/started, service.control (>= 25.10, a job),
service.start/stop/restart/reload (< 26.04). Test-only: emulator.* (see server.py).
"""
from .releases import Release
from .server import API_PATH, TrueNASEmulator, start_emulator
from .state import State, default_state

__all__ = ['API_PATH', 'Release', 'State', 'TrueNASEmulator', 'default_state', 'start_emulator']
