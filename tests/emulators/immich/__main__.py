"""Run the Immich emulator until SIGTERM/SIGINT.

    python -m tests.emulators.immich --host 127.0.0.1 --port 2283 --version 2.5.5 \
        --mount /mnt/photos=/some/local/dir --state /tmp/immich-state.json

Prints one line, ``immich-emulator ready url=http://HOST:PORT version=X sdk=Y``, once it accepts requests.
"""

import argparse
import signal
import sys
import threading

from .contract import parse_version
from .server import ImmichEmulator


def _mount(text):
    container, sep, local = text.partition('=')
    if not sep or not container.startswith('/') or not local:
        raise argparse.ArgumentTypeError('--mount wants CONTAINER_PATH=LOCAL_DIR, got %r' % text)
    return container, local


def _version(text):
    try:
        parse_version(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tests.emulators.immich', description='Immich API emulator')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=2283, help='0 picks a free port')
    parser.add_argument('--version', type=_version, default='2.5.5', help='Immich server version to emulate')
    parser.add_argument('--mount', type=_mount, action='append', default=[],
                        help='CONTAINER_PATH=LOCAL_DIR, e.g. /mnt/photos=./photos (repeatable)')
    parser.add_argument('--state', help='JSON file to load on start and save on every change')
    parser.add_argument('--no-allow-setup', action='store_true',
                        help='3.x: refuse POST /auth/admin-sign-up, as with IMMICH_ALLOW_SETUP=false')
    parser.add_argument('--config-file', action='store_true',
                        help='behave as if IMMICH_CONFIG_FILE were set (features.configFile, config PUT refused)')
    parser.add_argument('--job-interval', type=float, default=0.05,
                        help='seconds each background job stays active (lower is faster)')
    args = parser.parse_args(argv)

    try:
        emulator = ImmichEmulator(version=args.version, mounts=dict(args.mount), state_file=args.state,
                                  allow_setup=not args.no_allow_setup, config_file=args.config_file,
                                  job_interval=args.job_interval, host=args.host, port=args.port)
    except OSError as exc:
        sys.stderr.write('immich-emulator: cannot listen on %s:%s: %s\n' % (args.host, args.port, exc))
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    emulator.start()
    print('immich-emulator ready url=%s version=%s sdk=%s' % (emulator.base_url, emulator.contract.version_string,
                                                              emulator.contract.sdk_version), flush=True)
    stop.wait()
    emulator.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
