"""Count a table's rows cheaply: exactly when it is small, from the server's statistics when it is big."""

from django.db import connections, router

# Below this many rows (by the estimate) an exact COUNT(*) is cheap enough for every page view.
EXACT_BELOW = 10_000
# The planner's statistics: PostgreSQL's reltuples is -1 until the table is first analysed.
ESTIMATE_SQL = {
    "postgresql": "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(quote_ident(%s))",
    "mysql": "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
}


def fresh_table_statistics(sender, connection, **kwargs):
    """On MySQL 8, read current table statistics: information_schema caches them for a day by default.

    Without this, TABLE_ROWS can say 0 long after a bulk load (so every view counts exactly) or stay
    high after a mass delete. MariaDB has no such cache (and no such variable).
    """
    if connection.vendor == "mysql" and not connection.mysql_is_mariadb:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION information_schema_stats_expiry = 0")


def row_count(model, using=None):
    """Return (rows, is_estimate) for model's table on `using`, else the database the router reads it from."""
    using = using or router.db_for_read(model)
    connection = connections[using]
    sql = ESTIMATE_SQL.get(connection.vendor)
    if sql:
        with connection.cursor() as cursor:
            cursor.execute(sql, [model._meta.db_table])
            row = cursor.fetchone()
        if row and row[0] is not None and row[0] >= EXACT_BELOW:
            return int(row[0]), True
    return model._default_manager.using(using).count(), False
