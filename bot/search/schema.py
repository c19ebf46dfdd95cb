"""The database objects behind search, created by migrations 0008, 0009 and 0011, invisible to the ORM models.

SQLite: ``articles_fts``, an external-content FTS5 table over ``articles(title, text)`` (so the text is
stored once), kept in sync by three triggers; FTS5 keeps its index in shadow tables
``articles_fts_data``, ``_idx``, ``_docsize`` and ``_config``.

PostgreSQL: the GIN expression index ``ix_articles_search`` over ``VECTOR_EXPRESSION`` (title weighted
A, text D, accents folded by ``newswatch_fold``). Nothing but the index is stored: a GIN index keeps
lexemes and row pointers, not positions, which is about 300 bytes per article, where the stored
positional tsvector of 0008 (``search_vector``) cost about 1,200 more. Whatever needs positions or
weights (phrases) recomputes the vector for the few rows it reads; queries must spell the expression
exactly as the index does, hence the one constant.

Since 0011 PostgreSQL also stores ``rank_vector``, a generated positional tsvector over the title and
the first ``LEAD_CHARACTERS`` characters of the text only: ranking reads it instead of recomputing the
whole vector (which cost ~0.2 ms per article and dominated queries with hundreds of matches), and it
costs about 300 bytes per article where the whole positional vector cost about 1,200. Matching still
uses the full-text index, so a match whose words are only deeper in the text is found but ranks 0.

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
VECTOR_COLUMN = "search_vector"  # 0008's stored column, dropped by 0009
VECTOR_INDEX = "ix_articles_search_vector"  # 0008's index on that column, dropped by 0009
RANK_COLUMN = "rank_vector"  # 0011: title and lead, positional, what ranking reads
# Measured on the benchmark's articles: the stored vector costs about 90 bytes for the title plus 2.2
# per character of lead; 100 characters (about the first sentence) keeps everything stored beyond the
# text near 1 KB per article.
LEAD_CHARACTERS = 100
SEARCH_INDEX = "ix_articles_search"
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


def vector_expression(alias: str = "") -> str:
    """The indexed tsvector expression, optionally on a table alias (``a.title``, ``a.text``)."""
    prefix = f"{alias}." if alias else ""
    return (
        f"(setweight(to_tsvector('{TS_CONFIG}'::regconfig, {FOLD_FUNCTION}({prefix}title)), 'A') || "
        f"setweight(to_tsvector('{TS_CONFIG}'::regconfig, {FOLD_FUNCTION}({prefix}text)), 'D'))"
    )


POSTGRES_SEARCH_INDEX = f"CREATE INDEX {SEARCH_INDEX} ON articles USING gin ({vector_expression()})"
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


# Ranking and phrases now recompute the vector per row read, so the fold must be cheap: text whose
# every character is one byte (ASCII) has no accents and skips the decomposition. Same result.
POSTGRES_FOLD_ASCII_FIRST = (
    f"CREATE OR REPLACE FUNCTION {FOLD_FUNCTION}(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
    "PARALLEL SAFE RETURN CASE WHEN octet_length(value) = length(value) THEN value "
    "ELSE regexp_replace(normalize(value, NFD), '[\\u0300-\\u036f]', '', 'g') END"
)
# 0009: the index over the expression replaces the stored column. Dropping a column does not rewrite
# the table, so existing rows keep their old bytes until they are rewritten (``VACUUM FULL articles``);
# new rows never carry them.
POSTGRES_EXPRESSION_UPGRADE = (
    f"DROP INDEX IF EXISTS {VECTOR_INDEX}",
    f"ALTER TABLE articles DROP COLUMN IF EXISTS {VECTOR_COLUMN}",
    POSTGRES_FOLD_ASCII_FIRST,
    POSTGRES_SEARCH_INDEX,
)
POSTGRES_EXPRESSION_DOWNGRADE = (
    f"DROP INDEX IF EXISTS {SEARCH_INDEX}",
    POSTGRES_FOLD.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
    POSTGRES_UPGRADE[1],
    POSTGRES_UPGRADE[2],
)


# 0011: the ranking vector. Adding a stored generated column rewrites the table once (computing it for
# every existing row) and rebuilds its indexes, the GIN expression index included.
POSTGRES_RANK_VECTOR = (
    f"setweight(to_tsvector('{TS_CONFIG}'::regconfig, {FOLD_FUNCTION}(title)), 'A') || "
    f"setweight(to_tsvector('{TS_CONFIG}'::regconfig, {FOLD_FUNCTION}(left(text, {LEAD_CHARACTERS}))), 'D')"
)
POSTGRES_RANK_UPGRADE = (
    f"ALTER TABLE articles ADD COLUMN {RANK_COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({POSTGRES_RANK_VECTOR}) STORED",
)
POSTGRES_RANK_DOWNGRADE = (f"ALTER TABLE articles DROP COLUMN IF EXISTS {RANK_COLUMN}",)


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
        and name in (VECTOR_COLUMN, RANK_COLUMN)
        and getattr(getattr(obj, "table", None), "name", "") == "articles"
    ):
        return False
    return not (type_ == "index" and name in (VECTOR_INDEX, SEARCH_INDEX))
