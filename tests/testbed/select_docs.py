"""Filter a multi-document YAML stream (stdin to stdout) by kind or by CRD name.

    select_docs.py --kind Stage                        every document of that kind
    select_docs.py --crd clusters.postgresql.cnpg.io   those CustomResourceDefinitions

kwok's upstream stage kustomizations also carry a StorageClass and RBAC objects, which a kwokctl
--config file must not contain; the CNPG release manifest carries every CRD of the operator.
"""
import argparse
import sys

import yaml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", action="append", default=[])
    parser.add_argument("--crd", action="append", default=[])
    args = parser.parse_args()
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    picked = [d for d in docs if d.get("kind") in args.kind
              or (d.get("kind") == "CustomResourceDefinition" and d["metadata"]["name"] in args.crd)]
    if not picked:
        sys.exit("select_docs: nothing on stdin matches %s" % (args.kind + args.crd))
    yaml.safe_dump_all(picked, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
