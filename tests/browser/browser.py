"""Headless Chromium from Debian's packages (`chromium`, `chromium-driver`), driven by
selenium with the binaries named, so selenium-manager never looks for or downloads one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def chromium() -> webdriver.Chrome:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("headless Chromium is missing: apt-get install chromium chromium-driver "
                    "(.ci/run installs them)")
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager: never download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=zh-CN", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                            options=options)


def full_screenshot(driver: webdriver.Chrome, path: Path) -> None:
    """The whole page, not only the window: grow the window to the page, then shoot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1400, min(max(height + 40, 700), 4000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)


def have_chromium() -> bool:
    return bool(shutil.which(str(CHROMIUM)) and shutil.which(str(CHROMEDRIVER)))
