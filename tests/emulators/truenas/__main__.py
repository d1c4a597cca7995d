"""CLI: python -m tests.emulators.truenas --host 127.0.0.1 --port 8765 --version 25.10 --api-key KEY --state FILE

Prints one line when it accepts connections, then serves until SIGTERM or SIGINT.
"""
import argparse
import signal
import ssl
import sys
import threading

from .server import TrueNASEmulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tests.emulators.truenas', description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (loopback only in tests)')
    parser.add_argument('--port', type=int, default=8765, help='0 picks a free port')
    parser.add_argument('--version', default='25.10', help='release to imitate: 24.10, 25.04, 25.10, 26.0 or a full version (25.10.6, 26.0.0-BETA.3)')
    parser.add_argument('--api-key', default='1-emulator-test-key', help='the one API key login accepts')
    parser.add_argument('--state', help='JSON file holding the NAS state across runs (created with defaults)')
    parser.add_argument('--job-seconds', type=float, default=0.3, help='how long service jobs stay RUNNING')
    parser.add_argument('--api-key-user', default='admin', help='owner of the API key (auth.login_ex username)')
    parser.add_argument('--rate-limit-calls', type=int, default=20,
                        help='unauthenticated calls per method and client address per window (upstream 20; 0: off)')
    parser.add_argument('--rate-limit-period', type=float, default=60.0, help='window in seconds (upstream 60)')
    parser.add_argument('--rate-limit-stall', type=float, nargs=2, default=[1.0, 10.0], metavar=('MIN', 'MAX'),
                        help='seconds slept before answering EBUSY (upstream uniform 1..10)')
    parser.add_argument('--tls-cert', help='PEM certificate: serve wss:// instead of ws://')
    parser.add_argument('--tls-key', help='PEM private key for --tls-cert')
    args = parser.parse_args(argv)

    ssl_context = None
    if args.tls_cert:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(args.tls_cert, args.tls_key)

    emulator = TrueNASEmulator(host=args.host, port=args.port, version=args.version, api_key=args.api_key,
                               state_file=args.state, job_seconds=args.job_seconds, ssl_context=ssl_context,
                               api_key_user=args.api_key_user, rate_limit_calls=args.rate_limit_calls,
                               rate_limit_period=args.rate_limit_period, rate_limit_stall=args.rate_limit_stall)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    emulator.start()
    print(f'truenas-emulator ready url={emulator.url} version={emulator.release.system_version}', flush=True)
    stop.wait()
    emulator.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
