"""The student flow in a real browser (Debian's chromium driven by Selenium): sign in with the
token, upload, watch the grading, read the report; practice without signing in."""

from __future__ import annotations

import pytest
from convgrade.exercises import generate
from convgrade.exercises.checking import check_exercise
from convgrade.exercises.feedback import render_question

from tests.grader.service.conftest import TINY, serving

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait_for(driver, css: str, timeout: float = 240, text: str = ""):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout, poll_frequency=0.2)
    try:
        if text:
            wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))
    except TimeoutException:
        body = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"no {text!r} in {css} at {driver.current_url}:\n{body}") from None


def test_student_signs_in_uploads_watches_and_reads_the_report(
    course_path, db_url, browser, tmp_path
):
    from selenium.webdriver.common.by import By

    mine = tmp_path / "my_model.py"
    mine.write_text(TINY)
    with serving(course_path, db_url) as srv:  # real grading, isolated like grade batch
        browser.get(srv.url + "/")
        browser.find_element(By.ID, "token").send_keys(srv.tokens["s3"])
        browser.find_element(By.ID, "signin").click()
        wait_for(browser, "#file", timeout=30)
        assert "s3" in browser.find_element(By.TAG_NAME, "header").text
        browser.find_element(By.ID, "file").send_keys(str(mine))
        browser.find_element(By.ID, "upload").click()
        wait_for(browser, "#status", timeout=30)
        assert "/submissions/" in browser.current_url
        # progress streams in live; the page then shows the outcome
        wait_for(browser, "#progress", text="epoch 1/1")
        wait_for(browser, "#result-status", text="ok")
        assert "training " in browser.find_element(By.ID, "progress").text
        assert "/ 10 points" in browser.find_element(By.ID, "points").text
        browser.find_element(By.ID, "report").click()
        wait_for(browser, "body", text="Confusion matrix", timeout=30)
        browser.get(srv.url + "/submissions")
        rows = browser.find_elements(By.CSS_SELECTOR, "#submissions tr")
        assert len(rows) == 2 and "my_model.py" in rows[1].text and "ok" in rows[1].text


def test_practice_in_the_browser_without_signing_in(course_path, db_url, browser):
    from selenium.webdriver.common.by import By

    with serving(course_path, db_url) as srv:
        browser.get(srv.url + "/practice?kind=output_size&seed=7&difficulty=2")
        assert browser.find_element(By.ID, "prompt").text.strip()
        browser.find_element(By.ID, "answer-size").send_keys("3")
        browser.find_element(By.ID, "check").click()
        shown = wait_for(browser, "#feedback", timeout=30).text
    ex = generate("output_size", seed=7, difficulty=2)
    expected = render_question(check_exercise(ex, {"size": "3"}), ex, solution=True)
    assert shown.split() == expected.split()  # the same diagnosis as grade practice
