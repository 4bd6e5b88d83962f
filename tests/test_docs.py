"""The README and docs/ point at files that exist, and stay short and free of this machine's paths."""

import re

import pytest

from tests.support.processes import BASE_DIR

README = BASE_DIR / "README.md"
PAGES = [README, *sorted((BASE_DIR / "docs").glob("*.md"))]
# [text](target): relative targets only; web links and in-page anchors are not files.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home|tmp)/")


def relative_links(page):
    """Yield the link targets of a Markdown page that name a file of the project."""
    for target in LINK.findall(page.read_text()):
        if not target.startswith(("http://", "https://", "mailto:", "#")):
            yield target.split("#")[0]


def test_the_readme_fits_in_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_docs_exist():
    assert len(PAGES) > 1


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_names_a_file_that_exists(page):
    missing = [target for target in relative_links(page) if not (page.parent / target).exists()]
    assert missing == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_no_page_names_a_path_of_the_machine_it_was_written_on(page):
    assert MACHINE_PATH.findall(page.read_text()) == []
