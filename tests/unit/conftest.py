"""Shared pytest setup: make ``ansible_collections.homelab.immich`` importable from this checkout."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# collections/ansible_collections/homelab/immich links back to the checkout root.
sys.path.insert(0, os.path.join(ROOT, "collections"))
# tests.emulators.* is imported as a package from the checkout root.
sys.path.insert(0, ROOT)
