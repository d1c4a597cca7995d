# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs homelab.immich.truenas_nfs_info in the worker process on a local connection (see plugin_utils/in_worker.py)."""
from __future__ import annotations
from ansible_collections.homelab.immich.plugins.plugin_utils.in_worker import InWorkerModuleAction as ActionModule  # noqa: F401 pylint: disable=unused-import
