"""PostgreSQL: the article search planned and run by the server, in one statement.

A search had made eight round trips before loading the articles it found: a savepoint, the
table's size, the planner's estimate of the matches (EXPLAIN), the plan settings, the search (twice
when the newest ids held too few matches) and the savepoint's rollback. On 100,000 real articles
they were 1.7 ms of the 8 ms median. `article_search_ids` makes the same choices in the server,
with the same costs, which the caller passes (bot.store.articles: SEARCH_WINDOW, FILTER_COST,
POSTING_COST, FIRST_SPAN_WINDOWS, FIRST_SPAN_SHARE):
- `article_search_choice`: from the estimated matches, the table's rows and its first and last
  id, whether to walk the newest rows testing each vector (newest_first) or to read the matches
  from the GIN index, first above an id floor (floor_id; null: every id at once);
- `article_search_plan`: that choice for a query's words (null newest_first: the table was never
  analyzed, and the planner chooses alone);
- `article_search_ids`: the ids of the best `n` of the newest `search_window` matches, ranked.

The plan settings it switches off (the other way to search, and the scan of the whole table) hold
for the function's own statements only: its SET clauses restore them when it returns. Its searches
are dynamic statements, planned for the query's own words every time. SQLite has nothing to create.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COSTS = (
    "search_window integer, filter_cost float8, posting_cost float8, span_windows float8, "
    "span_share float8"
)

_CHOICE = f"""
CREATE FUNCTION article_search_choice(
    matches float8, table_rows float8, first_id bigint, last_id bigint, {_COSTS},
    OUT newest_first boolean, OUT floor_id bigint)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    ids float8 := last_id - first_id + 1;
    span float8 := span_share * (last_id - first_id + 1);
BEGIN
    -- walking tests window * rows / matches vectors; the index reads every match's posting and
    -- fetches at most span_windows windows of rows (the first floor's)
    newest_first := matches > 0 AND filter_cost * search_window * table_rows / matches
        < posting_cost * matches + least(matches, span_windows * search_window);
    floor_id := NULL;
    IF NOT newest_first THEN
        IF matches > 0 THEN
            span := least(span, span_windows * search_window * ids / matches);
        END IF;
        IF span >= search_window THEN
            floor_id := last_id - ceil(span)::bigint;
        END IF;
    END IF;
END $$
"""

_PLAN = f"""
CREATE FUNCTION article_search_plan(
    q text, {_COSTS}, OUT newest_first boolean, OUT floor_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    table_rows float8;
    first_id bigint;
    last_id bigint;
    plan json;
BEGIN
    SELECT reltuples INTO table_rows FROM pg_class WHERE oid = to_regclass('articles');
    IF table_rows IS NULL OR table_rows <= 0 THEN  -- never analyzed
        RETURN;
    END IF;
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM articles'
        ' WHERE search_vector @@ plainto_tsquery(''english'', $1)' INTO plan USING q;
    SELECT min(id), max(id) INTO first_id, last_id FROM articles;
    SELECT c.newest_first, c.floor_id INTO newest_first, floor_id
    FROM article_search_choice((plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8, table_rows,
        first_id, last_id, search_window, filter_cost, posting_cost, span_windows,
        span_share) AS c;
END $$
"""

_SEARCH = f"""
CREATE FUNCTION article_search_ids(q text, n integer, {_COSTS})
RETURNS bigint[]
LANGUAGE plpgsql
SET enable_bitmapscan FROM CURRENT
SET enable_indexscan FROM CURRENT
SET enable_seqscan FROM CURRENT
AS $$
DECLARE
    chosen record;
    found bigint[];
    ranked bigint;
    search text := 'SELECT array_agg(id ORDER BY rank DESC, id DESC), max(ranked) FROM ('
        'SELECT id, ts_rank(search_vector, plainto_tsquery(''english'', $1)) AS rank,'
        ' count(*) OVER () AS ranked FROM (SELECT id, search_vector FROM articles'
        ' WHERE search_vector @@ plainto_tsquery(''english'', $1) AND id > $4'
        ' ORDER BY id DESC LIMIT $3) AS hit ORDER BY rank DESC, id DESC LIMIT $2) AS best';
BEGIN
    chosen := article_search_plan(q, search_window, filter_cost, posting_cost, span_windows,
        span_share);
    IF chosen.newest_first IS NOT NULL THEN
        PERFORM set_config(CASE WHEN chosen.newest_first THEN 'enable_bitmapscan'
            ELSE 'enable_indexscan' END, 'off', true);
        PERFORM set_config('enable_seqscan', 'off', true);
    END IF;
    IF chosen.floor_id IS NOT NULL THEN  -- the newest ids first: enough if they hold the window
        EXECUTE search INTO found, ranked USING q, n, search_window, chosen.floor_id;
        IF ranked = search_window THEN
            RETURN found;
        END IF;
    END IF;
    EXECUTE search INTO found, ranked USING q, n, search_window, -1::bigint;
    RETURN coalesce(found, '{{}}');
END $$
"""

_SIGNATURES = (
    "article_search_ids(text, integer, integer, float8, float8, float8, float8)",
    "article_search_plan(text, integer, float8, float8, float8, float8)",
    "article_search_choice(float8, float8, bigint, bigint, integer, float8, float8, float8, "
    "float8)",
)


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in (_CHOICE, _PLAN, _SEARCH):
            op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for signature in _SIGNATURES:
            op.execute(f"DROP FUNCTION {signature}")
