"""Write (or, with --check, verify) the variables section of each role's README from meta/argument_specs.yml.

The section between the two markers below is generated; the rest of each README is written by hand.
`make docs` rewrites the sections; tests/unit/controller/test_role_readmes.py fails when one is out of date.
"""
import argparse
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEGIN = '<!-- BEGIN generated from meta/argument_specs.yml by tests/docs/role_readmes.py; do not edit -->'
END = '<!-- END generated -->'


def _cell(text):
    return ' '.join(str(text).split()).replace('|', '\\|')


def _default(option):
    if 'default' not in option:
        return '(site-level)' if option.get('_site') else '(none)'
    if option.get('no_log'):
        return '(secret)'
    return '`%s`' % _cell(json.dumps(option['default']))


def section(role):
    with open(os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml')) as stream:
        specs = yaml.safe_load(stream)['argument_specs']
    lines = [BEGIN, '']
    for entry, spec in specs.items():
        title = 'Variables' if entry == 'main' else 'Variables of the `%s` entry point (`tasks_from: %s`)' % (entry, entry)
        lines += ['## %s' % title, '', _cell(spec.get('short_description', '')), '',
                  '| variable | type | default | description |', '|---|---|---|---|']
        for name, option in (spec.get('options') or {}).items():
            option = dict(option, _site=name.startswith('homelab_immich_'))
            kind = option.get('type', 'str') + ('/%s' % option['elements'] if option.get('elements') else '')
            if option.get('choices'):
                kind += ': ' + ', '.join(str(c) for c in option['choices'])
            description = option.get('description', '')
            if isinstance(description, list):
                description = ' '.join(description)
            lines.append('| `%s` | %s | %s | %s |' % (name, _cell(kind), _default(option), _cell(description)))
        lines.append('')
    lines.append(END)
    return '\n'.join(lines) + '\n'


def render(text, role):
    generated = section(role)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + generated.rstrip('\n') + tail
    return text.rstrip('\n') + '\n\n' + generated


def roles():
    base = os.path.join(ROOT, 'roles')
    return sorted(r for r in os.listdir(base) if os.path.exists(os.path.join(base, r, 'meta', 'argument_specs.yml')))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--check', action='store_true', help='fail when a README is out of date instead of writing it')
    args = parser.parse_args(argv)
    stale = []
    for role in roles():
        path = os.path.join(ROOT, 'roles', role, 'README.md')
        current = open(path).read() if os.path.exists(path) else ''
        wanted = render(current, role)
        if wanted != current:
            stale.append(path)
            if not args.check:
                with open(path, 'w') as stream:
                    stream.write(wanted)
    if args.check and stale:
        print('out of date (run make docs): %s' % ', '.join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
