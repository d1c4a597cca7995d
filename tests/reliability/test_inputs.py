"""The bad-input catalogue across roles and modules: one table, each case failing before any change.

Each case runs against the converged deployment (where a bad value would otherwise lead to a change) and
asserts: the run fails (rc != 0), the failure message names the variable or module option (the text of the
failed results, not loop labels of checks that passed), and nothing was written
(Kubernetes: the signatures of every object labelled managed-by homelab.immich and the apiserver's write
counters; the Immich and TrueNAS emulators' write logs).

Role cases run `site.yml --tags <role> -e @vars`, site cases the whole `site.yml -e @vars` (one run per kind of
check, every role's bad value at once); module cases run the module ad hoc
(`ansible localhost -m ... -a <json>`) with working connection settings from the inventory, so only the
bad option can make them fail. The per-role input tests of tests/roles go deeper into each role.
"""
import json

import pytest

from tests.lib.testbed import MANAGED_BY
from tests.lib.write_watch import WriteWatch

# (id, target, bad input, name that must appear in the failure message)
#   target "role:<tag>"  -> site.yml --tags <tag> with the bad input as extra vars
#   target "module:<fq>" -> the module ad hoc with the bad input over working connection options
CASES = [
    # truenas_nfs_export
    ('nfs-relative-path', 'role:truenas_nfs_export', {'truenas_nfs_export_path': 'BigTank/photos/All'}, 'truenas_nfs_export_path'),
    ('nfs-path-outside-mnt', 'role:truenas_nfs_export', {'truenas_nfs_export_path': '/srv/photos/All'}, 'truenas_nfs_export_path'),
    ('nfs-path-not-in-a-pool', 'role:truenas_nfs_export', {'truenas_nfs_export_path': '/mnt/NoSuchPool/photos',
                                                           'truenas_nfs_export_dataset': ''}, 'truenas_nfs_export_path'),
    ('nfs-unknown-security', 'role:truenas_nfs_export', {'truenas_nfs_export_security': ['KRB9']}, 'truenas_nfs_export_security'),
    ('nfs-invalid-cidr', 'role:truenas_nfs_export', {'truenas_nfs_export_networks': ['192.168.10.300/24']}, 'truenas_nfs_export_networks'),
    ('nfs-everyone-cidr', 'role:truenas_nfs_export', {'truenas_nfs_export_networks': ['0.0.0.0/0']}, 'truenas_nfs_export_networks'),
    ('nfs-maproot-and-mapall', 'role:truenas_nfs_export', {'truenas_nfs_export_maproot_user': 'root',
                                                           'truenas_nfs_export_mapall_user': 'nobody'}, 'truenas_nfs_export_mapall_user'),
    ('nfs-group-without-user', 'role:truenas_nfs_export', {'truenas_nfs_export_mapall_group': 'nogroup'}, 'truenas_nfs_export_mapall_group'),
    ('nfs-wrong-api-key', 'role:truenas_nfs_export', {'truenas_nfs_export_api_key': '1-not-the-testbed-key'}, 'truenas_nfs_export_api_key'),
    ('nfs-absent-without-flag', 'role:truenas_nfs_export', {'truenas_nfs_export_state': 'absent'}, 'truenas_nfs_export_allow_data_loss'),
    # site.yml: the cluster connection of every Kubernetes role
    ('kubeconfig-missing-file', 'role:csi_driver_nfs', {'homelab_immich_kubeconfig': '/nonexistent/kubeconfig'},
     'homelab_immich_kubeconfig'),
    # csi_driver_nfs
    ('csi-share-not-absolute', 'role:csi_driver_nfs', {'csi_driver_nfs_share': 'mnt/BigTank/photos/All'}, 'csi_driver_nfs_share'),
    ('csi-empty-server', 'role:csi_driver_nfs', {'csi_driver_nfs_server': ''}, 'csi_driver_nfs_server'),
    ('csi-capacity-not-quantity', 'role:csi_driver_nfs', {'csi_driver_nfs_capacity': '1TB'}, 'csi_driver_nfs_capacity'),
    ('csi-rw-mount-option', 'role:csi_driver_nfs', {'csi_driver_nfs_extra_mount_options': ['rw']}, 'csi_driver_nfs_extra_mount_options'),
    # cnpg_operator
    ('cnpg-version-with-v', 'role:cnpg_operator', {'cnpg_operator_version': 'v1.30.0'}, 'cnpg_operator_version'),
    # immich_database
    ('db-storage-20GB', 'role:immich_database', {'immich_database_storage_size': '20GB'}, 'immich_database_storage_size'),
    ('db-5-field-backup-cron', 'role:immich_database', {'immich_database_backup_schedule': '0 2 * * *'}, 'immich_database_backup_schedule'),
    ('db-s3-endpoint-no-scheme', 'role:immich_database', {'immich_database_s3_endpoint_url': '127.0.0.1:9000'}, 'immich_database_s3_endpoint_url'),
    ('db-instances-0', 'role:immich_database', {'immich_database_instances': 0}, 'immich_database_instances'),
    ('db-missing-s3-secret', 'role:immich_database', {'immich_database_s3_secret_access_key': ''}, 'immich_database_s3_secret_access_key'),
    ('db-external-secret-no-store', 'role:immich_database', {'immich_database_owner_secret_source': 'external_secret',
                                                             'immich_database_owner_external_secret_store_name': ''},
     'immich_database_owner_external_secret_store_name'),
    ('db-unknown-backup-method', 'role:immich_database', {'immich_database_backup_method': 'tape'}, 'immich_database_backup_method'),
    # valkey
    ('valkey-port-out-of-range', 'role:valkey', {'valkey_port': 70000}, 'valkey_port'),
    ('valkey-image-latest', 'role:valkey', {'valkey_image': 'docker.io/valkey/valkey:latest'}, 'valkey_image'),
    # immich
    ('immich-invalid-hostname', 'role:immich', {'immich_hostname': 'Photos_Server'}, 'immich_hostname'),
    ('immich-tag-not-a-version', 'role:immich', {'immich_version': 'latest'}, 'immich_version'),
    ('immich-unknown-ml-preset', 'role:immich', {'immich_ml_acceleration': 'tpu'}, 'immich_ml_acceleration'),
    ('immich-unknown-transcoding', 'role:immich', {'immich_transcoding_acceleration': 'quicksync'}, 'immich_transcoding_acceleration'),
    ('immich-unknown-exposure', 'role:immich', {'immich_exposure': 'nodeport'}, 'immich_exposure'),
    # immich_library
    ('lib-import-outside-mount', 'role:immich_library', {'immich_library_import_paths': ['/srv/photos']}, 'immich_library_import_paths'),
    ('lib-missing-admin-password', 'role:immich_library', {'immich_library_admin_password': ''}, 'immich_library_admin_password'),
    ('lib-bad-cron', 'role:immich_library', {'immich_library_scan_cron': '0 3 * *'}, 'immich_library_scan_cron'),
    ('lib-unknown-queue', 'role:immich_library', {'immich_library_job_concurrency': {'thumbnails': 2}}, 'immich_library_job_concurrency'),
    ('lib-api-url-no-scheme', 'role:immich_library', {'immich_library_api_url': 'photos.example.org'}, 'immich_library_api_url'),
    # site.yml as a whole (no tags): each role's bad value, one per kind of check (the token after the role in
    # the id: choice, type, format, cross), must stop the run in its first play, before the NAS, the cluster or
    # Immich is contacted. The cases of one kind run together (site_batches), and the one failure must name every
    # role's variable: the first play reports all of them at once. test_site_inputs.py runs them on the session's
    # fresh testbed too.
    ('site-nfs-choice', 'site', {'truenas_nfs_export_state': 'gone'}, 'truenas_nfs_export_state'),
    ('site-nfs-type-networks-a-string', 'site', {'truenas_nfs_export_networks': '192.168.10.0/24'}, 'truenas_nfs_export_networks'),
    ('site-nfs-format', 'site', {'truenas_nfs_export_path': 'BigTank/photos/All'}, 'truenas_nfs_export_path'),
    ('site-nfs-cross', 'site', {'truenas_nfs_export_maproot_user': 'root', 'truenas_nfs_export_mapall_user': 'nobody'},
     'truenas_nfs_export_mapall_user'),
    ('site-csi-choice', 'site', {'csi_driver_nfs_nfs_version': '5'}, 'csi_driver_nfs_nfs_version'),
    ('site-csi-type', 'site', {'csi_driver_nfs_extra_mount_options': 'noatime'}, 'csi_driver_nfs_extra_mount_options'),
    ('site-csi-format', 'site', {'csi_driver_nfs_capacity': '1TB'}, 'csi_driver_nfs_capacity'),
    ('site-cnpg-type', 'site', {'cnpg_operator_barman_plugin_install': 'sometimes'}, 'cnpg_operator_barman_plugin_install'),
    ('site-cnpg-format', 'site', {'cnpg_operator_version': 'v1.30.0'}, 'cnpg_operator_version'),
    ('site-db-choice-secret-source-inventory', 'site', {'immich_database_owner_secret_source': 'inventory'},
     'immich_database_owner_secret_source'),
    ('site-db-type', 'site', {'immich_database_postgresql_parameters': 'max_connections=200'}, 'immich_database_postgresql_parameters'),
    ('site-db-format-s3-endpoint-with-bucket', 'site', {'immich_database_s3_endpoint_url': 'http://127.0.0.1:9000/immich-database-backups'},
     'immich_database_s3_endpoint_url'),
    ('site-db-cross', 'site', {'immich_database_owner_secret_source': 'external_secret',
                               'immich_database_owner_external_secret_store_name': ''}, 'immich_database_owner_external_secret_store_name'),
    ('site-valkey-choice', 'site', {'valkey_image_pull_policy': 'Sometimes'}, 'valkey_image_pull_policy'),
    ('site-valkey-type', 'site', {'valkey_port': 'six-three-seven-nine'}, 'valkey_port'),
    ('site-valkey-format', 'site', {'valkey_image': 'docker.io/valkey/valkey:latest'}, 'valkey_image'),
    ('site-valkey-cross', 'site', {'valkey_persistence_enabled': True, 'valkey_storage_class': ''}, 'valkey_storage_class'),
    ('site-immich-choice', 'site', {'immich_exposure': 'nodeport'}, 'immich_exposure'),
    ('site-immich-type', 'site', {'immich_trusted_proxies': '10.0.0.0/8'}, 'immich_trusted_proxies'),
    ('site-immich-format', 'site', {'immich_hostname': 'Photos_Server'}, 'immich_hostname'),
    ('site-immich-cross', 'site', {'immich_cilium_network_policy_enabled': True, 'immich_cilium_nfs_host': ''}, 'immich_cilium_nfs_host'),
    ('site-lib-format-empty-name', 'site', {'immich_library_name': ''}, 'immich_library_name'),
    ('site-lib-type', 'site', {'immich_library_job_concurrency': 'thumbnailGeneration=2'}, 'immich_library_job_concurrency'),
    ('site-lib-format', 'site', {'immich_library_scan_cron': '0 3 * *'}, 'immich_library_scan_cron'),
    ('site-lib-cross-import-path-twice', 'site', {'immich_library_import_paths': ['/mnt/photos', '/mnt/photos/']}, 'immich_library_import_paths'),
    ('site-lib-cross', 'site', {'immich_library_import_paths': ['/srv/photos']}, 'immich_library_import_paths'),
    # modules, directly
    ('mod-library-relative-import', 'module:homelab.immich.immich_library', {'name': 'NAS photos', 'import_paths': ['photos']},
     'import_paths'),
    ('mod-api-key-unknown-permission', 'module:homelab.immich.immich_api_key', {'name': 'reliability', 'permissions': ['asset.teleport']},
     'permissions'),
    ('mod-config-unknown-key', 'module:homelab.immich.immich_config', {'config': {'library': {'scan': {'everySecond': True}}}},
     'library.scan.everySecond'),
    ('mod-config-wrong-type', 'module:homelab.immich.immich_config', {'config': {'library': {'scan': {'enabled': 'sometimes'}}}},
     'library.scan.enabled'),
    ('mod-info-malformed-url', 'module:homelab.immich.immich_info', {'api_url': 'photos.example.org:2283'}, 'api_url'),
    ('mod-library-malformed-url', 'module:homelab.immich.immich_library', {'api_url': 'ftp://127.0.0.1/', 'name': 'NAS photos'},
     'api_url'),
    ('mod-nfs-share-relative-path', 'module:homelab.immich.truenas_nfs_share', {'path': 'BigTank/photos/All'}, 'path'),
]


_SHARED = {}
SITE_KINDS = ('choice', 'type', 'format', 'cross')


def site_batches():
    """The site cases grouped by kind of check, each group split so that no variable is given twice:
    [(batch id, merged bad input, [names that must appear in the failure])]."""
    batches = []
    for kind in SITE_KINDS:
        groups = []
        for case_id, _target, bad, name in [c for c in CASES if c[1] == 'site' and c[0].split('-')[2] == kind]:
            group = next((g for g in groups if not set(g[0]) & set(bad)), None)
            if group is None:
                group = ({}, [])
                groups.append(group)
            group[0].update(bad)
            group[1].append(name)
        batches += [('site-%s-%d' % (kind, n + 1), merged, names) for n, (merged, names) in enumerate(groups)]
    return batches


@pytest.fixture
def catalogue(converged, expect):
    """What the cases share (computed once): the labelled resources, the modules' connection options and the
    last snapshot (each case's after-snapshot is the next one's before)."""
    if _SHARED.get('testbed') is converged:
        return _SHARED
    tb = converged
    resources = tb.labelled_resources()
    assert resources, 'nothing is labelled %s: the deployment is not there' % MANAGED_BY
    immich = {'api_url': expect.var('immich_library_api_url'), 'api_key': expect.api_key()}
    nas = expect.nas
    truenas = {'host': nas['truenas_nfs_export_host'], 'port': int(nas['truenas_nfs_export_port']),
               'scheme': nas['truenas_nfs_export_scheme'], 'api_key': nas['truenas_nfs_export_api_key']}
    _SHARED.update(testbed=tb, resources=resources, immich=immich, truenas=truenas, snapshot=None)
    return _SHARED


def test_the_write_watch_sees_writes(converged, catalogue, expect):
    """Control: the no-write check below does see a Kubernetes, an Immich and a TrueNAS write."""
    tb = converged
    ns = expect.namespace
    watch = WriteWatch(tb, MANAGED_BY, catalogue['resources'], exclude=()).start()
    tb.kubectl('annotate', 'namespace', ns, 'homelab.immich/reliability-probe=1')
    share = [x for x in tb.truenas.state()['shares'] if x['path'] == expect.nas['truenas_nfs_export_path']][0]
    tb.truenas.call('sharing.nfs.update', share['id'], {'comment': share['comment']}, login=True)
    library = expect.library()
    status = tb.immich.api('POST', '/libraries/%s/scan' % library['id'], api_key=expect.api_key())[0]
    result = watch.stop()
    tb.kubectl('annotate', 'namespace', ns, 'homelab.immich/reliability-probe-')
    catalogue['snapshot'] = None
    assert status == 204
    assert result['k8s_objects']['modified'] == ['v1/Namespace//%s' % ns], result['k8s_objects']
    assert result['k8s_write_requests'], 'the apiserver counters missed the annotate'
    assert result['immich_writes'] and result['truenas_writes'], result


ROLE_AND_MODULE_CASES = [c for c in CASES if c[1] != 'site']


@pytest.mark.parametrize('case_id,target,bad,name', ROLE_AND_MODULE_CASES, ids=[c[0] for c in ROLE_AND_MODULE_CASES])
def test_bad_input_fails_before_any_change(converged, catalogue, case_id, target, bad, name):
    tb = converged
    watch = WriteWatch(tb, MANAGED_BY, catalogue['resources'], exclude=()).start(catalogue['snapshot'])
    kind, what = target.split(':', 1)
    if kind == 'role':
        run = tb.playbook('--tags', what, extra_vars=bad, timeout=300)
    else:
        connection = catalogue['truenas'] if what.startswith('homelab.immich.truenas_') else catalogue['immich']
        args = dict(connection)
        args.update(bad)
        host = 'truenas' if what.startswith('homelab.immich.truenas_') else 'localhost'
        run = tb.adhoc(host, what, args)
    result = watch.stop()
    catalogue['snapshot'] = result['snapshot']  # the next case starts from here

    assert run.rc != 0, '%s: bad input %s was accepted:\n%s' % (case_id, json.dumps(bad), run.tail(30))
    failures = run.failures()
    assert name in failures, '%s: the failure does not name %s:\n%s' % (case_id, name, failures[-3000:] or run.tail(30))
    written = WriteWatch.written(result)
    assert not written, '%s: bad input %s wrote before failing: %s' % (case_id, json.dumps(bad), json.dumps(written, indent=1))


@pytest.mark.parametrize('batch_id,bad,names', site_batches(), ids=[b[0] for b in site_batches()])
def test_site_yml_names_every_roles_bad_input_and_writes_nothing(converged, catalogue, batch_id, bad, names):
    tb = converged
    watch = WriteWatch(tb, MANAGED_BY, catalogue['resources'], exclude=()).start(catalogue['snapshot'])
    run = tb.playbook(extra_vars=bad, timeout=300)
    result = watch.stop()
    catalogue['snapshot'] = result['snapshot']
    assert_site_run_failed_early(run, result, batch_id, bad, names)


def assert_site_run_failed_early(run, result, batch_id, bad, names):
    """The run failed in site.yml's input-check play, naming every variable, and wrote nothing anywhere."""
    assert run.rc != 0, '%s: bad input %s was accepted:\n%s' % (batch_id, json.dumps(bad), run.tail(30))
    failures = run.failures()
    missing = [name for name in names if name not in failures]
    assert not missing, '%s: the failure does not name %s:\n%s' % (batch_id, missing, failures[-4000:] or run.tail(30))
    assert 'PLAY [Export the photos' not in run.output, '%s: the run got past the input-check play:\n%s' % (batch_id, run.tail(40))
    written = WriteWatch.written(result)
    assert not written, '%s: bad input %s wrote before failing: %s' % (batch_id, json.dumps(bad), json.dumps(written, indent=1))


def test_site_batches_keep_every_case():
    """Control: every site case's variables are in exactly one batch of its kind, with its name to find."""
    site = [c for c in CASES if c[1] == 'site']
    assert all(c[0].split('-')[2] in SITE_KINDS for c in site), [c[0] for c in site if c[0].split('-')[2] not in SITE_KINDS]
    assert sorted(n for b in site_batches() for n in b[2]) == sorted(c[3] for c in site)
    assert len(site_batches()) < len(site)


def test_catalogue_covers_every_role_and_module_input():
    """Each role has cases run alone (--tags) and as part of the whole site.yml; each module a role hands user
    input to has a case of its own; no two cases share an id."""
    roles = ['truenas_nfs_export', 'csi_driver_nfs', 'cnpg_operator', 'immich_database', 'valkey', 'immich', 'immich_library']
    tagged = {c[1].split(':', 1)[1] for c in CASES if c[1].startswith('role:')}
    site_vars = [name for c in CASES if c[1] == 'site' for name in c[2]]
    assert set(roles) <= tagged, sorted(set(roles) - tagged)
    for role in roles:
        others = [r for r in roles if r != role and r.startswith(role + '_')]
        mine = [v for v in site_vars if v.startswith(role + '_') and not any(v.startswith(o + '_') for o in others)]
        assert mine, 'no site case for %s' % role
    modules = {c[1].split(':', 1)[1] for c in CASES if c[1].startswith('module:')}
    wanted = {'homelab.immich.immich_library', 'homelab.immich.immich_config', 'homelab.immich.immich_api_key',
              'homelab.immich.immich_info', 'homelab.immich.truenas_nfs_share'}
    assert wanted <= modules, sorted(wanted - modules)
    assert len({c[0] for c in CASES}) == len(CASES)
