"""The emulated middleware methods, with sharing.nfs validation mirroring middlewared.

Sources read (truenas/middleware): plugins/nfs.py (SharingNFSService.validate and helpers,
NFSService.do_update), plugins/nfs_/validators.py, utils/filesystem check_path_resides_within_volume_sync,
plugins/service.py (control/start/stop/update), plugins/filesystem stat, api/v*/nfs.py and service.py
models. Messages are copied from there so tests see what a real NAS says.
"""
import errno
import ipaddress
import itertools
import re
import time

from .errors import CallError, MethodNotFound, ValidationErrors, validation_error
from .filters import filter_list

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
# Callable before auth.login_with_api_key (middlewared: authentication_required=False).
NO_AUTH_METHODS = frozenset(('auth.login_with_api_key', 'core.ping'))


def _leftmost_has_wildcards(host):
    return bool(re.search(r'[*?\[\]]', host.split('.')[0]))


class Api:
    """One emulated NAS. Every public method takes (session, *params) and returns the result."""

    def __init__(self, state, release, api_key, job_seconds=0.3):
        self.state = state
        self.release = release
        self.api_key = api_key
        self.job_seconds = job_seconds
        self.jobs = {}
        self.next_job_id = 1
        self.service_start_fails = False

    # -- dispatch -------------------------------------------------------------------------

    def handler(self, method):
        """The callable for ``method`` on this release, or raise MethodNotFound."""
        if method in ('service.control',) and not self.release.has_service_control:
            raise MethodNotFound()
        if method in ('service.start', 'service.stop', 'service.restart', 'service.reload') \
                and not self.release.has_legacy_service_verbs:
            raise MethodNotFound()
        func = getattr(self, 'm_' + method.replace('.', '_'), None)
        if func is None:
            raise MethodNotFound()
        return func

    def call(self, session, method, params):
        func = self.handler(method)
        if method not in NO_AUTH_METHODS and not session.get('authenticated'):
            raise CallError('Not authenticated', 207)
        with self.state.lock:
            self._finish_due_jobs()
            result = func(session, *params)
            if method in WRITE_METHODS:
                self.state.save()
            return result

    # -- auth, system, core ---------------------------------------------------------------

    def m_auth_login_with_api_key(self, session, api_key):
        # middlewared answers false (not an error) for an unknown or wrong key.
        session['authenticated'] = api_key == self.api_key
        return session['authenticated']

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
            dataset = self._dataset_of(share['path'])
            entry['dataset'] = dataset['id'] if dataset else None
            entry['relative_path'] = share['path'][len(dataset['mountpoint']):].lstrip('/') if dataset else None
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
        # middlewared's get_instance: InstanceNotFound is a ValidationError on the id
        raise validation_error('None', f'NFS share {id_} does not exist', errno.ENOENT)

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
        for key in ('networks', 'hosts', 'aliases'):
            if key in data:
                if not isinstance(data[key], list):
                    verrors.add(f'{loc}.{key}', 'Input should be a valid list')
                    continue
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

    @staticmethod
    def _sanitize_networks_and_hosts(data, schema, verrors):
        for key in ('networks', 'hosts'):
            seen, not_unique = set(), []
            for value in data[key]:
                if value in seen:
                    not_unique.append(value)
                seen.add(value)
            if not_unique:
                verrors.add(f'{schema}.{key}', f"Entries must be unique, the following are not: {', '.join(not_unique)}")

        not_valid, all_networks = [], ''
        for value in data['networks']:
            try:
                if int(ipaddress.ip_network(value, strict=False).network_address) == 0:
                    all_networks = value
            except ValueError:
                not_valid.append(value)
        if not_valid:
            verrors.add(f'{schema}.networks',
                        f"The following do not appear to be valid IPv4 or IPv6 networks: {', '.join(not_valid)}")
        elif all_networks:
            verrors.add(f'{schema}.networks', f"Please do not use {all_networks} to represent all-networks.  "
                        "No entry is required to configure 'allow everybody'.  "
                        f"Please remove {all_networks}.")
        else:
            # the "courtesy conversion" to CIDR: 10.0.0.5/24 -> 10.0.0.0/24, 10.0.0.5 -> 10.0.0.5/32
            data['networks'] = [str(ipaddress.ip_network(value, strict=False)) for value in data['networks']]

        bad_hosts, all_hosts = [], ''
        for value in data['hosts']:
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
        if all_hosts:
            verrors.add(f'{schema}.hosts', f"Please do not use {all_hosts} to represent all-hosts.  "
                        "No entry is required to configure 'allow everybody'.  "
                        f"Please remove {all_hosts} or replace with '*'.")

    def _check_path_in_pool(self, verrors, attribute, path):
        realpath = self.state.realpath(path)
        pool_paths = ['/mnt/' + pool['name'] for pool in self.state.data['pools']]
        inside = any(realpath == parent or realpath.startswith(parent + '/') for parent in pool_paths)
        if not path.startswith('/mnt/') or not inside:
            verrors.add(attribute, 'The path must reside within a pool mount point')

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
            # a single ValidationError keeps its default errno, EFAULT
            raise validation_error('nfs_update.protocols',
                                   'Must specify at least one value ("NFSV3", "NFSV4") in the "protocols" list.',
                                   errno.EFAULT)
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
        return filter_list(self.state.data['services'], filters, options)

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

    def _run_verb(self, verb, name, options):
        service = self._service(name)
        if service is None:
            raise CallError(repr(name), errno.EINVAL)  # upstream: KeyError from service.object
        silent = (options or {}).get('silent', True)
        if verb in ('START', 'RESTART', 'RELOAD'):
            if self.service_start_fails:
                service.update(state='STOPPED', pids=[])
                if silent:
                    return False
                raise CallError('Service not running after start')
            service.update(state='RUNNING', pids=[4242])
            return True
        service.update(state='STOPPED', pids=[])
        return True

    def m_service_control(self, session, verb, name, options=None):
        if verb not in ('START', 'STOP', 'RESTART', 'RELOAD'):
            raise validation_error('verb', "Input should be 'START', 'STOP', 'RESTART' or 'RELOAD'")
        return self._new_job('service.control', [verb, name, options or {}],
                             lambda: self._run_verb(verb, name, options))

    def m_service_start(self, session, name, options=None):
        return self._run_verb('START', name, options)

    def m_service_stop(self, session, name, options=None):
        return self._run_verb('STOP', name, options)

    def m_service_restart(self, session, name, options=None):
        return self._run_verb('RESTART', name, options)

    def m_service_reload(self, session, name, options=None):
        return self._run_verb('RELOAD', name, options)

    def m_service_started(self, session, name):
        service = self._service(name)
        if service is None:
            raise CallError(repr(name), errno.EINVAL)
        return service['state'] == 'RUNNING'

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
            except CallError as exc:
                job.update(state='FAILED', error=str(exc), exception=f'CallError: {exc}',
                           exc_info={'repr': f'CallError({exc.errmsg!r})', 'type': 'CallError',
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
