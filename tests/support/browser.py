"""Headless Chromium for the browser tests: Debian's chromium and chromium-driver, nothing downloaded.

The paths are those of Debian's packages. GitHub's Ubuntu runners link the same two paths to the
Chromium and ChromeDriver of their image (.github/workflows/ci.yml), so the tests find a browser
there too.
"""

from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = settings.BASE_DIR / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]
WAIT_SECONDS = 10


@contextmanager
def chromium():
    """Start headless Chromium from Debian's packages; fail, never skip, when it is missing."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: apt-get install chromium chromium-driver (`make test` does this).",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with pytest.MonkeyPatch.context() as env:
        # Given the driver's path, Selenium skips Selenium Manager; were it ever asked, it must
        # neither download a browser or driver nor report usage.
        env.setenv("SE_OFFLINE", "true")
        env.setenv("SE_AVOID_STATS", "true")
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@contextmanager
def screenshot_on_failure(driver, name):
    """Save what the browser showed, then let the failure through."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.html").write_text(driver.page_source)
        raise
