"""What the per-role tests share: the running testbed's environment."""
import os
import re
import subprocess

import pytest

TESTBED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       'tests', 'testbed', 'testbed')


def _testbed_env():
    """The testbed's exports (KUBECONFIG, TESTBED_DIR, ...) when its control plane runs, else None."""
    try:
        status = subprocess.run([TESTBED, 'status'], capture_output=True, text=True, timeout=30, check=False)
        if 'control plane: running' not in status.stdout:
            return None
        out = subprocess.run([TESTBED, 'env'], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    env = {}
    for line in out.splitlines():
        match = re.match(r'export (\w+)=(.*)$', line.strip())
        if match and match.group(1) != 'PATH':
            env[match.group(1)] = match.group(2).strip('"\'')
    return env


@pytest.fixture(scope='session')
def testbed_env():
    """The running testbed's exports; the test fails when the testbed is not up."""
    env = _testbed_env()
    if not env:
        pytest.fail('the testbed is not running (make testbed-up)')
    return env
