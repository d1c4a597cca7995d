"""What differs between the TrueNAS releases the emulator imitates."""
import re

# major.minor -> full version, and the string system.version answers (product naming changed
# over time: "TrueNAS-SCALE-24.10.2" earlier, "TrueNAS-25.10.1" later).
DEFAULT_PATCH = {'24.10': '24.10.2', '25.04': '25.04.2', '25.10': '25.10.1', '26.04': '26.04.0'}


class Release:
    def __init__(self, version):
        match = re.fullmatch(r'(\d+)\.(\d+)(?:\.(\d+))?', version)
        if not match:
            raise ValueError(f'release must look like 25.10 or 25.10.1, got {version!r}')
        short = f'{int(match.group(1))}.{int(match.group(2)):02d}'
        full = version if match.group(3) else DEFAULT_PATCH.get(short, short + '.0')
        self.version = tuple(int(part) for part in full.split('.')[:3])
        self.full = full
        self.system_version = ('TrueNAS-SCALE-' if self.version < (25, 10) else 'TrueNAS-') + full

    @property
    def serves_jsonrpc(self):
        # /api/current (JSON-RPC 2.0) arrived in 25.04; 24.10 answers 404 there.
        return self.version >= (25, 4)

    @property
    def has_service_control(self):
        return self.version >= (25, 10)

    @property
    def has_legacy_service_verbs(self):
        # service.start/stop/restart/reload carry removed_in="v26.04"
        return self.version < (26, 4)

    @property
    def share_has_dataset_fields(self):
        return self.version >= (25, 10)
