# Shared helpers for the testbed scripts (sourced, not run).
# shellcheck shell=bash
# The variables are set here for the scripts that source this file.
# shellcheck disable=SC2034
# shellcheck source=tests/testbed/versions.env
source "$(dirname "${BASH_SOURCE[0]}")/versions.env"
CACHE=${HOMELAB_IMMICH_CACHE:-$HOME/.cache/homelab-immich}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export GOTOOLCHAIN=local

die() { echo "testbed: error: $*" >&2; exit 1; }

check_go() {
  command -v go >/dev/null 2>&1 || die "Go is not installed; the testbed builds Kubernetes from Go modules and needs Go >= $GO_MIN_VERSION (https://go.dev/doc/install)."
  local have
  have=$(go env GOVERSION | sed 's/^go//')
  if [ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -1)" != "$GO_MIN_VERSION" ]; then
    die "Go $have is too old; the testbed needs Go >= $GO_MIN_VERSION."
  fi
}

all_exist() {
  local dir=$1 f; shift
  for f in "$@"; do [ -x "$dir/$f" ] || return 1; done
}

_started=0
# start_component NAME VERSION [VERB]: VERB is "building" (default) or "fetching".
start_component() { _started=$SECONDS; _verb=${3:-building}; printf 'testbed: %-16s %-9s %s ...\n' "$1" "$2" "$_verb"; }
done_component() {
  local past=built; [ "$_verb" = fetching ] && past=fetched
  printf 'testbed: %-16s %-9s %s in %ds\n' "$1" "$2" "$past" $((SECONDS - _started))
}
cached() { printf 'testbed: %-16s %-9s cached\n' "$1" "$2"; }
build_failed() {
  echo "testbed: error: building $1 failed; the last lines of $2:" >&2
  tail -n 15 "$2" >&2
  exit 1
}
