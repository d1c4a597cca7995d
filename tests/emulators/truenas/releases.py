"""What differs between the TrueNAS releases the emulator imitates: 25.04, 25.10 and 26.0 (plus 24.10, which
only answers 404 at /api/current).

Every switch names the truenas/middleware file and tag it was read from (src/middlewared/middlewared/...).
The release after 25.10 is 26.0.0 (API package ``v26_0_0``); there is no "26.04".
"""
import re

# major.minor -> the default full version. 25.04.2.6 and 25.10.1 are real tags (TS-...); 26.0.0-BETA.3 is the
# newest 26.0 tag read. A full version (25.10.6, 26.0.0-BETA.3) can be asked for directly.
DEFAULT_FULL = {'24.10': '24.10.2', '25.04': '25.04.2.6', '25.10': '25.10.1', '26.0': '26.0.0-BETA.3'}
KNOWN = tuple(DEFAULT_FULL)
VERSION_RE = re.compile(r'(\d+)\.(\d+)((?:\.\d+)*)((?:-[A-Za-z]+(?:\.\d+)?)?)')


class Release:
    def __init__(self, version):
        match = VERSION_RE.fullmatch(version)
        if not match:
            raise ValueError(f'release must look like 25.10, 25.10.1 or 26.0.0-BETA.3, got {version!r}')
        major, minor = int(match.group(1)), int(match.group(2))
        # TrueNAS numbered releases YY.MM up to 25.10 and major.minor from 26.0 on (api/v26_0_0).
        short = f'{major}.{minor:02d}' if major < 26 else f'{major}.{minor}'
        if short not in KNOWN:
            raise ValueError(f'TrueNAS {version} is not a release the emulator imitates (one of: {", ".join(KNOWN)}); '
                             'note that the release after 25.10 is 26.0, not 26.04')
        full = version if (match.group(3) or match.group(4)) else DEFAULT_FULL[short]
        numbers = [int(part) for part in re.findall(r'\d+', full.split('-')[0])]
        self.short = short
        self.full = full
        self.version = tuple((numbers + [0, 0, 0])[:3])
        self.series = (major, minor)
        # utils/__init__.py sw_info() at TS-25.04.0, TS-25.10.0, TS-26.0.0-BETA.3: fullname = f'{BRAND}-{version}'
        # with BRAND 'TrueNAS'. "TrueNAS-SCALE-" was the 24.10 naming.
        self.system_version = ('TrueNAS-SCALE-' if self.series < (25, 4) else 'TrueNAS-') + full

    @property
    def serves_jsonrpc(self):
        # /api/current (JSON-RPC 2.0) arrived in 25.04; 24.10 answers 404 there.
        return self.series >= (25, 4)

    @property
    def has_service_control(self):
        # plugins/service.py: control() (a job) first appears at TS-25.10.0; TS-25.04.2.6 has only start/stop.
        return self.series >= (25, 10)

    @property
    def legacy_service_verbs_private(self):
        # plugins/service.py TS-26.0.0-BETA.3: start/stop/restart/reload are @private (callable with a logged
        # warning, api/base/server/ws_handler/rpc.py process_message), no longer public API methods.
        return self.series >= (26, 0)

    @property
    def share_has_dataset_fields(self):
        # api/v26_0_0/nfs.py SharingNFSEntry adds dataset, relative_path, tier; api/v25_10_0/nfs.py has none.
        return self.series >= (26, 0)

    @property
    def rejects_all_networks(self):
        # plugins/nfs_/validators.py sanitize_networks/sanitize_hosts: the all-networks / all-hosts rule
        # exists at TS-25.10.0 and later, not at TS-25.04.2.6.
        return self.series >= (25, 10)

    @property
    def max_share_list_entries(self):
        # api/v25_04_0/nfs.py MAX_NUM_NFS_NETWORKS = MAX_NUM_NFS_HOSTS = 42 (pydantic max_length);
        # api/v25_10_0/nfs.py dropped the limit (only an alert from 100 entries on).
        return 42 if self.series < (25, 10) else None

    @property
    def core_ping_needs_auth(self):
        # service/core_service.py TS-25.04.0: ping is authorization_required=False (login needed);
        # TS-25.10.0: authentication_required=False (callable before login, rate-limited).
        return self.series < (25, 10)

    @property
    def login_ex_responses(self):
        # api/v25_04_0/auth.py, api/v25_10_0/auth.py AuthLoginExResult; api/v26_0_0/auth.py adds DENIED.
        base = ('SUCCESS', 'AUTH_ERR', 'EXPIRED', 'OTP_REQUIRED', 'REDIRECT')
        return base + ('DENIED',) if self.series >= (26, 0) else base
