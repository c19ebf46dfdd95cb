"""The database objects behind search, created by migration 0008 and invisible to the ORM models.

SQLite: ``articles_fts``, an external-content FTS5 table over ``articles(title, text)`` (so the text is
stored once), kept in sync by three triggers; FTS5 keeps its index in shadow tables
``articles_fts_data``, ``_idx``, ``_docsize`` and ``_config``.

PostgreSQL: ``articles.search_vector``, a stored generated tsvector (title weighted A, text D, accents
folded by ``newswatch_fold``) with the GIN index ``ix_articles_search_vector``.

The models do not declare these (the column is PostgreSQL-only and FTS5 tables are not tables SQLAlchemy
can describe), so the schema comparison excludes exactly these names and nothing else.
"""

# SQL here is built only from this package's constants and numbered placeholders; user text is always
# a bound parameter (see query_syntax), hence:
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

FTS_TABLE = "articles_fts"
FTS_SHADOW_TABLES = frozenset(
    f"{FTS_TABLE}{suffix}" for suffix in ("", "_data", "_idx", "_docsize", "_config")
)
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_articles_search_vector"
FOLD_FUNCTION = "newswatch_fold"
TS_CONFIG = "english"
TOKENIZER = "porter unicode61 remove_diacritics 2"

SQLITE_UPGRADE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, text, content='articles', content_rowid='id', "
    f"tokenize='{TOKENIZER}')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON articles BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON articles BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF title, text ON articles BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
SQLITE_DOWNGRADE = (
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

# Accents are folded by Unicode decomposition (NFD) and removing combining marks: both built-in and
# IMMUTABLE, so no extension (unaccent) and no superuser is needed, and a generated column may use it.
POSTGRES_FOLD = (
    f"CREATE FUNCTION {FOLD_FUNCTION}(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "RETURN regexp_replace(normalize(value, NFD), '[\\u0300-\\u036f]', '', 'g')"
)
POSTGRES_VECTOR = (
    f"setweight(to_tsvector('{TS_CONFIG}'::regconfig, {FOLD_FUNCTION}(title)), 'A') || "
    f"setweight(to_tsvector('{TS_CONFIG}'::regconfig, {FOLD_FUNCTION}(text)), 'D')"
)
POSTGRES_UPGRADE = (
    POSTGRES_FOLD,
    # Adding a stored generated column rewrites the table once: that is the backfill of existing rows.
    f"ALTER TABLE articles ADD COLUMN {VECTOR_COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({POSTGRES_VECTOR}) STORED",
    f"CREATE INDEX {VECTOR_INDEX} ON articles USING gin ({VECTOR_COLUMN})",
)
POSTGRES_DOWNGRADE = (
    f"DROP INDEX IF EXISTS {VECTOR_INDEX}",
    f"ALTER TABLE articles DROP COLUMN IF EXISTS {VECTOR_COLUMN}",
    f"DROP FUNCTION IF EXISTS {FOLD_FUNCTION}(text)",
)


def include_in_schema_comparison(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: skip only the search objects named above.

    They exist in the database but not in the models by design; everything else is still compared.
    """
    if type_ == "table" and name in FTS_SHADOW_TABLES:
        return False
    if (
        type_ == "column"
        and name == VECTOR_COLUMN
        and getattr(getattr(obj, "table", None), "name", "") == "articles"
    ):
        return False
    return not (type_ == "index" and name == VECTOR_INDEX)
