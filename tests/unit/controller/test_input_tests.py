"""The test plugins every role's tasks/validate.yml checks its inputs with (plugins/test/inputs.py), and the
quantity filter the PVC size checks compare with (plugins/filter/inputs.py)."""
import pytest

from ansible_collections.homelab.immich.plugins.filter.inputs import k8s_quantity_bytes
from ansible_collections.homelab.immich.plugins.test import inputs as t

CASES = [
    # (test, args, value, expected)
    (t.k8s_label, (), 'immich', True),
    (t.k8s_label, (), 'cnpg-system', True),
    (t.k8s_label, (), 'Immich', False),
    (t.k8s_label, (), '-immich', False),
    (t.k8s_label, (), 'immich.photos', False),
    (t.k8s_label, (), 'a' * 63, True),
    (t.k8s_label, (), 'a' * 64, False),
    (t.k8s_label, (50,), 'a' * 51, False),
    (t.k8s_label, (63, True), '1immich', False),
    (t.k8s_label, (63, True), 'immich-valkey', True),
    (t.k8s_label, (), '', False),
    (t.k8s_label, (), ['immich'], False),
    (t.k8s_name, (), 'immich-photos', True),
    (t.k8s_name, (), 'nfs.immich.photos', True),
    (t.k8s_name, (), 'nfs..photos', False),
    (t.k8s_name, (), 'Photos', False),
    (t.k8s_name, (), 'a' * 254, False),
    (t.k8s_quantity, (), '20Gi', True),
    (t.k8s_quantity, (), '1.5Ti', True),
    (t.k8s_quantity, (), '500M', True),
    (t.k8s_quantity, (), '20GB', False),
    (t.k8s_quantity, (), 'Gi', False),
    (t.k8s_quantity, (['Mi', 'Gi', 'Ti'],), '20G', False),
    (t.k8s_quantity, (['Mi', 'Gi', 'Ti'],), '20Gi', True),
    (t.image_repository, (), 'ghcr.io/immich-app/immich-server', True),
    (t.image_repository, (), 'localhost:5000/immich-server', True),
    (t.image_repository, (), 'valkey/valkey', True),
    (t.image_repository, (), 'ghcr.io/immich-app/immich-server:v2.5.5', False),
    (t.image_repository, (), 'ghcr.io/Immich-App/server', False),
    (t.image_reference, (), 'docker.io/valkey/valkey:8.1.6-alpine', True),
    (t.image_reference, (), 'localhost:5000/valkey:8.0.1', True),
    (t.image_reference, (), 'docker.io/valkey/valkey@sha256:' + 'a' * 64, True),
    (t.image_reference, (), 'docker.io/valkey/valkey:latest', False),
    (t.image_reference, (), 'docker.io/valkey/valkey', False),
    (t.image_reference, (False,), 'docker.io/valkey/valkey', True),
    (t.image_reference, (), 'docker.io/valkey/valkey@sha256:abc', False),
    (t.host, (), '192.168.10.133', True),
    (t.host, (), 'nas.example.org', True),
    (t.host, (), 'NAS', True),
    (t.host, (), 'fe80::1', True),
    (t.host, (), '[fe80::1]', True),
    (t.host, (), 'https://nas', False),
    (t.host, (), 'nas:443', False),
    (t.host, (), 'nas/photos', False),
    (t.host, (), '192.168.10.300', False),
    (t.host, (), '', False),
    (t.dns_name, (), 'photos.example.org', True),
    (t.dns_name, (), 'photos', False),
    (t.dns_name, (), 'Photos_Server', False),
    (t.dns_name, (), '192.168.10.1', False),
    (t.ip_address, (), '10.0.0.1', True),
    (t.ip_address, (4,), '::1', False),
    (t.ip_address, (), '10.0.0.256', False),
    (t.ip_network, (), '192.168.10.0/24', True),
    (t.ip_network, (), '10.0.0.1', True),
    (t.ip_network, (), '192.168.10.300/24', False),
    (t.ip_network, (), '192.168.10.0/33', False),
    (t.zero_network, (), '0.0.0.0/0', True),
    (t.zero_network, (), '0.0.0.0/8', True),
    (t.zero_network, (), '0.1.2.3/8', True),
    (t.zero_network, (), '::/0', True),
    (t.zero_network, (), '0.0.0.5', False),
    (t.zero_network, (), '10.0.0.0/8', False),
    (t.zero_network, (), '192.168.10.0/24', False),
    (t.zero_network, (), 'not-a-network', False),
    (t.tcp_port, (), 6379, True),
    (t.tcp_port, (), '6379', True),
    (t.tcp_port, (), 0, False),
    (t.tcp_port, (True,), 0, True),
    (t.tcp_port, (), 70000, False),
    (t.tcp_port, (), True, False),
    (t.tcp_port, (), '63a', False),
    (t.semver_tag, (), 'v2.5.5', True),
    (t.semver_tag, (), '2.5.5', False),
    (t.semver_tag, (), 'v02.5.5', False),
    (t.semver_tag, (), 'latest', False),
    (t.postgres_identifier, (), 'immich', True),
    (t.postgres_identifier, (), 'Immich', False),
    (t.postgres_identifier, (), '1immich', False),
    (t.extended_resource, (), 'nvidia.com/gpu', True),
    (t.extended_resource, (), 'gpu', False),
]


@pytest.mark.parametrize('test,args,value,expected', CASES, ids=['%s(%r)%s' % (c[0].__name__, c[2], c[1] or '') for c in CASES])
def test_input_shape(test, args, value, expected):
    assert test(value, *args) is expected


def test_every_test_plugin_has_cases():
    named = set(t.TestModule().tests())
    # endpoint_url: test_role_inputs.py; immich_cron: tests/unit/immich/test_cron_check.py (with the real servers).
    covered = {c[0].__name__ for c in CASES} | {'endpoint_url', 'immich_cron'}
    assert named == covered, named ^ covered


@pytest.mark.parametrize('quantity,number', [
    ('20Gi', 20 * 2 ** 30), ('20G', 20 * 10 ** 9), ('512Mi', 512 * 2 ** 20), ('1.5Ti', int(1.5 * 2 ** 40)),
    ('21474836480', 21474836480), ('100m', 0.1), ('1k', 1000),
])
def test_k8s_quantity_bytes(quantity, number):
    assert k8s_quantity_bytes(quantity) == number


def test_k8s_quantity_bytes_orders_binary_and_decimal_sizes():
    """20G is less than 20Gi: treating both as 2**30 (human_to_bytes) would let a PVC shrink unnoticed."""
    assert k8s_quantity_bytes('20G') < k8s_quantity_bytes('20Gi')
