"""middlewared's rate limit of unauthenticated calls, as utils/rate_limit/cache.py and main.py
authorize_method_call have it at TS-25.04.0, TS-25.10.0 and TS-26.0.0-BETA.3 (unchanged between them):

- only calls of methods that need no authentication (auth.login_with_api_key, auth.login_ex, core.ping from
  25.10, ...) made on a session that is not logged in count; a logged-in session is never limited;
- one counter per (method, client address): a fixed window that restarts when 60 s have passed since it
  started (``last_reset``); the 21st call inside a window is refused;
- at 100 cache entries every unauthenticated call is refused (the STIG safeguard); the whole cache is cleared
  every 600 s (plugins/rate_limit/__init__.py, periodic);
- a refused call first sleeps ``uniform(1, 10)`` seconds, then fails with CallError('Rate Limit Exceeded', EBUSY).

The stall is configurable so tests that hit the limit on purpose stay fast; it defaults to upstream's.
"""
import random
import threading
import time

MAX_CALLS = 20
MAX_PERIOD = 60.0
MAX_CACHE_ENTRIES = 100
CLEAR_INTERVAL = 600.0
STALL = (1.0, 10.0)


class RateLimiter:
    def __init__(self, max_calls=MAX_CALLS, period=MAX_PERIOD, stall=STALL, clock=time.monotonic):
        self.max_calls = max_calls  # 0 or None: no limit (not upstream; for ad-hoc use only)
        self.period = period
        self.stall = tuple(stall) if isinstance(stall, (list, tuple)) else (float(stall), float(stall))
        self.clock = clock
        self.lock = threading.Lock()
        self.cache = {}
        self.cleared_at = clock()

    def exceeded(self, method, address):
        """Count one unauthenticated call of ``method`` from ``address``; True when it must be refused."""
        if not self.max_calls or address is None:
            return False  # upstream: internal/unix/HA origins are never limited
        with self.lock:
            now = self.clock()
            if now - self.cleared_at >= CLEAR_INTERVAL:
                self.cache.clear()
                self.cleared_at = now
            key = f'{method}_##_{address}'
            entry = self.cache.setdefault(key, {'num_times_called': 0, 'last_reset': now})
            if self.period - (now - entry['last_reset']) <= 0:
                entry.update(num_times_called=0, last_reset=now)
            entry['num_times_called'] += 1
            return len(self.cache) == MAX_CACHE_ENTRIES or entry['num_times_called'] > self.max_calls

    def sleep(self):
        low, high = self.stall
        if high > 0:
            time.sleep(round(random.uniform(low, high), 2))

    def snapshot(self):
        with self.lock:
            return {key: dict(value) for key, value in self.cache.items()}

    def clear(self):
        with self.lock:
            self.cache.clear()
