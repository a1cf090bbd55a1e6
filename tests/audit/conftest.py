"""The viewer's and the API's personas, and a clean audit queue for every test.

Writes happen only on `writer.flush()` here (AUDIT_BACKGROUND_WRITES is off in the test
settings), so each test sees exactly the records its own requests made.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from profileviewer.audit import writer
from tests.api.conftest import api  # noqa: F401 (fixtures)
from tests.export.conftest import sandbox_url  # noqa: F401 (fixtures)
from tests.viewer.conftest import (  # noqa: F401 (fixtures)
    agent,
    alice,
    stub_client,
    upstream,
)


@pytest.fixture(autouse=True)
def _empty_audit_queue() -> Iterator[None]:
    writer.discard()  # what earlier tests' views queued belongs to their databases
    yield
    writer.discard()
