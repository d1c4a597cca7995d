#!/usr/bin/env bash
# usage: build.sh node|images|binaries|all   (called by tests/kind/kind up; needs the Docker engine it starts)
# Builds, offline, kind's node image and the workload images the collection's roles run on kind:
# the base rootfs by debootstrap, Kubernetes from Go modules (tests/testbed/build.sh), the other
# Go programs by `go install`, every image FROM that rootfs. Each result is saved as a tar under
# ~/.cache/homelab-immich/kind/images, keyed by versions and the recipe's checksum: a warm run loads
# the tar and builds nothing. One progress line per step; a failed step names itself and its log.
set -euo pipefail
# shellcheck source=tests/kind/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODE_BIN=$KIND_BIN/node-$KUBE_VERSION
K8S_NODE_BIN=$CACHE/bin/kubernetes-node-$KUBE_VERSION
K8S_BIN=$CACHE/bin/kubernetes-$KUBE_VERSION
ETCD_BIN=$CACHE/bin/etcd-$ETCD_VERSION
WORK=$KIND_CACHE/work
DEBIAN_IMAGE=local/debian:$KIND_DEBIAN_SUITE
mkdir -p "$KIND_IMAGES" "$KIND_BIN" "$KIND_LOGS" "$WORK"

# Builds run niced: the machine (and CI's) is shared.
nice_go() { nice -n 10 go "$@"; }

# go_bin NAME MODULE PKG VERSION DIR [LDFLAGS]: builds PKG (a path inside MODULE) at VERSION as DIR/NAME
# (static), once. Built inside the downloaded module with its own go.mod and go.sum (as `go install
# MODULE/PKG@VERSION` would, without asking the proxy for the module's version list).
go_bin() {
  local name=$1 module=$2 pkg=$3 version=$4 dir=$5 ldflags=${6:-} bin=$1
  if [ -x "$dir/$bin" ]; then cached "$name $version"; return; fi
  step "$name $version (go build)"
  mkdir -p "$dir"
  run_logged "$name $version (go build)" "$KIND_LOGS/$name-$version.log" go_build_module "$module" "$pkg" "$version" "$dir/$bin" "$ldflags"
  step_done built
}

go_build_module() {
  local module=$1 pkg=$2 version=$3 out=$4 ldflags=$5 moddir
  moddir=$(cd "$KIND_CACHE" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | jq -r .Dir)
  [ -d "$moddir" ] || { echo "go mod download $module@$version gave no directory"; return 1; }
  cd "$moddir"
  # local-path-provisioner's module ships vendor/modules.txt without the vendored sources.
  local mod=()
  [ ! -d vendor ] || mod=(-mod=mod)
  CGO_ENABLED=0 nice -n 10 go build "${mod[@]}" -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "./$pkg"
  mv "$out.tmp" "$out"
}

all_k8s_built() { [ -x "$K8S_BIN/kubectl" ] && [ -x "$K8S_BIN/kube-apiserver" ] && [ -x "$ETCD_BIN/etcd" ]; }

kind_module_dir() {
  GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir
}

build_binaries() {
  go_bin crictl sigs.k8s.io/cri-tools cmd/crictl "$CRICTL_VERSION" "$NODE_BIN"
  go_bin coredns github.com/coredns/coredns . "$COREDNS_VERSION" "$NODE_BIN"
  go_bin local-path-provisioner github.com/rancher/local-path-provisioner . "$LOCAL_PATH_PROVISIONER_VERSION" "$NODE_BIN"
  # A testbed build of the same cache running now (e.g. `testbed up` alongside): let it finish rather
  # than build into its source directory at the same time.
  while pgrep -f "tests/testbed/build.sh" >/dev/null && ! all_k8s_built; do
    printf 'kind: %-34s waiting for the running testbed build\n' "kubernetes $KUBE_VERSION"; sleep 20
  done
  # The control plane, kubectl and etcd, then kubelet, kubeadm, kube-proxy: the testbed's recipe and cache.
  "$PROJECT_DIR/tests/testbed/build.sh" kubernetes kubernetes-node etcd
  if [ -x "$NODE_BIN/pause" ]; then cached "pause $KUBE_VERSION"; else
    step "pause $KUBE_VERSION (gcc -static)"
    local moddir
    moddir=$(cd "$CACHE/src/kubernetes-node-$KUBE_VERSION" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | jq -r .Dir)
    run_logged "pause (gcc -static)" "$KIND_LOGS/pause-$KUBE_VERSION.log" \
      gcc -Os -static -o "$NODE_BIN/pause" "$moddir/build/pause/linux/pause.c"
    step_done built
  fi
}

# The Debian rootfs every image builds on, from debootstrap (the base images cannot be pulled here).
build_rootfs() {
  if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then cached "rootfs $KIND_DEBIAN_SUITE"; return; fi
  local tar=$KIND_IMAGES/rootfs-$KIND_DEBIAN_SUITE.tar
  if [ ! -f "$tar" ]; then
    step "rootfs $KIND_DEBIAN_SUITE (debootstrap)"
    # The same Debian mirror as this host's apt (debootstrap's own default when none is configured).
    local mirror root=$WORK/rootfs
    mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    rm -rf "$root"
    run_logged "rootfs (debootstrap)" "$KIND_LOGS/debootstrap.log" \
      debootstrap --variant=minbase "$KIND_DEBIAN_SUITE" "$root" ${mirror:+"$mirror"}
    # The host's apt sources (with security updates) for the images' apt-get.
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" && rm -f "$root/etc/apt/sources.list"
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar" && rm -rf "$root"
    step_done built
  fi
  docker import "$tar" "$DEBIAN_IMAGE" >/dev/null
}

# scratch_image TAG ENTRYPOINT BINARY...: an image holding only static binaries (control plane, etcd, coredns, pause).
scratch_image() {
  local tag=$1 entrypoint=$2; shift 2
  local root
  root=$WORK/scratch/$(echo "$tag" | tr '/:' '__')
  rm -rf "$root" && mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' > "$root/etc/group"
  cp "$@" "$root/usr/local/bin/"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    ${entrypoint:+-c "ENTRYPOINT $entrypoint"} - "$tag" >/dev/null
}

# Dockerfile build with the host network (apt-get during RUN; the daemon makes no default bridge).
docker_build() { docker build --network host -q "$@" >/dev/null; }

# The images kubeadm and kind's storage manifest need, wrapped from the binaries built above.
# kubeadm says which pause and coredns it deploys; a mismatch with the pins is a clear error.
component_images() {
  local images
  images=$("$K8S_NODE_BIN/kubeadm" config images list --kubernetes-version "$KUBE_VERSION" 2>/dev/null) \
    || die "kubeadm config images list failed ($K8S_NODE_BIN/kubeadm)"
  pause_image=$(grep '/pause:' <<<"$images")
  coredns_image=$(grep '/coredns:' <<<"$images")
  [ "${coredns_image##*:}" = "$COREDNS_VERSION" ] \
    || die "kubeadm $KUBE_VERSION deploys $coredns_image, but COREDNS_VERSION is $COREDNS_VERSION (tests/kind/versions.env)"
  COMPONENT_IMAGES="registry.k8s.io/kube-apiserver:$KUBE_VERSION registry.k8s.io/kube-controller-manager:$KUBE_VERSION
    registry.k8s.io/kube-scheduler:$KUBE_VERSION registry.k8s.io/kube-proxy:$KUBE_VERSION localhost/etcd:$ETCD_VERSION
    $coredns_image $pause_image registry.k8s.io/pause:3.10
    localhost/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION localhost/local-path-helper:$KIND_DEBIAN_SUITE"
}

build_components() {
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    scratch_image "registry.k8s.io/$c:$KUBE_VERSION" "" "$K8S_BIN/$c"
  done
  # etcd at the testbed's version under its own name (the kind config points kubeadm at it).
  scratch_image "localhost/etcd:$ETCD_VERSION" "" "$ETCD_BIN/etcd"
  scratch_image "$coredns_image" '["/usr/local/bin/coredns"]' "$NODE_BIN/coredns"
  # containerd's sandbox_image in kind's config.toml is pause:3.10; kubeadm's is $pause_image.
  scratch_image "$pause_image" '["/usr/local/bin/pause"]' "$NODE_BIN/pause"
  docker tag "$pause_image" registry.k8s.io/pause:3.10
  local w=$WORK/component-builds
  rm -rf "$w" && mkdir -p "$w/proxy" "$w/lpp" "$w/helper"
  cp "$K8S_NODE_BIN/kube-proxy" "$w/proxy/"
  printf 'FROM %s\nRUN apt-get update && apt-get install -y --no-install-recommends iptables nftables conntrack ipset kmod && rm -rf /var/lib/apt/lists/*\nCOPY kube-proxy /usr/local/bin/\n' \
    "$DEBIAN_IMAGE" > "$w/proxy/Dockerfile"
  docker_build -t "registry.k8s.io/kube-proxy:$KUBE_VERSION" "$w/proxy"
  cp "$NODE_BIN/local-path-provisioner" "$w/lpp/"
  printf 'FROM %s\nCOPY local-path-provisioner /usr/local/bin/\nENTRYPOINT ["/usr/local/bin/local-path-provisioner"]\n' \
    "$DEBIAN_IMAGE" > "$w/lpp/Dockerfile"
  docker_build -t "localhost/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION" "$w/lpp"
  # The helper pod only needs sh, mkdir and rm: the Debian rootfs itself.
  docker tag "$DEBIAN_IMAGE" "localhost/local-path-helper:$KIND_DEBIAN_SUITE"
}

# kind's storage manifest (its const_storage.go) with the local provisioner and helper images.
write_storage_manifest() {
  python3 - "$1/pkg/build/nodeimage/const_storage.go" "$2" \
    "localhost/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION" "localhost/local-path-helper:$KIND_DEBIAN_SUITE" <<'PY'
import re, sys
src, out, provisioner, helper = sys.argv[1:]
text = open(src).read()
body = re.search(r'^const defaultStorageManifest = `(.*?)^`$', text, re.S | re.M).group(1)
body = body.replace('` + storageProvisionerImage + `', provisioner).replace('` + storageHelperImage + `', helper)
if '`' in body or provisioner not in body or helper not in body:
    sys.exit('unexpected shape of kind storage manifest in ' + src)
open(out, 'w').write(body)
PY
}

node_tag() { echo "localhost/kind-node:$KUBE_VERSION-$(inputs_key "$KIND_HERE/node/"* "$KIND_HERE/build.sh")"; }

# The equivalent of `kind build node-image`, every image imported from the local daemon.
build_node() {
  local tag tar
  tag=$(node_tag)
  tar=$KIND_IMAGES/kind-node-${tag##*:}.tar
  if image_cached "$tag" "$tar"; then cached "node image ${tag##*:}"; echo "$tag" > "$KIND_CACHE/node-image"; return; fi
  build_binaries
  build_rootfs
  local kind_dir
  kind_dir=$(kind_module_dir)
  [ -d "$kind_dir/images/base/files" ] || die "the kind module $KIND_VERSION has no images/base/files ($kind_dir)"
  step "base image"
  local ctx=$WORK/base
  rm -rf "$ctx" && mkdir -p "$ctx" && cp -r "$kind_dir/images/base/files" "$ctx/files" && chmod -R u+w "$ctx"
  cp "$KIND_HERE/node/base.Dockerfile" "$ctx/Dockerfile"
  run_logged "base image" "$KIND_LOGS/base-image.log" docker build --network host -t "local/kind-base:$KIND_DEBIAN_SUITE" "$ctx"
  step_done built
  step "component images"
  component_images
  run_logged "component images" "$KIND_LOGS/component-images.log" build_components
  step_done built
  step "node image ${tag##*:}"
  write_storage_manifest "$kind_dir" "$WORK/default-storage.yaml" || die "step 'node image': kind's storage manifest could not be rewritten"
  run_logged "node image" "$KIND_LOGS/node-image.log" assemble_node "$tag"
  run_logged "node image (save)" "$KIND_LOGS/node-image.log" save_image "$tag" "$tar"
  echo "$tag" > "$KIND_CACHE/node-image"
  step_done built
}

assemble_node() {
  local tag=$1 id=homelab-immich-kind-build-$$ b
  docker rm -f "$id" >/dev/null 2>&1 || true
  docker run -d --name "$id" --network none --entrypoint=sleep --security-opt seccomp=unconfined \
    "local/kind-base:$KIND_DEBIAN_SUITE" infinity
  # shellcheck disable=SC2064
  trap "docker rm -f -v $id >/dev/null 2>&1 || true" EXIT
  for b in kubeadm kubelet kube-proxy; do docker cp "$K8S_NODE_BIN/$b" "$id:/usr/bin/$b"; done
  docker cp "$K8S_BIN/kubectl" "$id:/usr/bin/kubectl"
  docker cp "$NODE_BIN/crictl" "$id:/usr/bin/crictl"
  docker exec "$id" sh -c "echo $KUBE_VERSION > /kind/version"
  # kindnetd is not on the Go module proxy: a one-node ptp CNI instead (the cluster disables kind's CNI).
  docker cp "$KIND_HERE/node/10-ptp.conflist" "$id:/etc/cni/net.d/10-ptp.conflist"
  docker cp "$WORK/default-storage.yaml" "$id:/kind/manifests/default-storage.yaml"
  docker exec "$id" bash -c 'nohup containerd >/var/log/containerd.log 2>&1 &
    for i in $(seq 1 40); do [ -S /run/containerd/containerd.sock ] && break; sleep 0.5; done; ctr version'
  # shellcheck disable=SC2086
  docker save $COMPONENT_IMAGES | docker exec -i "$id" ctr --namespace=k8s.io images import \
    --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests -
  docker exec "$id" ctr --namespace=k8s.io images ls -q
  docker exec "$id" sh -c 'pkill containerd; sleep 1; rm -f /var/log/containerd.log'
  docker commit --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' "$id" "$tag"
}

# --- workload images (tests/kind/images/<name>/Dockerfile) ---

workload_tag() {
  case $1 in
    cnpg-operator) echo "localhost/cloudnative-pg:${CNPG_VERSION#v}" ;;
    postgresql) echo "localhost/postgresql-pgvector:$KIND_PG_MAJOR-pgvector$PGVECTOR_VERSION-$KIND_DEBIAN_SUITE" ;;
    valkey) echo "localhost/valkey:$VALKEY_VERSION-$KIND_DEBIAN_SUITE" ;;
    # The tag is the release, as the immich role's immich_version (immich_server_image: localhost/immich-server).
    immich-server) echo "localhost/immich-server:v${2:?Immich version}" ;;
  esac
}

# The build context of one workload image: its Dockerfile plus the sources it COPYs.
workload_context() {
  local name=$1 ctx=$2
  rm -rf "$ctx" && mkdir -p "$ctx" && cp "$KIND_HERE/images/$name/Dockerfile" "$ctx/"
  case $name in
    cnpg-operator)
      go_bin cloudnative-pg github.com/cloudnative-pg/cloudnative-pg cmd/manager "$CNPG_VERSION" "$KIND_BIN/cnpg-$CNPG_VERSION" \
        "-X github.com/cloudnative-pg/cloudnative-pg/pkg/versions.buildVersion=${CNPG_VERSION#v}" >&2
      cp "$KIND_BIN/cnpg-$CNPG_VERSION/cloudnative-pg" "$ctx/manager" ;;
    postgresql)
      local src=$UPSTREAM_DIR/pgvector-v$PGVECTOR_VERSION.tar.gz
      [ -f "$src" ] || die "missing $src (pgvector/pgvector tag v$PGVECTOR_VERSION as a tarball; set HOMELAB_IMMICH_UPSTREAM_DIR)"
      cp "$src" "$ctx/pgvector.tar.gz" ;;
    valkey)
      local src=$UPSTREAM_DIR/valkey-$VALKEY_VERSION.tar.gz
      [ -f "$src" ] || die "missing $src (valkey-io/valkey tag $VALKEY_VERSION as a tarball; set HOMELAB_IMMICH_UPSTREAM_DIR)"
      cp "$src" "$ctx/valkey.tar.gz" ;;
  esac
}

build_workload() {
  local name=$1 tag key tar
  tag=$(workload_tag "$name")
  key=$(inputs_key "$KIND_HERE/images/$name/Dockerfile")
  tar=$KIND_IMAGES/$name-${tag##*:}-$key.tar
  if image_cached "$tag" "$tar"; then cached "image $tag" >&2; echo "$tar"; return; fi
  build_rootfs >&2
  local ctx=$WORK/images/$name
  workload_context "$name" "$ctx"
  step "image $tag" >&2
  run_logged "image $tag" "$KIND_LOGS/image-$name.log" nice -n 10 docker build --network host \
    --build-arg "PG_MAJOR=$KIND_PG_MAJOR" --build-arg "PGVECTOR_VERSION=$PGVECTOR_VERSION" \
    --build-arg "VALKEY_VERSION=$VALKEY_VERSION" --build-arg "CNPG_VERSION=${CNPG_VERSION#v}" \
    -t "$tag" "$ctx"
  run_logged "image $tag (save)" "$KIND_LOGS/image-$name.log" save_image "$tag" "$tar"
  step_done built >&2
  echo "$tar"
}

# --- the Immich server images (tests/kind/images/immich-server), one per KIND_IMMICH_VERSIONS ---
# From the real-server runner's build (tests/upstream/immich, its cache under ~/.cache/homelab-immich/upstream):
# its workspace (server/dist, the lockfile, the pnpm store) and its Node; context.py asks the runner's code.

IMMICH_HERE=$KIND_HERE/images/immich-server

immich_py() {
  local python=python3
  [ ! -x "$PROJECT_DIR/.venv/bin/python" ] || python=$PROJECT_DIR/.venv/bin/python
  "$python" "$IMMICH_HERE/context.py" "$@"
}

# kv KEY TEXT: the value of KEY= in TEXT (context.py's output).
kv() { sed -n "s/^$1=//p" <<<"$2"; }

# immich_key VERSION META CTX: the cache key of one image: the Debian suite, the release tarball's sha256 and Node
# version (META), the recipe (the files in images/immich-server, the functions below) and the build data in CTX.
immich_key() {
  local f
  {
    echo "KIND_DEBIAN_SUITE=$KIND_DEBIAN_SUITE IMMICH_VERSION=$1"
    echo "$2"
    find "$IMMICH_HERE" -maxdepth 1 -type f ! -name '*.pyc' | LC_ALL=C sort | xargs cat
    declare -f immich_key immich_server_tree build_immich
    (cd "$3" && find build -type f | LC_ALL=C sort) | while read -r f; do echo "$f"; cat "$3/$f"; done
  } | sha256sum | cut -c1-12
}

# immich_server_tree VERSION CTX: CTX/server and CTX/node from the runner's build of VERSION (built if missing).
immich_server_tree() {
  local version=$1 ctx=$2 ws src
  ws=$(immich_py workspace "$version") || return 1
  src=$WORK/immich-server-$version-src
  # A copy without node_modules (17 MB), so that pnpm never writes into the runner's workspace.
  rm -rf "$src" "$ctx/server" && mkdir -p "$src"
  tar -C "$(kv root "$ws")" --exclude=node_modules --exclude=./.complete --exclude=./build.log -cf - . | tar -C "$src" -xf -
  # The production dependencies from the lockfile, out of the runner's pnpm store only (--offline); copied, not
  # hard-linked to the store.
  (cd "$src" && env PATH="$(kv node_bin "$ws"):$PATH" CI=1 SHARP_IGNORE_GLOBAL_LIBVIPS=true \
    npm_config_store_dir="$CACHE/upstream/pnpm-store" \
    nice -n 10 "$(kv node_bin "$ws")/node" "$(kv pnpm_js "$ws")" --filter immich --prod --offline \
    --package-import-method=copy --reporter=append-only deploy "$ctx/server")
  [ -f "$ctx/server/dist/main.js" ] || { echo "pnpm deploy gave no $ctx/server/dist/main.js"; return 1; }
  cp "$(kv node_bin "$ws")/node" "$ctx/node"
  rm -rf "$src"
}

# build_immich VERSION: localhost/immich-server:vVERSION, saved under the images cache; prints the tar.
build_immich() {
  local version=$1 tag ctx meta key tar
  tag=$(workload_tag immich-server "$version")
  ctx=$WORK/images/immich-server-$version
  rm -rf "$ctx" && mkdir -p "$ctx"
  meta=$(immich_py inputs "$version" "$ctx") || die "step 'image $tag': the Immich $version release source is missing or unreadable (above)"
  key=$(immich_key "$version" "$meta" "$ctx")
  tar=$KIND_IMAGES/immich-server-v$version-$key.tar
  if image_cached "$tag" "$tar"; then cached "image $tag" >&2; rm -rf "$ctx"; echo "$tar"; return; fi
  build_rootfs >&2
  # An `upstream build|up` building this very workspace now: let it finish rather than build it twice at once.
  local done_file
  done_file=$CACHE/upstream/immich-$version-$(kv sha256 "$meta" | cut -c1-12)/.complete
  while [ ! -f "$done_file" ] && pgrep -f "tests/upstream/immich/upstream (up|build)" >/dev/null; do
    printf 'kind: %-34s waiting for the running tests/upstream build\n' "immich $version" >&2; sleep 20
  done
  if [ ! -f "$done_file" ]; then
    step "immich $version source build (tests/upstream)" >&2
    run_logged "immich $version source build (tests/upstream)" "$KIND_LOGS/image-immich-server-$version.log" \
      immich_py workspace "$version"
    step_done built >&2
  fi
  step "immich $version server (pnpm deploy)" >&2
  run_logged "immich $version server (pnpm deploy)" "$KIND_LOGS/image-immich-server-$version.log" \
    immich_server_tree "$version" "$ctx"
  step_done "done ($(du -sm "$ctx/server" | cut -f1) MB)" >&2
  cp "$IMMICH_HERE/Dockerfile" "$ctx/"
  step "image $tag" >&2
  run_logged "image $tag" "$KIND_LOGS/image-immich-server-$version.log" nice -n 10 docker build --network host \
    --build-arg "IMMICH_VERSION=$version" --build-arg "NODE_VERSION=$(kv node "$meta")" \
    --build-arg "IMMICH_SOURCE_COMMIT=$(kv commit "$meta")" -t "$tag" "$ctx"
  run_logged "image $tag (save)" "$KIND_LOGS/image-immich-server-$version.log" save_image "$tag" "$tar"
  rm -rf "$ctx"
  step_done "built ($(du -sm "$tar" | cut -f1) MB)" >&2
  echo "$tar"
}

WORKLOADS="cnpg-operator postgresql valkey"

build_images() {
  local w v
  for w in $WORKLOADS; do build_workload "$w" > "$KIND_CACHE/image-$w"; done
  for v in $KIND_IMMICH_VERSIONS; do build_immich "$v" > "$KIND_CACHE/image-immich-server-$v"; done
}

case ${1:-all} in
  node) build_node ;;
  binaries) build_binaries ;;
  images) build_images ;;
  all) build_images; build_node ;;
  tag) workload_tag "${2:?image name}" "${3:-}" ;;
  *) die "usage: build.sh node|images|binaries|all|tag NAME [IMMICH VERSION]" ;;
esac
