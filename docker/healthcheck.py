"""Container healthcheck: exit 0 when gunicorn's /health/ answers 200 (standard library only).

Sends a Host header Django accepts (the first concrete name in DJANGO_ALLOWED_HOSTS), so the
check keeps working when localhost is not an allowed host.
"""

import http.client
import os
import sys


def allowed_host():
    """Return a host name that ALLOWED_HOSTS accepts; "localhost" for "*" or when unset."""
    for name in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        name = name.strip().lstrip(".")
        if name and "*" not in name:
            return name
    return "localhost"


def main():
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=10)
    try:
        connection.request("GET", "/health/", headers={"Host": allowed_host()})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
    except OSError as exc:
        print(f"/health/ did not answer: {exc}", file=sys.stderr)
        return 1
    if response.status != 200:
        print(f"/health/ answered {response.status}: {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
