# Shared helpers of tests/kind (sourced, not run).
# shellcheck shell=bash
# The variables are set here for the scripts that source this file.
# shellcheck disable=SC2034
KIND_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_DIR=$(cd "$KIND_HERE/../.." && pwd)
# Kubernetes, etcd and CloudNativePG versions are the testbed's; the rest are kind's own.
# shellcheck source=tests/testbed/versions.env
source "$PROJECT_DIR/tests/testbed/versions.env"
# shellcheck source=tests/kind/versions.env
source "$KIND_HERE/versions.env"

CACHE=${HOMELAB_IMMICH_CACHE:-$HOME/.cache/homelab-immich}
UPSTREAM_DIR=${HOMELAB_IMMICH_UPSTREAM_DIR:-$PROJECT_DIR/../shared/upstream}
KIND_CLUSTER_NAME=${KIND_CLUSTER_NAME:-homelab-immich}
# Everything kind keeps: build outputs (kept), the Docker engine's state and runtime files (removed by down).
KIND_CACHE=$CACHE/kind
KIND_IMAGES=$KIND_CACHE/images
KIND_BIN=$KIND_CACHE/bin
KIND_LOGS=$CACHE/logs/kind
KIND_STATE=$KIND_CACHE/state
DOCKER_DATA_ROOT=$KIND_STATE/docker
DOCKER_RUN=$KIND_STATE/run
DOCKER_SOCK=$DOCKER_RUN/docker.sock
DOCKER_PID=$DOCKER_RUN/docker.pid
DOCKER_LOG=$KIND_LOGS/dockerd.log
KIND_KUBECONFIG=$KIND_STATE/kubeconfig
# The API server's audit log (tests/kind/audit-policy.yaml), mounted from the node: the tests read it here.
KIND_AUDIT_DIR=$KIND_STATE/audit
# The seeded photos (the NAS export's stand-in on kind) and where the node has them (a local PersistentVolume).
KIND_PHOTOS_DIR=$KIND_STATE/photos
KIND_NODE_PHOTOS_DIR=/var/local/homelab-immich/photos
export DOCKER_HOST=unix://$DOCKER_SOCK
# The legacy builder: no buildx plugin is installed, and it can build FROM images only present locally.
export DOCKER_BUILDKIT=0
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export GOTOOLCHAIN=local
export PATH=$KIND_BIN/kind-$KIND_VERSION:$CACHE/bin/kubernetes-$KUBE_VERSION:$PATH

die() { echo "kind: error: $*" >&2; exit 1; }

_step_started=0
_step_name=""
# step NAME: one progress line per step, and its elapsed time when done/cached.
step() { _step_started=$SECONDS; _step_name=$1; printf 'kind: %-34s ...\n' "$1"; }
step_done() { printf 'kind: %-34s %s in %ds\n' "$_step_name" "${1:-done}" $((SECONDS - _step_started)); }
cached() { printf 'kind: %-34s cached\n' "$1"; }
# run_logged NAME LOG CMD...: runs CMD with its output in LOG; on failure names the step and the log.
run_logged() {
  local name=$1 log=$2; shift 2
  mkdir -p "$(dirname "$log")"
  # A subshell outside any condition, so that errexit holds inside shell functions too.
  local rc=0
  set +e
  (set -e; "$@") >> "$log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "kind: error: step '$name' failed; its log is $log, which ends with:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
}

# inputs_key FILE...: a short checksum of the versions and the given recipe files (cache keys).
inputs_key() {
  local v
  {
    for v in KUBE_VERSION ETCD_VERSION CNPG_VERSION KIND_VERSION KIND_DEBIAN_SUITE CRICTL_VERSION COREDNS_VERSION \
      LOCAL_PATH_PROVISIONER_VERSION KIND_PG_MAJOR PGVECTOR_VERSION VALKEY_VERSION; do
      echo "$v=${!v}"
    done
    cat "$@"
  } | sha256sum | cut -c1-12
}

docker_up() { [ -S "$DOCKER_SOCK" ] && docker version >/dev/null 2>&1; }

# image_cached TAG TAR: true when TAR (the cache, keyed by its name) exists, after making sure the daemon has
# that very image under TAG (TAR.id holds its image ID), loading TAR if not.
image_cached() {
  [ -f "$2" ] && [ -f "$2.id" ] || return 1
  [ "$(docker image inspect -f '{{.Id}}' "$1" 2>/dev/null)" = "$(cat "$2.id")" ] && return 0
  docker load -i "$2" >/dev/null
}

# save_image TAG TAR: saves TAG as the cache TAR, with its image ID.
save_image() {
  docker save -o "$2.tmp" "$1"
  docker image inspect -f '{{.Id}}' "$1" > "$2.id"
  mv "$2.tmp" "$2"
  # The same image saved under older recipe keys (<name>-<12 hex>.tar) is stale: remove it.
  local stem old
  stem=$(echo "$2" | sed -E 's/-[0-9a-f]{12}\.tar$//')
  for old in "$stem"-*.tar; do
    [ "$old" = "$2" ] || ! [[ "$old" =~ ^"$stem"-[0-9a-f]{12}\.tar$ ]] || rm -f "$old" "$old.id"
  done
}
