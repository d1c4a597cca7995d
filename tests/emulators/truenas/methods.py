"""The emulated middleware methods, with sharing.nfs validation mirroring middlewared.

Sources read (truenas/middleware, src/middlewared/middlewared/, at TS-25.04.2.6, TS-25.10.0..TS-25.10.6 and
TS-26.0.0-BETA.3): plugins/nfs.py (SharingNFSService.validate and helpers, NFSService.do_update),
plugins/nfs_/validators.py, utils/filesystem check_path_resides_within_volume_sync, plugins/service.py
(control/start/stop/update/object), plugins/auth.py (login_with_api_key, login_ex API_KEY_PLAIN), main.py
authorize_method_call and utils/rate_limit/cache.py (the unauthenticated-call rate limit), job.py __encode__
(exc_info of failed jobs), service_exception.py (errnos), api/v25_04_0, v25_10_0 and v26_0_0 nfs.py,
service.py and auth.py models. Messages are copied from there so tests see what a real NAS says; what
differs by release is switched in releases.py.
"""
import errno
import ipaddress
import itertools
import random
import re
import time

from .errors import CallError, MethodNotFound, UnexpectedError, ValidationErrors, validation_error
from .filters import filter_list
from .ratelimit import RateLimiter

SECURITY_FLAVOURS = ('SYS', 'KRB5', 'KRB5I', 'KRB5P')
NFS_PROTOCOLS = ('NFSV3', 'NFSV4')
SHARE_FIELDS = ('path', 'aliases', 'comment', 'networks', 'hosts', 'ro', 'maproot_user', 'maproot_group',
                'mapall_user', 'mapall_group', 'security', 'enabled', 'expose_snapshots')
NFS_UPDATE_FIELDS = ('servers', 'allow_nonroot', 'protocols', 'v4_krb', 'v4_domain', 'bindip', 'mountd_port',
                     'rpcstatd_port', 'rpclockd_port', 'mountd_log', 'statd_lockd_log', 'userd_manage_gids', 'rdma')
# Methods that change the NAS; the request log flags them so tests can assert "no write on a re-run".
WRITE_METHODS = frozenset((
    'sharing.nfs.create', 'sharing.nfs.update', 'sharing.nfs.delete', 'nfs.update', 'service.update',
    'service.control', 'service.start', 'service.stop', 'service.restart', 'service.reload',
))
LEGACY_SERVICE_VERBS = ('service.start', 'service.stop', 'service.restart', 'service.reload')
# Callable before login (middlewared: authentication_required=False), and so rate-limited. core.ping joins
# them from 25.10 (releases.py core_ping_needs_auth).
NO_AUTH_METHODS = frozenset(('auth.login_with_api_key', 'auth.login_ex', 'auth.mechanism_choices'))
# API key states a test can put the emulated key in (emulator.api_key_status), and what login_ex answers.
KEY_STATUSES = ('VALID', 'EXPIRED', 'REVOKED', 'DENIED', 'STANDBY')


def _leftmost_has_wildcards(host):
    return bool(re.search(r'[*?\[\]]', host.split('.')[0]))


class Api:
    """One emulated NAS. Every public method takes (session, *params) and returns the result."""

    def __init__(self, state, release, api_key, job_seconds=0.3, api_key_user='admin', rate_limit=None,
                 auth_fail_delay=(1.0, 2.0)):
        self.state = state
        self.release = release
        self.api_key = api_key
        self.api_key_user = api_key_user
        self.api_key_status = 'VALID'
        self.job_seconds = job_seconds
        self.jobs = {}
        self.next_job_id = 1
        self.service_start_fails = False
        # Test switch (not TrueNAS): after a start, this many service.query answers still say STOPPED, like an
        # nfs-server unit that takes a while to come up; it makes a wait loop poll several times.
        self.service_start_lag = 0
        self._lagging = 0
        self._lag_names = set()
        self.rate_limit = rate_limit if rate_limit is not None else RateLimiter()
        self.auth_fail_delay = auth_fail_delay

    # -- dispatch -------------------------------------------------------------------------

    def no_auth_methods(self):
        return NO_AUTH_METHODS | ({'core.ping'} if not self.release.core_ping_needs_auth else set())

    def handler(self, method):
        """The callable for ``method`` on this release, or raise MethodNotFound."""
        if method in ('service.control',) and not self.release.has_service_control:
            raise MethodNotFound()
        func = getattr(self, 'm_' + method.replace('.', '_'), None)
        if func is None:
            raise MethodNotFound()
        return func

    def call(self, session, method, params):
        func = self.handler(method)
        # main.py authorize_method_call: runs before the arguments are looked at.
        if method in self.no_auth_methods():
            if not session.get('authenticated') and self.rate_limit.exceeded(method, session.get('address')):
                self.rate_limit.sleep()  # outside the state lock: other clients go on meanwhile
                raise CallError('Rate Limit Exceeded', errno.EBUSY)
        elif not session.get('authenticated'):
            raise CallError('Not authenticated', 207)
        with self.state.lock:
            self._finish_due_jobs()
            result = func(session, *params)
            if method in WRITE_METHODS:
                self.state.save()
            return result

    # -- auth, system, core ---------------------------------------------------------------

    def _key_id(self, api_key):
        try:
            return int(str(api_key).split('-', maxsplit=1)[0])
        except ValueError:
            return None

    def _check_api_key(self, username, api_key):
        """login_ex API_KEY_PLAIN's response_type for this key (plugins/auth.py, auth_/login_ex_impl.py)."""
        if self.api_key_status == 'STANDBY':
            return 'REDIRECT'  # failover.status BACKUP: log in on the active controller
        if username != self.api_key_user or api_key != self.api_key:
            return 'AUTH_ERR'  # PAM_AUTH_ERR and PAM_USER_UNKNOWN are squashed into one answer
        if self.api_key_status == 'EXPIRED':
            return 'EXPIRED'  # PAM_CRED_EXPIRED: "Api key is expired."
        if self.api_key_status == 'REVOKED':
            # plugins/api_key.py revoke() at TS-25.04.2.6/TS-25.10.6 sets expiry -1, so a revoked key is EXPIRED;
            # auth_/login_ex_impl.py TS-26.0.0-BETA.3 answers PAM_AUTH_ERR ("API key is revoked"), i.e. AUTH_ERR.
            return 'AUTH_ERR' if self.release.series >= (26, 0) else 'EXPIRED'
        if self.api_key_status == 'DENIED':
            # api/v26_0_0/auth.py AuthRespDenied: "the credential lacks API access"; older models lack it.
            return 'DENIED' if 'DENIED' in self.release.login_ex_responses else 'AUTH_ERR'
        return 'SUCCESS'

    def m_auth_login_with_api_key(self, session, api_key):
        # plugins/auth.py login_with_api_key: an unknown key id sleeps uniform(1, 2) s and answers false;
        # otherwise login_ex(API_KEY_PLAIN) with the key owner's name, true only on SUCCESS. Never an error.
        if self._key_id(api_key) != self._key_id(self.api_key):
            if self.auth_fail_delay:
                time.sleep(random.uniform(*self.auth_fail_delay))
            return False
        session['authenticated'] = self._check_api_key(self.api_key_user, api_key) == 'SUCCESS'
        return session['authenticated']

    def m_auth_login_ex(self, session, data):
        if not isinstance(data, dict) or data.get('mechanism') != 'API_KEY_PLAIN':
            raise validation_error('login_data.mechanism', "Input should be 'API_KEY_PLAIN'")  # the only one here
        missing = [key for key in ('username', 'api_key') if not isinstance(data.get(key), str)]
        if missing:
            verrors = ValidationErrors()
            for key in missing:
                verrors.add(f'login_data.API_KEY_PLAIN.{key}', 'Field required')
            raise verrors
        response_type = self._check_api_key(data['username'], data['api_key'])
        if response_type == 'SUCCESS':
            session['authenticated'] = True
            return {'response_type': 'SUCCESS', 'user_info': None, 'authenticator': 'LEVEL_1'}
        if response_type == 'REDIRECT':
            return {'response_type': 'REDIRECT', 'urls': ['192.168.10.134']}
        return {'response_type': response_type}

    def m_auth_mechanism_choices(self, session):
        return ['PASSWORD_PLAIN', 'API_KEY_PLAIN', 'AUTH_TOKEN_PLAIN', 'OTP_TOKEN']

    def m_core_ping(self, session):
        return 'pong'

    def m_system_version(self, session):
        return self.release.system_version

    def m_system_version_short(self, session):
        return self.release.full

    def m_system_info(self, session):
        return {'version': self.release.system_version, 'hostname': 'truenas', 'physmem': 17179869184,
                'model': 'Emulated', 'cores': 4, 'uptime_seconds': 3600.0}

    def m_core_get_jobs(self, session, filters=None, options=None):
        return filter_list([self._public_job(job) for job in self.jobs.values()], filters, options)

    # -- storage --------------------------------------------------------------------------

    def m_pool_query(self, session, filters=None, options=None):
        return filter_list(self.state.data['pools'], filters, options)

    def m_pool_dataset_query(self, session, filters=None, options=None):
        return filter_list(self.state.data['datasets'], filters, options)

    def m_filesystem_stat(self, session, path):
        if not path.startswith('/'):
            raise CallError(f'{path}: path must be absolute', errno.EINVAL)
        entry = self.state.entry(path)
        if entry is None:
            raise CallError(f'Path {path} not found', errno.ENOENT)
        realpath = self.state.realpath(path) if entry['type'] == 'SYMLINK' else path
        return {'realpath': realpath, 'type': entry['type'], 'size': 4096, 'allocation_size': 4096, 'mode': 0o40755,
                'uid': 0, 'gid': 0, 'atime': 0.0, 'mtime': 0.0, 'ctime': 0.0, 'btime': 0.0, 'dev': 1, 'mount_id': 1,
                'inode': 1000, 'nlink': 2, 'is_mountpoint': False, 'is_ctldir': False, 'attributes': [],
                'user': 'root', 'group': 'root', 'acl': False}

    # -- sharing.nfs ----------------------------------------------------------------------

    def _share_entry(self, share):
        entry = dict(share)
        entry['locked'] = False
        if self.release.share_has_dataset_fields:
            # api/v26_0_0/nfs.py: dataset / relative_path (null when the path cannot be resolved) and tier
            # (null unless licensed tiering); plugins/nfs.py TS-26.0.0-BETA.3 validate() fills them.
            dataset = self._dataset_of(share['path'])
            entry['dataset'] = dataset['name'] if dataset else None
            entry['relative_path'] = share['path'][len(dataset['mountpoint']):].lstrip('/') if dataset else None
            entry['tier'] = None
        return entry

    def _dataset_of(self, path):
        best = None
        for dataset in self.state.data['datasets']:
            mountpoint = dataset['mountpoint']
            if path == mountpoint or path.startswith(mountpoint + '/'):
                if best is None or len(mountpoint) > len(best['mountpoint']):
                    best = dataset
        return best

    def m_sharing_nfs_query(self, session, filters=None, options=None):
        return filter_list([self._share_entry(share) for share in self.state.data['shares']], filters, options)

    def m_sharing_nfs_create(self, session, data):
        data = self._share_schema(data, 'data', create=True)
        share = {'aliases': [], 'comment': '', 'networks': [], 'hosts': [], 'ro': False, 'maproot_user': None,
                 'maproot_group': None, 'mapall_user': None, 'mapall_group': None, 'security': [],
                 'enabled': True, 'expose_snapshots': False}
        share.update(data)
        self._validate_share(share, 'sharingnfs_create')
        share['id'] = self.state.data['next_share_id']
        self.state.data['next_share_id'] += 1
        self.state.data['shares'].append(share)
        return self._share_entry(share)

    def m_sharing_nfs_update(self, session, id_, data):
        data = self._share_schema(data, 'data', create=False)
        old = self._get_share(id_)
        new = dict(old)
        new.update(data)
        self._validate_share(new, 'sharingnfs_update', old=old)
        old.update(new)
        return self._share_entry(old)

    def m_sharing_nfs_delete(self, session, id_):
        share = self._get_share(id_)
        self.state.data['shares'].remove(share)
        return True

    def _get_share(self, id_):
        for share in self.state.data['shares']:
            if share['id'] == id_:
                return share
        # service/crud_service.py get_instance (TS-25.04.2.6 .. TS-26.0.0-BETA.3): InstanceNotFound, a
        # ValidationError with attribute None and ENOENT; verbose_name defaults to the class name without
        # "Service" (service/base.py), i.e. "SharingNFS".
        raise validation_error(None, f'SharingNFS {id_} does not exist', errno.ENOENT)

    def _share_schema(self, data, loc, create):
        """The pydantic model check (NfsShareCreate / NfsShareUpdate): types, literals, no extra keys."""
        verrors = ValidationErrors()
        if not isinstance(data, dict):
            raise validation_error(loc, 'Input should be a valid dictionary')
        for key in data:
            if key not in SHARE_FIELDS:
                verrors.add(f'{loc}.{key}', 'Extra inputs are not permitted')
        if create and 'path' not in data:
            verrors.add(f'{loc}.path', 'Field required')
        if 'path' in data and (not isinstance(data['path'], str) or not data['path']):
            verrors.add(f'{loc}.path', 'String should have at least 1 character')
        limit = self.release.max_share_list_entries
        for key in ('networks', 'hosts', 'aliases'):
            if key in data:
                if not isinstance(data[key], list):
                    verrors.add(f'{loc}.{key}', 'Input should be a valid list')
                    continue
                if limit and key != 'aliases' and len(data[key]) > limit:
                    # pydantic's max_length message (api/v25_04_0/nfs.py MAX_NUM_NFS_NETWORKS/HOSTS = 42)
                    verrors.add(f'{loc}.{key}', f'List should have at most {limit} items after validation, '
                                f'not {len(data[key])}')
                for index, item in enumerate(data[key]):
                    if not isinstance(item, str) or not item.strip():
                        verrors.add(f'{loc}.{key}.{index}', 'String should have at least 1 character')
        for key in ('ro', 'enabled', 'expose_snapshots'):
            if key in data and not isinstance(data[key], bool):
                verrors.add(f'{loc}.{key}', 'Input should be a valid boolean')
        for key in ('maproot_user', 'maproot_group', 'mapall_user', 'mapall_group', 'comment'):
            if key in data and data[key] is not None and not isinstance(data[key], str):
                verrors.add(f'{loc}.{key}', 'Input should be a valid string')
        for index, flavour in enumerate(data.get('security') or []):
            if flavour not in SECURITY_FLAVOURS:
                verrors.add(f'{loc}.security.{index}', "Input should be 'SYS', 'KRB5', 'KRB5I' or 'KRB5P'")
        verrors.check()
        return dict(data)

    def _validate_share(self, data, schema, old=None):
        """SharingNFSService.validate, step by step, with its early verrors.check() stops."""
        data['aliases'] = []  # "IGNORED, for now" upstream
        verrors = ValidationErrors()
        self._sanitize_networks_and_hosts(data, schema, verrors)
        verrors.check()

        self._check_path_in_pool(verrors, f'{schema}.path', data['path'])

        other_shares = [share for share in self.state.data['shares'] if old is None or share['id'] != old['id']]
        dns_cache = self._resolve_hostnames(sum([share['hosts'] for share in other_shares], []) + data['hosts'])

        # validate_share_networks: a network whose address is a resolved host of this or another share
        dns_values = list(dns_cache.values())
        for network in data['networks']:
            address = str(ipaddress.ip_interface(network).ip)
            if address in dns_values:
                host = next(key for key, value in dns_cache.items() if value == address)
                verrors.add(f'{schema}.networks',
                            f"ERROR - Resolved hostname to duplicate address: host '{host}' resolves to '{network}'")
        overlaps = self._overlapped_networks(data['networks'])
        if overlaps:
            verrors.add(f'{schema}.networks', f'ERROR - Overlapped subnets: {overlaps}')
        verrors.check()

        self._validate_hosts_and_networks(other_shares, data, schema, verrors, dns_cache)
        verrors.check()

        self._validate_share_path(other_shares, data, schema, verrors)
        verrors.check()

        for kind in ('maproot', 'mapall'):
            user, group = data[f'{kind}_user'], data[f'{kind}_group']
            if not user and not group:
                continue
            if not user and group:
                verrors.add(f'{schema}.{kind}_user', 'This field is required when map group is specified')
            else:
                if user not in self.state.data['users']:
                    verrors.add(f'{schema}.{kind}_user', f'User not found: {user}')
                if group and group not in self.state.data['groups']:
                    verrors.add(f'{schema}.{kind}_group', f'Group not found: {group}')

        if data['maproot_user'] and data['mapall_user']:
            verrors.add(f'{schema}.mapall_user', 'maproot_user disqualifies mapall_user')

        v4_sec = [flavour for flavour in data.get('security', []) if flavour != 'SYS']
        if v4_sec and 'NFSV4' not in self.state.data['nfs_config']['protocols']:
            verrors.add(f'{schema}.security',
                        f"The following security flavor(s) require NFSv4 to be enabled: {','.join(v4_sec)}.")

        if data['expose_snapshots']:
            verrors.add(f'{schema}.expose_snapshots',
                        'This is an enterprise feature and may not be enabled without a valid license.')
        verrors.check()

    def _sanitize_networks_and_hosts(self, data, schema, verrors):
        for key in ('networks', 'hosts'):
            seen, not_unique = set(), []
            for value in data[key]:
                if value in seen:
                    not_unique.append(value)
                seen.add(value)
            if not_unique:
                verrors.add(f'{schema}.{key}', f"Entries must be unique, the following are not: {', '.join(not_unique)}")

        # plugins/nfs_/validators.py sanitize_networks. From TS-25.10.0 on, any network whose address is 0
        # (0.0.0.0/0, 0.0.0.0/8, ::/0, ...) is refused; upstream's message names the loop variable, i.e. the
        # LAST entry of the list, not necessarily the offending one (copied as is). TS-25.04.2.6 accepts them.
        rule = self.release.rejects_all_networks
        not_valid, all_networks, last = [], '', None
        for value in data['networks']:
            last = value
            try:
                if int(ipaddress.ip_network(value, strict=False).network_address) == 0:
                    all_networks = value
            except ValueError:
                not_valid.append(value)
        if not_valid:
            verrors.add(f'{schema}.networks',
                        f"The following do not appear to be valid IPv4 or IPv6 networks: {', '.join(not_valid)}")
        elif rule and all_networks:
            verrors.add(f'{schema}.networks', f"Do not use {last} to represent all-networks.  "
                        "No entry is required to configure 'allow everybody'.  "
                        f"Please remove {last}.")
        else:
            # the "courtesy conversion" to CIDR: 10.0.0.5/24 -> 10.0.0.0/24, 10.0.0.5 -> 10.0.0.5/32
            data['networks'] = [str(ipaddress.ip_network(value, strict=False)) for value in data['networks']]

        # sanitize_hosts: the all-hosts rule (an address that is all zeros), again from TS-25.10.0 and naming
        # the last entry.
        bad_hosts, all_hosts, last = [], '', None
        for value in data['hosts']:
            last = value
            if re.match(r'.*[\s"]', value):
                bad_hosts.append(value)
                continue
            try:
                if int.from_bytes(ipaddress.ip_address(value).packed, 'big') == 0:
                    all_hosts = value
            except ValueError:
                pass
        if bad_hosts:
            verrors.add(f'{schema}.hosts', f"Cannot contain spaces or quotes: {', '.join(bad_hosts)}")
        if rule and all_hosts:
            verrors.add(f'{schema}.hosts', f"Do not use {last} to represent all-hosts.  "
                        "No entry is required to configure 'allow everybody'.  "
                        f"Please remove {last} or replace with '*'.")

    def _check_path_in_pool(self, verrors, attribute, path):
        realpath = self.state.realpath(path)
        pool_paths = ['/mnt/' + pool['name'] for pool in self.state.data['pools']]
        inside = any(realpath == parent or realpath.startswith(parent + '/') for parent in pool_paths)
        if not path.startswith('/mnt/') or not inside:
            verrors.add(attribute, 'The path must reside within a pool mount point')
        # validators.py (TS-25.04.2.6, TS-25.10.6) / utils/path.py (TS-26.0.0-BETA.3): the .zfs control directory
        # and .zfs/snapshot are refused by inode; the emulator knows them by name.
        if re.search(r'/\.zfs(/snapshot)?$', realpath):
            verrors.add(attribute, "The ZFS control directory (.zfs) and snapshot directory (.zfs/snapshot) are not "
                        "permitted paths. If a snapshot within this directory must be accessed through the "
                        "path-based API, then it should be called directly, e.g. '/mnt/dozer/.zfs/snapshot/mysnap'.")

    def _resolve_hostnames(self, hostnames):
        cache = {}
        for host in set(hostnames):
            try:
                ipaddress.ip_address(host)
                cache[host] = host
            except ValueError:
                cache[host] = None if _leftmost_has_wildcards(host) else self.state.data.get('dns', {}).get(host)
        return cache

    @staticmethod
    def _overlapped_networks(networks, this_network=None):
        overlaps = []
        if this_network is not None:
            this = ipaddress.ip_network(this_network, strict=False)
            for that in networks:
                that = ipaddress.ip_network(that, strict=False)
                if this.version == that.version and this.overlaps(that):
                    overlaps.append((this, that))
        else:
            for first, second in itertools.combinations(networks, 2):
                one, two = ipaddress.ip_network(first, strict=False), ipaddress.ip_network(second, strict=False)
                if one.version == two.version and one.overlaps(two):
                    overlaps.append((first, second))
        return overlaps or None

    def _stat_realpath(self, path):
        return self.m_filesystem_stat(None, path)['realpath']

    def _validate_hosts_and_networks(self, other_shares, data, schema, verrors, dns_cache):
        target = self._stat_realpath(data['path'])  # raises "[ENOENT] Path ... not found" like upstream
        used_networks, used_hosts = set(), set()
        for share in other_shares:
            try:
                share_realpath = self._stat_realpath(share['path'])
            except CallError:
                share_realpath = share['path']
            if share_realpath != target:
                continue
            for host in share['hosts']:
                host_ip = dns_cache.get(host)
                if host_ip is None:
                    used_hosts.add(host)
                    continue
                if host.startswith('@'):
                    continue
                used_hosts.add(str(ipaddress.ip_network(host_ip, strict=False)))
            for network in share['networks']:
                used_networks.add(ipaddress.ip_network(network, strict=False))
            if not share['hosts'] and not share['networks']:
                used_networks.add(ipaddress.ip_network('0.0.0.0/0'))
                used_networks.add(ipaddress.ip_network('::/0'))

        for network in sorted(set(data['networks'])):
            network = ipaddress.ip_network(network, strict=False)
            if network in used_networks:
                verrors.add(f'{schema}.networks',
                            f"ERROR - Another NFS share already exports {data['path']} for network {network}")
            overlaps = self._overlapped_networks(used_networks, network)
            if overlaps:
                verrors.add(f'{schema}.networks', f"ERROR - This or another NFS share exports {data['path']} to "
                            f"{overlaps[0][1]} and overlaps network {network}")
            used_networks.add(network)

        for host in sorted(set(data['hosts'])):
            if host in used_hosts:
                verrors.add(f'{schema}.hosts', f"ERROR - Another NFS share already exports {data['path']} for host {host}")
                continue
            if host.startswith('@') or _leftmost_has_wildcards(host):
                continue
            if dns_cache.get(host) is None:
                verrors.add(f'{schema}.hosts', f"Unable to resolve host '{host}'")

    def _validate_share_path(self, other_shares, data, schema, verrors):
        stat = self.m_filesystem_stat(None, data['path'])
        if stat['type'] == 'SYMLINK':
            verrors.add(f'{schema}.path', f"Symbolic links are not allowed: {data['path']}.")
        for share in other_shares:
            try:
                share_realpath = self._stat_realpath(share['path'])
            except CallError:
                share_realpath = share['path']
            if share_realpath != stat['realpath']:
                continue
            common_hosts = {h for h in data['hosts'] if h != '*'} & {h for h in share['hosts'] if h != '*'}
            common_networks = set(data['networks']) & set(share['networks'])
            if common_hosts or common_networks:
                reason = str(common_hosts) if common_hosts else str(common_networks)
                verrors.add(f'{schema}.path', f"ERROR - Export conflict. Another share with the same path exports "
                            f"{share['path']} for {reason}")
                break

    # -- nfs config -----------------------------------------------------------------------

    def m_nfs_config(self, session):
        return dict(self.state.data['nfs_config'])

    def m_nfs_update(self, session, data):
        verrors = ValidationErrors()
        if not isinstance(data, dict):
            raise validation_error('nfs_update', 'Input should be a valid dictionary')
        for key in data:
            if key not in NFS_UPDATE_FIELDS:
                verrors.add(f'nfs_update.{key}', 'Extra inputs are not permitted')
        for index, protocol in enumerate(data.get('protocols') or []):
            if protocol not in NFS_PROTOCOLS:
                verrors.add(f'nfs_update.protocols.{index}', "Input should be 'NFSV3' or 'NFSV4'")
        verrors.check()
        if 'protocols' in data and not data['protocols']:
            # a single ValidationError; its default errno is EINVAL (service_exception.py)
            raise validation_error('nfs_update.protocols',
                                   'Must specify at least one value ("NFSV3", "NFSV4") in the "protocols" list.')
        new = dict(self.state.data['nfs_config'])
        new.update(data)
        if 'NFSV4' not in new['protocols'] and new['v4_domain']:
            verrors.add('nfs_update.v4_domain', 'This option does not apply to NFSv3')
        verrors.check()
        self.state.data['nfs_config'] = new
        return dict(new)

    # -- services -------------------------------------------------------------------------

    def _service(self, name):
        for service in self.state.data['services']:
            if service['service'] == name:
                return service
        return None

    def m_service_query(self, session, filters=None, options=None):
        services = self.state.data['services']
        if self._lagging > 0:
            self._lagging -= 1
            services = [dict(service, state='STOPPED', pids=[]) if service['service'] in self._lag_names else service
                        for service in services]
        return filter_list(services, filters, options)

    def m_service_update(self, session, id_or_name, data):
        if isinstance(id_or_name, int) or str(id_or_name).isdigit():
            matches = [s for s in self.state.data['services'] if s['id'] == int(id_or_name)]
        else:
            matches = [s for s in self.state.data['services'] if s['service'] == id_or_name]
        if not matches:
            raise CallError(f'Service {id_or_name} not found.', errno.ENOENT)
        if not isinstance(data, dict) or set(data) != {'enable'} or not isinstance(data['enable'], bool):
            raise validation_error('service_update.enable', 'Field required')
        matches[0]['enable'] = data['enable']
        return matches[0]['id']

    def _service_object(self, name):
        service = self._service(name)
        if service is None:
            # plugins/service.py object(): raise MatchNotFound(name) -- an IndexError, not a CallError
            raise UnexpectedError('MatchNotFound', str(name))
        return service

    def _run_verb(self, verb, name, options):
        service = self._service_object(name)
        silent = options['silent']
        if verb in ('START', 'RESTART', 'RELOAD'):
            if self.service_start_fails:
                service.update(state='STOPPED', pids=[])
                if silent:
                    return False
                raise CallError('Service not running after start')  # or the unit's failure logs
            service.update(state='RUNNING', pids=[4242])
            if self.service_start_lag:
                self._lag_names = {name}
                self._lagging = self.service_start_lag
            return True
        service.update(state='STOPPED', pids=[])
        return True

    def _service_options(self, options, loc='options'):
        # api/v25_10_0 and v26_0_0 service.py ServiceOptions (ha_propagate, silent, timeout=120); 25.04's legacy
        # @accepts Dict 'service-control' (plugins/service.py TS-25.04.2.6) has ha_propagate and silent only.
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise validation_error(loc, 'Input should be a valid dictionary')
        legacy = not self.release.has_service_control
        allowed = ('ha_propagate', 'silent') if legacy else ('ha_propagate', 'silent', 'timeout')
        unknown = [key for key in options if key not in allowed]
        if unknown:
            verrors = ValidationErrors()
            for key in unknown:
                verrors.add(f'{loc}.{key}', 'Field was not expected' if legacy else 'Extra inputs are not permitted')
            raise verrors
        return dict({'ha_propagate': True, 'silent': True, 'timeout': 120}, **options)

    def m_service_control(self, session, verb, name, options=None):
        if verb not in ('START', 'STOP', 'RESTART', 'RELOAD'):
            raise validation_error('verb', "Input should be 'START', 'STOP', 'RESTART' or 'RELOAD'")
        options = self._service_options(options)
        return self._new_job('service.control', [verb, name, options],
                             lambda: self._run_verb(verb, name, options))

    def _legacy_verb(self, verb, name, options):
        if self.release.legacy_service_verbs_private:
            # TS-26.0.0-BETA.3: @private start(self, service, options) without an argument model: reachable
            # (the server only logs a warning), but options are used as given -- no defaults are filled in.
            if not isinstance(options, dict):
                raise UnexpectedError('TypeError', f"{verb.lower()}() missing 1 required positional argument: "
                                      "'options'")
            for key in ('timeout', 'silent'):
                if key not in options:
                    raise UnexpectedError('KeyError', repr(key))
            return self._run_verb(verb, name, options)
        return self._run_verb(verb, name, self._service_options(options, 'service-control'))

    def m_service_start(self, session, name, options=None):
        return self._legacy_verb('START', name, options)

    def m_service_stop(self, session, name, options=None):
        return self._legacy_verb('STOP', name, options)

    def m_service_restart(self, session, name, options=None):
        return self._legacy_verb('RESTART', name, options)

    def m_service_reload(self, session, name, options=None):
        return self._legacy_verb('RELOAD', name, options)

    def m_service_started(self, session, name):
        return self._service_object(name)['state'] == 'RUNNING'

    # -- jobs -----------------------------------------------------------------------------

    def _new_job(self, method, arguments, action):
        job_id = self.next_job_id
        self.next_job_id += 1
        self.jobs[job_id] = {
            'id': job_id, 'method': method, 'arguments': arguments, 'transient': False, 'description': None,
            'abortable': False, 'logs_path': None, 'logs_excerpt': None,
            'progress': {'percent': 0, 'description': '', 'extra': None}, 'result': None,
            'result_encoding_error': None, 'error': None, 'exception': None, 'exc_info': None, 'state': 'RUNNING',
            'time_started': time.time(), 'time_finished': None, 'credentials': None,
            '_due': time.monotonic() + self.job_seconds, '_action': action,
        }
        return job_id

    def _finish_due_jobs(self):
        # Jobs finish lazily at the first request after their due time: deterministic, no timer threads.
        for job in self.jobs.values():
            if job['state'] != 'RUNNING' or time.monotonic() < job['_due']:
                continue
            try:
                job['result'] = job['_action']()
                job['state'] = 'SUCCESS'
            except ValidationErrors as exc:
                # job.py __encode__: type 'VALIDATION', errno None, extra the [attribute, message, errno] items
                job.update(state='FAILED', error=str(exc), exception=f'ValidationErrors: {exc}',
                           exc_info={'repr': f'ValidationErrors({exc.errors!r})', 'type': 'VALIDATION',
                                     'errno': None, 'extra': [list(item) for item in exc.errors]})
            except (CallError, UnexpectedError) as exc:
                # a CallError keeps its class name and errno; any other exception: its class name, errno None
                type_name = 'CallError' if isinstance(exc, CallError) else exc.type_name
                job.update(state='FAILED', error=str(exc), exception=f'{type_name}: {exc}',
                           exc_info={'repr': f'{type_name}({exc.errmsg!r})', 'type': type_name,
                                     'errno': exc.errno, 'extra': exc.extra})
            job['progress']['percent'] = 100
            job['time_finished'] = time.time()

    @staticmethod
    def _public_job(job):
        return {key: value for key, value in job.items() if not key.startswith('_')}

    def finish_all_jobs(self):
        for job in self.jobs.values():
            job['_due'] = 0
        self._finish_due_jobs()
