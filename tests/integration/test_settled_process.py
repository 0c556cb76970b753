"""What a serving process has done before its first request (``bootstrap.settle_collector``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Run in a process of its own: the tests before it have configured the mappers already.
_SETTLE = """
from rma.adapters.orm import mapper_registry
from rma.bootstrap import bootstrap, settle_collector
bootstrap()
before = all(m.configured for m in mapper_registry.mappers)
settle_collector()
after = all(m.configured for m in mapper_registry.mappers)
print(before, after, len(mapper_registry.mappers))
"""


def test_a_settled_process_has_configured_its_mappers(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RMA_DATABASE_URL": f"sqlite:///{tmp_path / 'rma.db'}",
        "RMA_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", _SETTLE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    before, after, count = done.stdout.split()
    # Not configured when mapped; configured once settled, before any request needs them.
    assert (before, after) == ("False", "True")
    assert int(count) > 30
