-- Version 1: the layout of cx-pipeline 0.1.0, the last release before schema versions were
-- recorded. Nothing to change; a warehouse found with tables and no audit.schema_versions is
-- at this version.
SELECT 1;
