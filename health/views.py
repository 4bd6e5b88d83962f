"""Health endpoints: /health/live/ touches no database, /health/ asks every alias.

/health/ answers 200 "ok" when every database answers, 200 "degraded" naming the read replicas that
do not (reads go to the primary), and 503 "unavailable" naming the primaries that do not.
Aliases are checked in parallel, each bounded by its engine's connect timeout (see
ENGINE_OPTIONS in settings), so one unreachable server costs about that timeout, not
a request that hangs. The JSON names each alias and its engine, never a host or a
password; the driver's message goes to the log.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from routers.connectivity import VENDOR_NAMES, describe, redact
from routers.replicas import is_replica

logger = logging.getLogger(__name__)


def check_alias(alias):
    """Connect to the alias's database on a fresh connection and run SELECT 1."""
    # Runs in a worker thread, so `connections[alias]` is that thread's own connection.
    connection = connections[alias]
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health: database %s does not answer: %s", describe(alias), redact(alias, str(exc)))
        status = "unreachable"
    else:
        status = "ok"
    finally:
        connection.close()
    return {
        "status": status,
        "engine": VENDOR_NAMES.get(connection.vendor, connection.vendor),
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


@never_cache
def health(request):
    """Report each alias's status: 200 when all answer, 503 when any does not."""
    aliases = list(connections)
    with ThreadPoolExecutor(max_workers=len(aliases), thread_name_prefix="health") as pool:
        results = dict(zip(aliases, pool.map(check_alias, aliases), strict=True))
    failing = [alias for alias, result in results.items() if result["status"] != "ok"]
    # A replica down costs speed, not service: its reads go to the primary.
    degraded = [alias for alias in failing if is_replica(alias)]
    down = [alias for alias in failing if alias not in degraded]
    body = {
        "status": "unavailable" if down else "degraded" if degraded else "ok",
        "unavailable": down,
        "degraded": degraded,
        "databases": results,
    }
    return JsonResponse(body, status=503 if down else 200)


@never_cache
def live(request):
    """Say the process serves requests; no database is touched (for liveness probes and benchmarks)."""
    return JsonResponse({"status": "ok"})
