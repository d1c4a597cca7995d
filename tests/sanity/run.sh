#!/usr/bin/env bash
# Runs `ansible-test sanity` on a copy of the collection laid out as
# ansible_collections/homelab/immich, as ansible-test requires, with the empty ignore files of
# tests/sanity/. Extra arguments go to ansible-test (e.g. --test pep8).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${VENV:-$repo/.venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ansible-test bootstraps pip in its venvs with a get-pip script it would download from a host this
# machine cannot reach; it uses this cached file instead. The stand-in bootstraps pip from the
# interpreter's own wheel (ensurepip), then installs what ansible-test asks for from the index.
core_pip=$("$venv/bin/python" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements as pr
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(pr)).group(1))
PY
)
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
cat >"$cache/get_pip_${core_pip//./_}.py" <<'PY'
"""Offline stand-in for get-pip.py, written by homelab.immich's tests/sanity/run.sh."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    cert = ["--cert", "/etc/ssl/certs/ca-certificates.crt"] if os.path.exists("/etc/ssl/certs/ca-certificates.crt") else []
    subprocess.check_call([sys.executable, "-m", "pip", "install", *cert, *args])
PY

dest=$work/ansible_collections/homelab/immich
mkdir -p "$dest"
# The files git tracks plus new ones it does not ignore; the collections/ link loop stays out.
(cd "$repo" && git ls-files -co --exclude-standard -z | grep -zv '^collections/' | xargs -0 -I{} cp --parents -P {} "$dest/")
cd "$dest"
"$venv/bin/ansible-test" sanity --venv --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --color no "$@"
