"""The helm_release filter: the newest revision of a release, decoded from Helm's release Secrets.

The Secrets here are encoded the way Helm 3's storage driver encodes them (base64 of gzipped JSON, base64 once more
as a Secret's data); that the filter reads what the helm binary wrote is shown by the idempotence of the testbed
and kind converges (a misread release would be upgraded on every run) and molecule's helm_info check.
"""
import base64
import gzip
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.immich.plugins.filter.helm_release import helm_release


def release_secret(revision, status, version='4.13.4', values=None, compress=True):
    release = {'name': 'csi-driver-nfs', 'version': revision, 'namespace': 'kube-system', 'info': {'status': status},
               'chart': {'metadata': {'name': 'csi-driver-nfs', 'version': version}}, 'config': values or {}, 'manifest': '---'}
    raw = json.dumps(release).encode()
    stored = base64.b64encode(gzip.compress(raw) if compress else raw)
    return {'kind': 'Secret', 'type': 'helm.sh/release.v1',
            'metadata': {'name': 'sh.helm.release.v1.csi-driver-nfs.v%d' % revision, 'labels': {'owner': 'helm', 'version': str(revision)}},
            'data': {'release': base64.b64encode(stored).decode()}}


def test_no_secret_is_no_release():
    assert helm_release([]) == {}
    assert helm_release(None) == {}


def test_the_newest_revision_is_reported_by_its_version_label_not_the_list_order():
    secrets = [release_secret(10, 'deployed', '4.13.4', {'a': 1}), release_secret(9, 'superseded', '4.12.0'), release_secret(2, 'superseded')]
    assert helm_release(secrets) == {'revision': 10, 'status': 'deployed', 'chart': 'csi-driver-nfs-4.13.4', 'values': {'a': 1}}
    assert helm_release(list(reversed(secrets)))['revision'] == 10


def test_a_failed_newest_revision_is_reported_as_failed():
    assert helm_release([release_secret(1, 'deployed'), release_secret(2, 'failed')])['status'] == 'failed'


def test_an_uncompressed_release_is_read_too():
    assert helm_release([release_secret(1, 'deployed', compress=False)])['chart'] == 'csi-driver-nfs-4.13.4'


def test_secrets_of_another_type_are_not_releases():
    other = dict(release_secret(3, 'deployed'), type='Opaque')
    assert helm_release([other]) == {}


def test_a_secret_that_holds_no_release_is_refused_by_name():
    broken = release_secret(1, 'deployed')
    broken['data']['release'] = base64.b64encode(b'not base64!').decode()
    with pytest.raises(AnsibleFilterError, match='sh.helm.release.v1.csi-driver-nfs.v1'):
        helm_release([broken])
