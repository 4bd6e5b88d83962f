"""Count a table's rows cheaply: exactly when it is small, from the server's statistics when it is big."""

from django.db import connections, router

# Below this many rows (by the estimate) an exact COUNT(*) is cheap enough for every page view.
EXACT_BELOW = 10_000
# The planner's statistics for a list of tables: PostgreSQL's reltuples is -1 until a table is first analysed.
ESTIMATES_SQL = {
    "postgresql": (
        "SELECT relname, reltuples::bigint FROM pg_class "
        "WHERE relname IN ({tables}) AND relkind IN ('r', 'p') AND pg_table_is_visible(oid)"
    ),
    "mysql": (
        "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({tables})"
    ),
}


def fresh_table_statistics(sender, connection, **kwargs):
    """On MySQL 8, read current table statistics: information_schema caches them for a day by default.

    Without this, TABLE_ROWS can say 0 long after a bulk load (so every view counts exactly) or stay
    high after a mass delete. MariaDB has no such cache (and no such variable).
    """
    if connection.vendor == "mysql" and not connection.mysql_is_mariadb:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION information_schema_stats_expiry = 0")


def row_counts(models, using):
    """Return {model: (rows, is_estimate)} for models on `using`: one statistics query, one COUNT query for the rest."""
    connection = connections[using]
    sql = ESTIMATES_SQL.get(connection.vendor)
    estimates = {}
    if sql:
        tables = [model._meta.db_table for model in models]
        with connection.cursor() as cursor:
            cursor.execute(sql.format(tables=", ".join(["%s"] * len(tables))), tables)
            estimates = dict(cursor.fetchall())

    def estimated(model):
        estimate = estimates.get(model._meta.db_table)
        return int(estimate) if estimate is not None and estimate >= EXACT_BELOW else None

    small = [model for model in models if estimated(model) is None]
    exact = dict(zip(small, exact_counts(connection, [model._meta.db_table for model in small]), strict=True))
    return {model: (exact[model], False) if model in exact else (estimated(model), True) for model in models}


def exact_counts(connection, tables):
    """Return COUNT(*) of each table, in one query: the whole table's rows, as the estimates count them."""
    if not tables:
        return []
    quote = connection.ops.quote_name
    # Quoted table names from the models, no input.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return list(cursor.fetchone())


def row_count(model, using=None):
    """Return (rows, is_estimate) for model's table on `using`, else the database the router reads it from."""
    using = using or router.db_for_read(model)
    return row_counts([model], using)[model]
