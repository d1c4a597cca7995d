"""Verify step (testinfra, ansible backend): csi-driver-nfs and the read-only photos volume converge made.

Objects are read with kubernetes.core modules through the controller host of the inventory, so the
kubeconfig and helm binary are the ones converge used. Names are the contract defaults (roles/csi_driver_nfs).
"""
import pytest

testinfra_hosts = ['ansible://controller']

NAMESPACE = 'immich'
K8S = 'kubeconfig={{ homelab_immich_kubeconfig }}'


def k8s_one(host, api_version, kind, name, namespace=None):
    args = 'api_version=%s kind=%s name=%s %s' % (api_version, kind, name, K8S)
    if namespace:
        args += ' namespace=%s' % namespace
    resources = host.ansible('kubernetes.core.k8s_info', args, check=False)['resources']
    assert resources, '%s %s not found' % (kind, name)
    return resources[0]


@pytest.fixture(scope='module')
def pv(host):
    return k8s_one(host, 'v1', 'PersistentVolume', 'immich-photos')


@pytest.fixture(scope='module')
def pvc(host):
    return k8s_one(host, 'v1', 'PersistentVolumeClaim', 'immich-photos', NAMESPACE)


@pytest.fixture(scope='module')
def storage_class(host):
    return k8s_one(host, 'storage.k8s.io/v1', 'StorageClass', 'nfs-immich-photos')


def test_chart_release_is_deployed(host):
    release = host.ansible(
        'kubernetes.core.helm_info',
        'release_name=csi-driver-nfs release_namespace=kube-system %s binary_path={{ homelab_immich_helm_binary }}' % K8S,
        check=False)
    assert release['status']['status'] == 'deployed'
    assert release['status']['chart'] == 'csi-driver-nfs-4.13.4'
    assert release['status']['values']['driver']['name'] == 'nfs.csi.k8s.io'
    assert release['status']['values']['storageClass']['create'] is False


def test_driver_objects_exist(host):
    k8s_one(host, 'storage.k8s.io/v1', 'CSIDriver', 'nfs.csi.k8s.io')
    controller = k8s_one(host, 'apps/v1', 'Deployment', 'csi-nfs-controller', 'kube-system')
    assert controller['status'].get('availableReplicas', 0) >= 1
    k8s_one(host, 'apps/v1', 'DaemonSet', 'csi-nfs-node', 'kube-system')


def test_storage_class_is_read_only_nfs_and_retains(storage_class):
    assert storage_class['provisioner'] == 'nfs.csi.k8s.io'
    assert set(storage_class['parameters']) == {'server', 'share'}
    assert storage_class['parameters']['share'].startswith('/')
    assert 'ro' in storage_class['mountOptions']
    assert storage_class['reclaimPolicy'] == 'Retain'


def test_pv_is_read_only_retained_and_static(pv, storage_class):
    spec = pv['spec']
    assert 'ro' in spec['mountOptions']
    assert any(opt.startswith('nfsvers=') for opt in spec['mountOptions'])
    assert spec['accessModes'] == ['ReadOnlyMany']
    assert spec['persistentVolumeReclaimPolicy'] == 'Retain'
    assert spec['storageClassName'] == 'nfs-immich-photos'
    assert spec['csi']['driver'] == 'nfs.csi.k8s.io'
    attrs = spec['csi']['volumeAttributes']
    assert attrs == storage_class['parameters']
    assert spec['csi']['volumeHandle'] == '%s#%s##' % (attrs['server'], attrs['share'])
    assert (spec['claimRef']['namespace'], spec['claimRef']['name']) == (NAMESPACE, 'immich-photos')


def test_pvc_is_bound_to_the_pv(pvc, pv):
    assert pvc['status']['phase'] == 'Bound'
    assert pvc['spec']['volumeName'] == 'immich-photos'
    assert pvc['spec']['accessModes'] == ['ReadOnlyMany']
    assert pvc['spec']['storageClassName'] == 'nfs-immich-photos'
    assert pv['status']['phase'] == 'Bound'
    assert pv['spec']['claimRef']['uid'] == pvc['metadata']['uid']


def test_objects_carry_the_collection_labels(pv, pvc, storage_class):
    for obj in (pv, pvc, storage_class):
        labels = obj['metadata']['labels']
        assert labels['app.kubernetes.io/part-of'] == 'immich'
        assert labels['app.kubernetes.io/managed-by'] == 'homelab.immich'
