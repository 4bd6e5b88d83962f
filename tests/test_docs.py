"""The README and docs/: links and anchors resolve, quoted code matches its file, no machine paths.

Every fenced code block in README.md and docs/*.md says what it is:

- A block that quotes project code carries `<!-- quote: path/from/the/repository/root -->` on the
  line just before its fence. The block must appear in that file verbatim, as one run of lines.
  A line that is exactly `...`, or a comment that starts with `# ...` (`# ... in paginate():`),
  stands for lines left out. The pieces between such lines must appear in the file in the order
  the block gives them, each piece one run of lines, at its own indentation (a method may be
  quoted without its class's indent).
- A block of code that quotes nothing (a sketch, a recipe to adapt) carries `<!-- example -->`.
- ```console (a shell session) and ```text (output, a diagram, a file tree) need no marker.

Any other block, a bare ``` one included, without a marker fails `test_every_code_block_says_what_it_is`.

Measured figures (timings, rates, shares, the date of a run) live in docs/evidence.md, with their date,
machine and command. Other pages link there. Their prose may state only the settings and test bounds in
`CONFIGURED`, each on its own pages, and each checked against the file that sets it.
"""

import re
import textwrap
from collections import Counter

import pytest

from tests.support.processes import BASE_DIR

README = BASE_DIR / "README.md"
PAGES = [README, *sorted((BASE_DIR / "docs").glob("*.md"))]
# [text](target): web links are not checked; everything else names a file, a heading, or both.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home|tmp)/")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
HEADING = re.compile(r"^#{1,6} +(?P<text>.+?) *#* *$")
QUOTE = re.compile(r"^<!-- quote: (?P<path>\S+) -->$")
EXAMPLE = "<!-- example -->"
UNMARKED_LANGUAGES = {"console", "text"}
EVIDENCE = BASE_DIR / "docs" / "evidence.md"
NUMBER = r"\b\d[\d,]*(?:\.\d+)?"
MEASURED = re.compile(
    rf"{NUMBER} ?(?:µs|ms|s|sec|secs|min|h|seconds?|minutes?|hours?|req/s|rps|rows/s)\b"  # a time or a rate
    rf"|{NUMBER}-(?:second|minute|hour)\b"  # a 10-minute run
    rf"|{NUMBER} ?(?:%|×|x faster|x slower|times (?:as|faster|slower))"  # a share or a ratio
    r"|\b\d{4}-\d{2}-\d{2}(?!\d)|\b\d{1,2}:\d{2}(?::\d{2})? UTC\b"  # when a run happened
)
# Figures outside evidence.md that are set, not measured. Each phrase, as its pages write it (line breaks
# count as spaces), is allowed on those pages only, and the file that sets its value must say so.
LOCK_TIMEOUT_SET = ("routers/references.py", r"^LOCK_TIMEOUT = 2$")
BUSY_TIMEOUT_SET = ("config/settings/base.py", r'"timeout": 20,')
CONNECT_TIMEOUT_SET = ("config/settings/base.py", r'env\.int\("DB_CONNECT_TIMEOUT", default=2\)')
CONFIGURED = {
    "a 2 s lock timeout": (["README.md"], *LOCK_TIMEOUT_SET),
    "`LOCK_TIMEOUT` (2 s)": (["patterns.md"], *LOCK_TIMEOUT_SET),
    "at most 2 s for a row lock": (["commands.md"], *LOCK_TIMEOUT_SET),
    "fails after 2 s": (["patterns.md", "testing.md"], *LOCK_TIMEOUT_SET),
    "a 20 s `timeout`": (["patterns.md"], *BUSY_TIMEOUT_SET),
    "a 20 s busy timeout": (["testing.md"], *BUSY_TIMEOUT_SET),
    "2 s for MySQL and PostgreSQL (`DB_CONNECT_TIMEOUT`)": (["patterns.md"], *CONNECT_TIMEOUT_SET),
    "(`DB_CONNECT_TIMEOUT`, 2 s)": (["deployment.md"], *CONNECT_TIMEOUT_SET),
    # What a naive check would report for a cut-off replica, quoted: no value of the project's, set nowhere.
    '"0 s behind"': (["patterns.md"], None, None),
    "left alone for 5 s": (["patterns.md"], "routers/replicas.py", r'setting\("REPLICA_RETRY_AFTER", 5\)'),
    "within 2.5 s": (["deployment.md"], "tests/test_deploy_gunicorn.py", r"< 2\.5$"),
    "60 s to start with": (["deployment.md"], "config/settings/production.py", r"SECURE_HSTS_SECONDS.*default=60\)"),
    "for 1 to 6 s": (["testing.md"], "tests/consistency/nemesis.py", r"^HOLD = \(1\.0, 6\.0\)"),
    "6 s before the end": (["testing.md"], "tests/consistency/run.py", r"^MAX_LAG = 3\b[\s\S]*^TAIL = MAX_LAG \+ 3\b"),
    "29 s under WSGI": (["testing.md"], "tests/test_consistency.py", r'\("wsgi", \d+, 29\)'),
    "18 s under ASGI": (["testing.md"], "tests/test_consistency.py", r'\("asgi", \d+, 18\)'),
    "has a 10-minute run": (["testing.md"], "Makefile", r"^DURATION \?= 600$"),
    "(10 min)": (["testing.md"], ".github/workflows/ci.yml", r"^    timeout-minutes: 10$"),
    "(20 min)": (["testing.md"], ".github/workflows/ci.yml", r"^    timeout-minutes: 20$"),
}


class Block:
    """One fenced code block of a page: its language, its marker, its dedented lines."""

    def __init__(self, page, line, end, info, marker, lines):
        self.page, self.line, self.end, self.info, self.marker = page, line, end, info, marker
        self.lines = textwrap.dedent("\n".join(lines)).splitlines()

    def __repr__(self):
        return f"{self.page.name}:{self.line}"


def code_blocks(page):
    """Return the fenced code blocks of a Markdown page, each with the line just before its fence.

    A block's line and end are the line numbers (from 1) of its opening and closing fences.
    """
    lines = page.read_text().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        marker = lines[index - 1].strip() if index else ""
        body, index = [], index + 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index][indent:] if not lines[index][:indent].strip() else lines[index].lstrip())
            index += 1
        blocks.append(Block(page, index - len(body), index + 1, opening["info"].strip(), marker, body))
        index += 1
    return blocks


def is_gap(line):
    """Return True for a line of a quote that stands for lines left out."""
    return line.strip() == "..." or line.strip().startswith("# ...")


def find_piece(piece, file_lines, start):
    """Return the index after piece's last line in file_lines, searching from start; None if absent.

    The piece may sit at any indentation in the file, the same for all its lines.
    """
    first = piece[0]
    for index in range(start, len(file_lines) - len(piece) + 1):
        candidate = file_lines[index]
        if not candidate.endswith(first) or candidate[: len(candidate) - len(first)].strip():
            continue
        indent = candidate[: len(candidate) - len(first)]
        if all(
            (file_lines[index + offset] == indent + line) if line else not file_lines[index + offset].strip()
            for offset, line in enumerate(piece)
        ):
            return index + len(piece)
    return None


def stale_lines(quote_lines, file_text):
    """Return the first piece of a quote that its file does not hold, in order; [] when it is all there."""
    file_lines = [line.rstrip() for line in file_text.splitlines()]
    pieces, piece = [], []
    for line in [line.rstrip() for line in quote_lines]:
        if is_gap(line):
            pieces.append(piece)
            piece = []
        else:
            piece.append(line)
    pieces.append(piece)
    position = 0
    for piece in pieces:
        while piece and not piece[0]:
            piece = piece[1:]
        while piece and not piece[-1]:
            piece = piece[:-1]
        if not piece:
            continue
        position = find_piece(piece, file_lines, position)
        if position is None:
            return piece
    return []


def slug(heading):
    """Return GitHub's anchor for a heading's Markdown text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text).lower()
    text = "".join(char for char in text if char.isalnum() or char in "-_ ")
    return text.replace(" ", "-")


def anchors(page):
    """Return the anchors of a page's headings, duplicates numbered as GitHub numbers them."""
    fenced = {line for block in code_blocks(page) for line in range(block.line, block.end + 1)}
    seen, result = Counter(), set()
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        heading = HEADING.match(line)
        if heading and number not in fenced:
            base = slug(heading["text"])
            result.add(f"{base}-{seen[base]}" if seen[base] else base)
            seen[base] += 1
    return result


def relative_links(page):
    """Yield (file, anchor) for each link of a page that is not a web link; file is page for '#anchor'."""
    for target in LINK.findall(page.read_text()):
        if not target.startswith(("http://", "https://", "mailto:")):
            path, _, anchor = target.partition("#")
            yield (page.parent / path if path else page), anchor


ALL_BLOCKS = [block for page in PAGES for block in code_blocks(page)]
QUOTES = [block for block in ALL_BLOCKS if QUOTE.match(block.marker)]


def test_the_readme_fits_in_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_docs_exist():
    assert len(PAGES) > 1


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_names_a_file_that_exists(page):
    missing = [str(path) for path, _ in relative_links(page) if not path.exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_anchor_names_a_heading_of_its_page(page):
    broken = [
        f"{path.name}#{anchor}"
        for path, anchor in relative_links(page)
        if anchor and path.suffix == ".md" and path.exists() and anchor not in anchors(path)
    ]
    assert broken == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_no_page_names_a_path_of_the_machine_it_was_written_on(page):
    assert MACHINE_PATH.findall(page.read_text()) == []


def unmarked(blocks):
    """Return the blocks that need a marker and have none, as page:line ```language."""
    return [
        f"{block!r} ```{block.info}"
        for block in blocks
        if block.info not in UNMARKED_LANGUAGES and block.marker != EXAMPLE and not QUOTE.match(block.marker)
    ]


def test_every_code_block_says_what_it_is():
    assert unmarked(ALL_BLOCKS) == [], "mark each with <!-- quote: path --> or <!-- example --> (tests/test_docs.py)"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_marker_stands_just_before_a_fence(page):
    lines = page.read_text().splitlines()
    loose = [
        f"{page.name}:{number}"
        for number, line in enumerate(lines, start=1)
        if (QUOTE.match(line.strip()) or line.strip() == EXAMPLE)
        and (number == len(lines) or not FENCE.match(lines[number]))
    ]
    assert loose == []


def test_the_docs_quote_code():
    assert len(QUOTES) >= 10


@pytest.mark.parametrize("block", QUOTES, ids=repr)
def test_every_quote_matches_the_file_it_names(block):
    path = BASE_DIR / QUOTE.match(block.marker)["path"]
    assert path.is_file(), f"{block!r} quotes {path.relative_to(BASE_DIR)}, which does not exist"
    assert any(line.strip() and not is_gap(line) for line in block.lines), f"{block!r} quotes nothing"
    assert stale_lines(block.lines, path.read_text()) == [], f"{block!r} no longer matches {path.name}"


SOURCE = '''\
class Router:
    def allow_migrate(self, db, app_label, **hints):
        """Say where."""
        if replicas.is_replica(db):
            return False
        alias = self.alias_of(app_label)
        return db == alias
'''


@pytest.mark.parametrize(
    "quote",
    [
        # Dedented from the class; blank lines and indentation as in the file.
        """
        def allow_migrate(self, db, app_label, **hints):
            \"\"\"Say where.\"\"\"
            if replicas.is_replica(db):
                return False
        """,
        # Lines left out, as `...` or a `# ...` comment.
        """
        def allow_migrate(self, db, app_label, **hints):
            ...
            return db == alias
        """,
        """
        class Router:
            # ... in allow_migrate():
            alias = self.alias_of(app_label)
        """,
    ],
)
def test_a_quote_that_matches_its_file_passes(quote):
    assert stale_lines(textwrap.dedent(quote).splitlines(), SOURCE) == []


@pytest.mark.parametrize(
    ("quote", "stale"),
    [
        # The replica guard left out: the quote is no longer one run of the file's lines.
        (
            """
            def allow_migrate(self, db, app_label, **hints):
                \"\"\"Say where.\"\"\"
                alias = self.alias_of(app_label)
            """,
            [
                "def allow_migrate(self, db, app_label, **hints):",
                '    """Say where."""',
                "    alias = self.alias_of(app_label)",
            ],
        ),
        # A line changed in the file since it was quoted.
        ("return db in alias", ["return db in alias"]),
        # The pieces around a gap out of order.
        ("return db == alias\n...\nclass Router:", ["class Router:"]),
        # One piece at two indentations is not a run of the file's lines.
        ("if replicas.is_replica(db):\nreturn False", ["if replicas.is_replica(db):", "return False"]),
    ],
)
def test_a_stale_quote_fails(quote, stale):
    assert stale_lines(textwrap.dedent(quote).strip("\n").splitlines(), SOURCE) == stale


def test_a_stale_quote_in_a_page_fails(tmp_path):
    """End to end: a page whose quote of routers/router.py lacks the replica guard is caught."""
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- quote: routers/router.py -->\n"
        "```python\n"
        "def allow_migrate(self, db, app_label, model_name=None, **hints):\n"
        '    """Create each app\'s tables on its own alias and nowhere else (never on a replica)."""\n'
        "    alias = self.route_app_labels.get(app_label)\n"
        "```\n"
    )
    [block] = code_blocks(page)
    assert QUOTE.match(block.marker)["path"] == "routers/router.py"
    assert stale_lines(block.lines, (BASE_DIR / "routers/router.py").read_text()) != []


def test_an_unmarked_block_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nx = 1\n```\n\n<!-- example -->\n```python\ny = 2\n```\n\n"
        "```\nbare\n```\n\n```console\n$ make\n```\n\n```text\noutput\n```\n"
    )
    assert unmarked(code_blocks(page)) == ["page.md:1 ```python", "page.md:10 ```"]


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("19. Third-party apps across databases", "19-third-party-apps-across-databases"),
        ("Migrating every database: `migrate_all`", "migrating-every-database-migrate_all"),
        ("CI on GitHub (*validated only*)", "ci-on-github-validated-only"),
        ("Persistent connections or a pool?", "persistent-connections-or-a-pool"),
        ("8. Clear references, outside SQLite's lock", "8-clear-references-outside-sqlites-lock"),
        ("[Links](x.md) and <b>tags</b> give their text", "links-and-tags-give-their-text"),
    ],
)
def test_slugs_follow_github(heading, anchor):
    assert slug(heading) == anchor


def test_duplicate_headings_are_numbered(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# A\n\n## Notes\n\n```text\n# Notes\n```\n\n## Notes\n\n## Notes\n")
    assert anchors(page) == {"a", "notes", "notes-1", "notes-2"}


def test_a_missing_anchor_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## Here\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#here) [gone](other.md#there) [self](#page) [no](#nowhere)\n\n# Page\n")
    links = [(path.name, anchor) for path, anchor in relative_links(page)]
    assert links == [("other.md", "here"), ("other.md", "there"), ("page.md", "page"), ("page.md", "nowhere")]
    assert [anchor for path, anchor in relative_links(page) if anchor not in anchors(path)] == ["there", "nowhere"]


def prose(page):
    """Return a page's text outside fenced code blocks, each run of whitespace one space."""
    fenced = {line for block in code_blocks(page) for line in range(block.line, block.end + 1)}
    lines = [line for number, line in enumerate(page.read_text().splitlines(), start=1) if number not in fenced]
    return " ".join(" ".join(lines).split())


def measured_figures(text, configured=()):
    """Return (figure, context) for each figure in text that looks measured; the configured phrases left out."""
    for phrase in configured:
        text = text.replace(phrase, " ")
    return [(found[0], text[max(0, found.start() - 40) : found.end() + 10]) for found in MEASURED.finditer(text)]


@pytest.mark.parametrize("page", [page for page in PAGES if page != EVIDENCE], ids=lambda page: page.name)
def test_measured_figures_live_in_evidence_md(page):
    configured = [phrase for phrase, (pages, *_) in CONFIGURED.items() if page.name in pages]
    found = measured_figures(prose(page), configured)
    assert found == [], "move it to docs/evidence.md, with its date, machine and command, and link there"


def test_each_configured_phrase_is_on_its_pages_and_set_where_it_says():
    text = {page.name: prose(page) for page in PAGES}
    for phrase, (pages, path, setting) in CONFIGURED.items():
        assert [page for page in pages if phrase not in text[page]] == [], phrase
        if path:
            assert re.search(setting, (BASE_DIR / path).read_text(), flags=re.MULTILINE), f"{phrase}: {path} changed"


def test_measured_figures_are_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "A full scan took 0.32 s, the index\n0.005 s; 1,324 req/s, 67,093 rows/s, 73% of bare Django,\n"
        "8 min 36 s in all, on 2026-12-03 at 15:02 UTC, with a 2 s lock timeout.\n"
        "Then 350 µs, 3× faster, 2.5 times as fast, a 10-minute run, 2026-12-04T09:00Z, 09:00:11 UTC.\n\n"
        "```console\n$ make bench   # about 7 minutes\n```\n"
    )
    found = [figure for figure, _ in measured_figures(prose(page), ["a 2 s lock timeout"])]
    times = ["0.32 s", "0.005 s", "1,324 req/s", "67,093 rows/s", "73%", "8 min", "36 s"]
    later = ["350 µs", "3×", "2.5 times as", "10-minute", "2026-12-04", "09:00:11 UTC"]
    assert found == [*times, "2026-12-03", "15:02 UTC", *later]  # not the lock timeout, nor the fenced block


def test_machine_paths_are_found():
    assert MACHINE_PATH.findall("see /work/main/README.md and tests/support/") == ["/work/"]


def test_block_lines_are_recorded(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("- item:\n\n  <!-- example -->\n  ```python\n  if x:\n      y()\n  ```\n")
    [block] = code_blocks(page)
    assert (block.line, block.end, block.marker, block.lines) == (4, 7, EXAMPLE, ["if x:", "    y()"])
