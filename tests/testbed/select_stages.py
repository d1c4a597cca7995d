"""Keep only the kwok Stage documents of a multi-document YAML stream (stdin to stdout).

kwok's upstream stage kustomizations also carry a StorageClass and RBAC objects, which a kwokctl
--config file must not contain.
"""
import sys

import yaml

stages = [d for d in yaml.safe_load_all(sys.stdin) if d and d.get("kind") == "Stage"]
if not stages:
    sys.exit("select_stages: no Stage documents on stdin")
yaml.safe_dump_all(stages, sys.stdout, sort_keys=False)
