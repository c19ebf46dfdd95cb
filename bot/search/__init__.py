"""Ranked full-text search of the stored archive, and fast newest-first listings.

``query_syntax`` parses the user's words into a small tree (never passed raw to a database);
``schema`` names the database objects that back the search (FTS5 table and triggers on SQLite, a stored
tsvector and GIN index on PostgreSQL); ``engine`` runs a bounded, paged, ranked search; ``listing`` pages
stories newest first.
"""
