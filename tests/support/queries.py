"""Read what captured SQL statements did."""

import re

# One column, no join, no parenthesis in FROM: each row's key, read from the ordering's index.
KEYS_ONLY = re.compile(
    r"SELECT (?:DISTINCT )?[^,()]+ AS [`\"]pk[`\"] FROM [^,()]+ ORDER BY [^()]+ LIMIT (\d+) OFFSET (\d+)"
)


def offset_windows(captured):
    """Return (limit, offset) of each captured statement with an OFFSET; None where it reads more than keys."""
    windows = []
    for query in captured.captured_queries:
        if "OFFSET" in query["sql"]:
            match = KEYS_ONLY.search(query["sql"])
            windows.append(tuple(map(int, match.groups())) if match else None)
    return windows
