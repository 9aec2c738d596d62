-- Version 2: audit.mart_builds records the digest of the settings a maintained mart's SQL reads
-- (marts/incremental.py), apart from the digest of its rule, so the build log says which of the
-- two changed. A warehouse without the table gets it, with the column, on its first build.
ALTER TABLE IF EXISTS audit.mart_builds ADD COLUMN IF NOT EXISTS settings VARCHAR;
