"""Find, and with --fix clear, references by id into another database that point at no row.

Every ForeignKey whose model and target live on different databases is checked (found from the
models), and every integer field named in settings.DATABASE_REFERENCES. The referencing ids are read
in batches from their index, in order, and each batch is looked up in one query on the target's
database: memory stays constant and each side sees one query per batch, whatever the table sizes.

It also reports a target table whose next id is at or below the highest id still referenced
(after `flush` or a fresh database): a new row would take over those references. --fix moves the
table's id sequence past them.

References that settings.DATABASE_REFERENCES_KEEP names are history: their ids may point at rows
deleted long ago, so they are reported but never cleared, and their ids are still kept from reuse.
"""

import time

from django.core.management.base import CommandError
from django.db import DatabaseError, connections, router, transaction

from routers.connectivity import describe, redact
from routers.management.base import OfflineChecksCommand
from routers.references import BATCH_SIZE, bounded_transaction, cross_database_references, root_of

# The next id a table hands out, and how to move it past `highest`, per engine.
NEXT_ID_SQL = {
    "sqlite": "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
    "COALESCE((SELECT MAX({pk}) FROM {table}), 0)) + 1",
    "postgresql": "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {sequence}",
    # MySQL 8 caches this for information_schema_stats_expiry (a day): next_id_of() sets it to 0.
    "mysql": "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
}


class Command(OfflineChecksCommand):
    help = (
        "Report references by id into another database that point at no row (exit 1 if any), and id "
        "sequences that would hand referenced ids out again. --fix clears those ids and moves the sequences."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="null the dangling ids and move the sequences")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"ids per query (default {BATCH_SIZE})")

    def handle(self, *args, fix, batch_size, **options):
        needing_fix = []
        for reference in cross_database_references():
            started = time.perf_counter()
            try:
                dangling_rows, dangling_ids, highest = self.check_reference(reference, batch_size, fix)
                behind = self.check_sequence(reference.target, highest, fix)
            except DatabaseError as exc:
                message = str(exc)
                aliases = (router.db_for_write(reference.model), router.db_for_write(reference.target))
                for alias in aliases:
                    message = redact(alias, message)
                where = " and ".join(describe(alias) for alias in dict.fromkeys(aliases))
                raise CommandError(f"{reference}, reading {where}: {message.strip()}") from exc
            verb = "cleared" if fix and not reference.kept else "point at no row"
            if reference.kept:
                verb += " (history: kept)"
            self.stdout.write(
                f"{reference}: {dangling_rows} rows ({dangling_ids} ids) {verb}; highest id referenced: "
                f"{'none' if highest is None else highest}; {time.perf_counter() - started:.2f} s"
            )
            if behind:
                self.stdout.write(behind)
            if ((dangling_rows and not reference.kept) or behind) and not fix:
                needing_fix.append(str(reference))
        if needing_fix:
            raise CommandError(f"Run `manage.py references --fix` for {', '.join(needing_fix)}.")

    def check_reference(self, reference, batch_size, fix):
        """Walk the referencing ids in order, batch by batch; return (dangling rows, dangling ids, highest id)."""
        # The databases rows are written to, never a replica: a lagging copy would show false dangling ids.
        alias, target_alias = router.db_for_write(reference.model), router.db_for_write(reference.target)
        column = reference.column
        referencing = reference.model._base_manager.using(alias)
        ids_in_order = referencing.exclude(**{column: None}).order_by(column).values_list(column, flat=True)
        targets = reference.target._base_manager.using(target_alias)
        dangling_rows = dangling_ids = 0
        last = highest = None
        while True:
            page = ids_in_order.filter(**{f"{column}__gt": last}) if last is not None else ids_in_order
            batch = list(page.distinct()[:batch_size])
            if not batch:
                return dangling_rows, dangling_ids, highest
            last = highest = batch[-1]
            found = set(targets.filter(pk__in=batch).values_list("pk", flat=True))
            missing = [pk for pk in batch if pk not in found]
            if missing:
                dangling_ids += len(missing)
                rows = referencing.filter(**{f"{column}__in": missing})
                if fix and not reference.kept:
                    with bounded_transaction(alias):
                        dangling_rows += rows.update(**{column: None})
                else:
                    dangling_rows += rows.count()

    def check_sequence(self, target, highest, fix):
        """Say if target's next id is at or below `highest` (a referenced id); with fix, move it past."""
        if highest is None:
            return ""
        target = root_of(target)  # a multi-table child's ids come from its topmost parent's table
        alias = router.db_for_write(target)
        next_id = next_id_of(target, alias)
        if next_id is None or next_id > highest:
            return ""
        where = f"{target._meta.label} on {describe(alias, where=False)}"
        if not fix:
            return f"  {where}: the next new row gets id {next_id}, which is still referenced (up to {highest})."
        move_past(target, alias, highest)
        return f"  {where}: ids now start after {highest}."


def next_id_of(model, alias):
    """Return the id the alias's table for model hands out next, or None for an engine we cannot ask."""
    connection = connections[alias]
    table, pk = model._meta.db_table, model._meta.pk.column
    sql = NEXT_ID_SQL.get(connection.vendor)
    if sql is None:
        return None
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            (sequence,) = cursor.fetchone()
            cursor.execute(sql.format(sequence=sequence))
        elif connection.vendor == "sqlite":
            cursor.execute(sql.format(pk=quote(pk), table=quote(table)), [table])
        else:
            if not connection.mysql_is_mariadb:  # MySQL 8 answers from a cache up to a day old otherwise
                cursor.execute("SET SESSION information_schema_stats_expiry = 0")
            cursor.execute(sql, [table])
        row = cursor.fetchone()
    return row[0] if row else None


def move_past(model, alias, highest):
    """Make the alias's table for model hand out ids above `highest` from now on; never move it back."""
    # Rows inserted since next_id_of() read the sequence may have moved it past `highest` already:
    # each statement takes the greater of the two, so a concurrent insert's id is never handed out again.
    connection = connections[alias]
    table, pk = model._meta.db_table, model._meta.pk.column
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # the write lock is held from here: nothing moves underneath
            cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [highest, table])
            if not cursor.rowcount:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest])
        elif connection.vendor == "postgresql":
            # Inserts wait until the transaction ends: none takes an id between the read and setval().
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(
                "SELECT setval(seq, GREATEST(%s, COALESCE(pg_sequence_last_value(seq), 0))) "
                "FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) AS serial",
                [highest, table, pk],
            )
        elif connection.vendor == "mysql":
            # InnoDB never sets AUTO_INCREMENT below MAX(id) + 1; the greater of the two keeps it from going back.
            next_id = max(int(highest) + 1, next_id_of(model, alias) or 0)
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} AUTO_INCREMENT = {next_id}")
