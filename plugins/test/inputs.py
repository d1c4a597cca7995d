# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for inputs whose shape a regular expression cannot say clearly."""

from __future__ import annotations

from urllib.parse import urlsplit


def endpoint_url(value, schemes=('http', 'https')):
    """An endpoint as an S3 client wants it: scheme, host and optional port, nothing else (the bucket
    belongs in the destination path, not in the endpoint)."""
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        return False
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    del port
    return (parts.scheme in schemes and bool(parts.hostname) and '@' not in parts.netloc
            and parts.path in ('', '/') and not parts.query and not parts.fragment)


class TestModule(object):

    def tests(self):
        return {'endpoint_url': endpoint_url}
