# -*- coding: utf-8 -*-
# Copyright (c) homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the shapes of role inputs: Kubernetes names and quantities, image references, hosts,
addresses, ports and endpoints. One definition each, used by every role's tasks/validate.yml."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
# A DNS name as Kubernetes' DNS-1123 subdomain (object names) and as a host name (labels of letters, digits, '-').
_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
_HOST_LABEL = re.compile(r'^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$')
# Kubernetes' resource.Quantity: a decimal number with an optional binary (Ki..Ei) or decimal (n..E) suffix.
_QUANTITY = re.compile(r'^(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$')
# An image repository: optional registry host[:port], then lower-case path components (the distribution spec).
_REPOSITORY = re.compile(r'^([a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+|__[a-z0-9]+)*'
                         r'(/[a-z0-9]+([._-][a-z0-9]+|__[a-z0-9]+)*)*$')
_TAG = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$')
_DIGEST = re.compile(r'^sha256:[0-9a-f]{64}$')
_EXTENDED_RESOURCE = re.compile(r'^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$')
_SEMVER_TAG = re.compile(r'^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$')
_POSTGRES_IDENTIFIER = re.compile(r'^[a-z_][a-z0-9_]{0,62}$')


def _text(value):
    return value if isinstance(value, str) else None


def k8s_label(value, max_length=63, letter_first=False):
    """A DNS-1123 label (namespaces, Services, CNPG Clusters): at most ``max_length`` characters;
    ``letter_first`` for names that must start with a letter (Service names, RFC 1035)."""
    text = _text(value)
    return bool(text and len(text) <= max_length and _LABEL.match(text) and (not letter_first or text[0].isalpha()))


def k8s_name(value):
    """A DNS-1123 subdomain: the name of most Kubernetes objects (Secrets, PVCs, StorageClasses)."""
    text = _text(value)
    return bool(text and len(text) <= 253 and _SUBDOMAIN.match(text))


def k8s_quantity(value, units=None):
    """A Kubernetes quantity such as 20Gi or 512Mi; ``units`` restricts the suffixes (e.g. [Mi, Gi, Ti])."""
    text = _text(value)
    match = _QUANTITY.match(text) if text else None
    if not match:
        return False
    return units is None or match.group('suffix') in units


def image_repository(value):
    """An image repository without tag or digest (the role adds the tag)."""
    text = _text(value)
    return bool(text and _REPOSITORY.match(text))


def image_reference(value, pinned=True):
    """repository[:tag][@sha256:digest]; ``pinned``: a tag other than latest, or a digest, is required."""
    text = _text(value)
    if not text:
        return False
    name, _sep, digest = text.partition('@')
    if digest and not _DIGEST.match(digest):
        return False
    repository, tag = name, ''
    last = name.rsplit('/', 1)[-1]
    if ':' in last:
        repository, tag = name.rsplit(':', 1)
        if not _TAG.match(tag):
            return False
    if not image_repository(repository):
        return False
    return not pinned or bool(digest) or (bool(tag) and tag != 'latest')


def host(value):
    """A host name (labels of letters, digits and '-') or an IP address, without scheme, port or path."""
    text = _text(value)
    if not text:
        return False
    if ip_address(text.strip('[]') if text.startswith('[') else text):
        return True
    labels = text[:-1].split('.') if text.endswith('.') else text.split('.')
    return len(text) <= 253 and all(_HOST_LABEL.match(label) for label in labels) and not text.replace('.', '').isdigit()


def dns_name(value):
    """A fully qualified lower-case DNS name such as photos.example.org (at least one dot)."""
    text = _text(value)
    return bool(text and len(text) <= 253 and '.' in text and _SUBDOMAIN.match(text) and not text.rsplit('.', 1)[1][0].isdigit())


def ip_address(value, version=None):
    text = _text(value)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return version is None or address.version == version


def ip_network(value):
    """An address or a CIDR network (host bits may be set, as in 192.168.10.1/24)."""
    text = _text(value)
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def zero_network(value):
    """A network whose address (its first prefix bits) is 0, such as 0.0.0.0/0, 0.0.0.0/8 or ::/0: TrueNAS 25.10 and
    later refuse these as all-networks entries (plugins/nfs_/validators.py sanitize_networks)."""
    text = _text(value)
    try:
        return int(ipaddress.ip_network(text, strict=False).network_address) == 0
    except ValueError:
        return False


def tcp_port(value, allow_zero=False):
    if isinstance(value, bool):
        return False
    try:
        port = int(value)
    except (TypeError, ValueError):
        return False
    return (0 if allow_zero else 1) <= port <= 65535 and str(value).strip().isdigit()


def semver_tag(value):
    """A release tag vX.Y.Z."""
    text = _text(value)
    return bool(text and _SEMVER_TAG.match(text))


def postgres_identifier(value):
    """A lower-case Postgres identifier (unquoted: at most 63 characters)."""
    text = _text(value)
    return bool(text and _POSTGRES_IDENTIFIER.match(text))


def extended_resource(value):
    """An extended resource name such as nvidia.com/gpu."""
    text = _text(value)
    return bool(text and _EXTENDED_RESOURCE.match(text))


_CRON_ALIASES = ('@yearly', '@monthly', '@weekly', '@daily', '@hourly', '@minutely')
_CRON_MONTHS = ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec')
_CRON_DAYS = ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat')
# (lowest, highest, names) of second, minute, hour, day of month, month, day of week.
_CRON_FIELDS = ((0, 59, ()), (0, 59, ()), (0, 23, ()), (1, 31, ()), (1, 12, _CRON_MONTHS), (0, 7, _CRON_DAYS))
_CRON_ITEM = re.compile(r'^(?P<start>[*]|[0-9]+|[a-z]{3})(-(?P<end>[0-9]+|[a-z]{3}))?(/(?P<step>[0-9]+))?$')


def _cron_value(text, lowest, highest, names):
    if text.isdigit():
        number = int(text)
    elif text in names:
        number = names.index(text) + (1 if names is _CRON_MONTHS else 0)
    else:
        return None
    return number if lowest <= number <= highest else None


def _cron_field(text, lowest, highest, names):
    for item in text.split(','):
        match = _CRON_ITEM.match(item)
        if not match:
            return False
        start, end, step = match.group('start'), match.group('end'), match.group('step')
        if step is not None and int(step) < 1:
            return False
        if start == '*':
            if end is not None:
                return False
            continue
        first = _cron_value(start, lowest, highest, names)
        last = first if end is None else _cron_value(end, lowest, highest, names)
        if first is None or last is None or first > last:
            return False
    return True


def immich_cron(value):
    """A cron expression Immich's own parser (the `cron` npm package, 4.3.5 in Immich 2.5.5, 4.4.0 in 3.1.0: `new
    CronJob(expression)`) accepts: 5 fields, or 6 with seconds first; *, numbers in range (leading zeros allowed),
    three-letter month and weekday names in any case, upward a-b ranges, /steps of at least 1, comma lists; or one of
    the aliases. Not ?, L, W, #, @annually, @midnight nor @reboot. tests/unit/immich/test_cron_check.py holds the
    table, checked against both real servers."""
    text = _text(value)
    if text is None:
        return False
    text = text.strip().lower()
    if text.startswith('@'):
        return text in _CRON_ALIASES
    fields = text.split()
    if len(fields) not in (5, 6):
        return False
    specs = _CRON_FIELDS if len(fields) == 6 else _CRON_FIELDS[1:]
    return all(_cron_field(field, *spec) for field, spec in zip(fields, specs))


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
        return {
            'k8s_label': k8s_label,
            'k8s_name': k8s_name,
            'k8s_quantity': k8s_quantity,
            'image_repository': image_repository,
            'image_reference': image_reference,
            'host': host,
            'dns_name': dns_name,
            'ip_address': ip_address,
            'ip_network': ip_network,
            'zero_network': zero_network,
            'tcp_port': tcp_port,
            'semver_tag': semver_tag,
            'postgres_identifier': postgres_identifier,
            'extended_resource': extended_resource,
            'endpoint_url': endpoint_url,
            'immich_cron': immich_cron,
        }
