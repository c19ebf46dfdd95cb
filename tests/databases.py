"""Which databases a test runs on.

Every test taking ``database_url`` runs on SQLite and on PostgreSQL. End-to-end transcripts whose
database code is already covered on both databases (by the store, dispatch and command tests) take
``sqlite_only``: there the second database adds minutes to the suite and no coverage. A test of a
PostgreSQL feature takes ``postgresql_only`` (it is never generated for SQLite, so nothing skips).
"""

import pytest

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
postgresql_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
