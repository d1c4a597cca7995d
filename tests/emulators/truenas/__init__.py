"""TrueNAS 25.04+ JSON-RPC-over-WebSocket emulator for tests (not TrueNAS).

- ``start_emulator(version="25.10", api_key=..., state_file=None)`` -> running ``TrueNASEmulator``
  on a free loopback port (``.url``, ``.log()``, ``.writes()``, ``.faults``, ``.state``, ``.stop()``).
- ``python -m tests.emulators.truenas --port 8765 --version 25.10 --api-key KEY --state FILE``
  runs it until SIGTERM.

Releases: 25.04, 25.10 and 26.0 (the release after 25.10 is 26.0.0, not "26.04"); 24.10 only answers 404.
Implemented: auth.login_with_api_key, auth.login_ex (API_KEY_PLAIN), auth.mechanism_choices, system.version/
version_short/info, core.ping, core.get_jobs, pool.query, pool.dataset.query, filesystem.stat,
sharing.nfs.query/create/update/delete, nfs.config/update, service.query/update/started, service.control
(>= 25.10, a job), service.start/stop/restart/reload (public up to 25.10, private in 26.0). Unauthenticated
calls are rate-limited like middlewared (ratelimit.py). Test-only: emulator.* (see server.py).
"""
from .releases import Release
from .server import API_PATH, TrueNASEmulator, start_emulator
from .state import State, default_state

__all__ = ['API_PATH', 'Release', 'State', 'TrueNASEmulator', 'default_state', 'start_emulator']
