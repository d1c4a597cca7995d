#!/usr/bin/env bash
# usage: build.sh [etcd|kwok|helm|kubernetes|kubernetes-node|manifests ...]
# Builds (or reuses) every binary and upstream manifest the testbed needs, from Go modules only.
# Everything lands under $HOMELAB_IMMICH_CACHE (default ~/.cache/homelab-immich), keyed by version,
# so a warm run only checks that the files exist. Prints one progress line per component.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/testbed/lib.sh
source "$here/lib.sh"

check_go

# build_kubernetes [NAME BIN...]: the control plane by default; tests/kind asks for the node
# binaries (kubernetes-node: kubelet kubeadm kube-proxy) with the same recipe, in a directory of their own.
build_kubernetes() {
  local name=${1:-kubernetes}; shift || true
  local bins=("$@")
  [ ${#bins[@]} -gt 0 ] || bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  local dir="$CACHE/bin/$name-$KUBE_VERSION" log="$CACHE/logs/$name-$KUBE_VERSION.log"
  if all_exist "$dir" "${bins[@]}"; then cached "$name" "$KUBE_VERSION"; return; fi
  start_component "$name" "$KUBE_VERSION"
  local src="$CACHE/src/$name-$KUBE_VERSION" staging_version="v0.${KUBE_VERSION#v1.}"
  mkdir -p "$src" "$dir"
  (
    set -e
    cd "$src"
    # k8s.io/kubernetes replaces its staging modules with ./staging/...; a wrapper module
    # points each one at the published k8s.io/<module> of the same release instead.
    gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
    {
      echo "module homelab.immich/testbed/kubernetes"
      echo "go 1.24"
      echo "require k8s.io/kubernetes $KUBE_VERSION"
      grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
    } > go.mod
    printf 'package main\n' > main.go
    go mod download -x k8s.io/kubernetes 2>/dev/null
    for bin in "${bins[@]}"; do
      go get "k8s.io/kubernetes/cmd/$bin@$KUBE_VERSION"
    done
    ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
    for bin in "${bins[@]}"; do
      CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dir/$bin.tmp" "k8s.io/kubernetes/cmd/$bin"
      mv "$dir/$bin.tmp" "$dir/$bin"
    done
  ) > "$log" 2>&1 || build_failed "$name" "$log"
  done_component "$name" "$KUBE_VERSION"
}

build_etcd() {
  local dir="$CACHE/bin/etcd-$ETCD_VERSION" log="$CACHE/logs/etcd-$ETCD_VERSION.log"
  if all_exist "$dir" etcd; then cached etcd "$ETCD_VERSION"; return; fi
  start_component etcd "$ETCD_VERSION"
  local src="$CACHE/src/etcd-$ETCD_VERSION"
  mkdir -p "$src" "$dir"
  (
    set -e
    cd "$src"
    printf 'module homelab.immich/testbed/etcd\ngo 1.24\n' > go.mod
    printf 'package main\n' > main.go
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/etcd.tmp" go.etcd.io/etcd/server/v3
    mv "$dir/etcd.tmp" "$dir/etcd"
  ) > "$log" 2>&1 || build_failed etcd "$log"
  done_component etcd "$ETCD_VERSION"
}

# go install of a module that has no replace directives: kwok, kwokctl, helm.
go_install() {
  local name=$1 version=$2 dir=$3; shift 3
  local log="$CACHE/logs/$name-$version.log" pkg bins=()
  for pkg in "$@"; do bins+=("$(basename "$pkg")"); done
  if all_exist "$dir" "${bins[@]}"; then cached "$name" "$version"; return; fi
  start_component "$name" "$version"
  mkdir -p "$dir"
  (
    set -e
    for pkg in "$@"; do
      GOBIN="$dir" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$pkg@$version"
    done
  ) > "$log" 2>&1 || build_failed "$name" "$log"
  done_component "$name" "$version"
}

# Copies files out of a downloaded Go module into the manifest cache.
  fetch_module_files() {
  local name=$1 module=$2 version=$3; shift 3
  local dest=$CACHE/manifests/$name-$version
  local log="$CACHE/logs/$name-$version.log"
  if [ -d "$dest" ] && [ -f "$dest/.complete" ]; then cached "$name" "$version"; return; fi
  start_component "$name" "$version" fetching
  (
    set -e
    moddir=$(cd "$CACHE" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
    [ -n "$moddir" ] || { echo "go mod download $module@$version printed no Dir"; exit 1; }
    rm -rf "$dest" && mkdir -p "$dest"
    for rel in "$@"; do
      [ -e "$moddir/$rel" ] || { echo "missing in $module@$version: $rel"; exit 1; }
      cp -r "$moddir/$rel" "$dest/"
    done
    chmod -R u+w "$dest"
    touch "$dest/.complete"
  ) > "$log" 2>&1 || build_failed "$name" "$log"
  done_component "$name" "$version"
}

component() {
  case $1 in
    etcd) build_etcd ;;
    kwok) go_install kwok "$KWOK_VERSION" "$CACHE/bin/kwok-$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl ;;
    helm) go_install helm "$HELM_VERSION" "$CACHE/bin/helm-$HELM_VERSION" helm.sh/helm/v3/cmd/helm ;;
    kubernetes) build_kubernetes ;;
    kubernetes-node) build_kubernetes kubernetes-node kubelet kubeadm kube-proxy ;;
    manifests) fetch_manifests ;;
    *) die "unknown component '$1' (etcd, kwok, helm, kubernetes, kubernetes-node, manifests)" ;;
  esac
}

fetch_manifests() {
  fetch_module_files cnpg github.com/cloudnative-pg/cloudnative-pg "$CNPG_VERSION" "releases/cnpg-${CNPG_VERSION#v}.yaml"
  fetch_module_files barman-cloud github.com/cloudnative-pg/plugin-barman-cloud "$BARMAN_PLUGIN_VERSION" manifest.yaml config/crd/bases
  fetch_module_files cert-manager github.com/cert-manager/cert-manager "$CERT_MANAGER_VERSION" deploy/crds
  fetch_module_files gateway-api sigs.k8s.io/gateway-api "$GATEWAY_API_VERSION" config/crd/standard
  fetch_module_files external-secrets github.com/external-secrets/external-secrets "$EXTERNAL_SECRETS_VERSION" \
    config/crds/bases/external-secrets.io_externalsecrets.yaml \
    config/crds/bases/external-secrets.io_secretstores.yaml \
    config/crds/bases/external-secrets.io_clustersecretstores.yaml
  fetch_module_files cilium github.com/cilium/cilium "$CILIUM_VERSION" pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml
  fetch_module_files kwok-stages sigs.k8s.io/kwok "$KWOK_VERSION" kustomize/stage
}

mkdir -p "$CACHE/logs" "$CACHE/bin" "$CACHE/manifests"
# With no argument, everything; otherwise only the named components (e.g. `build.sh helm`).
for c in "${@:-etcd kwok helm kubernetes manifests}"; do
  for c1 in $c; do component "$c1"; done
done
