"""The staff console in a real browser (issue 20): headless Chromium against the five
services and the console, each its own process, on the real broker and database.

Staff sign in with user name and password (the local identity provider's directory);
everything they do goes through the console's pages; only what hospitals and the
prepayment desk do outside the console is sent over the services' HTTP APIs directly.
Each test leaves a screenshot in docs/console/ (shown in docs/console.md).
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from contracts import clearing as cl
from contracts import encounter as enc
from contracts import envelope, wire
from contracts.actor import Role
from infra import staff
from infra.services import CONSOLE, ServiceProcess, free_port
from ops.demo import world as w
from ops.demo.client import get_json, post_json
from tests.browser.browser import chromium, full_screenshot
from tests.support.identity import bearer
from tests.support.processes import ROOT, stack_fixture
from tests.unit.encounter.samples import SAMPLE
from tests.unit.settlement.factories import file_claim

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("WIC_SCREENSHOTS") or ROOT / ".local" / "screenshots")
"""Where each test leaves its page's screenshot: `.local/screenshots/` on every run (the
tree stays clean); `make screenshots` points it at docs/console/ to refresh the docs."""
RUN = uuid.uuid4().hex[:6]
PASSWORD = "Secret-" + RUN
HOSPITAL = w.HOSPITAL[w.ZIBO]
CYCLE = cl.cycle_id("2024-05", w.ZIBO, w.QINGDAO)
PEOPLE = {  # user: (name, roles, regions)
    "clerk": ("张伟", (Role.REGISTRATION_CLERK,), (w.QINGDAO,)),
    "reviewer": ("王强", (Role.REGISTRATION_REVIEWER,), (w.QINGDAO,)),
    "claims": ("李娜", (Role.CLAIMS_REVIEWER,), (w.SHANDONG,)),
    "officer": ("陈静", (Role.CLEARING_OFFICER,), (w.ZIBO,)),
    "finance": ("赵敏", (Role.FINANCE,), (w.SHANDONG,)),
    "ops": ("孙磊", (Role.OPERATOR, Role.AUDITOR), (w.SHANDONG,)),
}

stack = stack_fixture(SAMPLE)


def user(name: str) -> str:
    return f"{name}.{RUN}"


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("identity") / "staff.json"
    for name, (shown, roles, regions) in PEOPLE.items():
        staff.add(user(name), PASSWORD, [r.value for r in roles], regions, name=shown,
                  where=where)
    return where


def start_console(stack: dict[str, ServiceProcess], directory: Path, log_dir: Path,
                  **urls: str) -> ServiceProcess:
    env = {f"WIC_CONSOLE_{n.upper()}_URL": urls.get(n, p.url) for n, p in stack.items()}
    first = next(iter(stack.values()))
    return ServiceProcess(CONSOLE, first.prefix, first.database_url, first.bootstrap,
                          log_dir, port=free_port(),
                          extra_env={**env, "WIC_STAFF_DIRECTORY": str(directory)}).start(30)


@pytest.fixture(scope="module")
def console(stack: dict[str, ServiceProcess], directory: Path, log_dir: Path
            ) -> Iterator[ServiceProcess]:
    proc = start_console(stack, directory, log_dir)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def worker() -> w.Worker:
    return w.Cast(seed=uuid.uuid4().int % 10_000).worker(w.QINGDAO, "console")


def sign_in(browser: WebDriver, console: ServiceProcess, name: str, password: str = PASSWORD,
            then: str = "/") -> None:
    browser.delete_all_cookies()
    browser.get(f"{console.url}/signin?next={then}")
    browser.find_element(By.ID, "user").send_keys(user(name))
    browser.find_element(By.ID, "password").send_keys(password)
    click(browser, "signin")


def fill(browser: WebDriver, form: str, values: dict[str, str]) -> None:
    scope = browser.find_element(By.ID, form) if form else browser
    for field, value in values.items():
        box = scope.find_element(By.NAME, field)
        if box.tag_name == "select":
            box.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
        else:
            browser.execute_script("arguments[0].value = arguments[1]", box, value)


def click(browser: WebDriver, element_id: str) -> None:
    """Click a submit button and wait for the answer page (the old page goes stale)."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, element_id).click()

    def replaced(_driver: WebDriver) -> bool:
        # Chromium may say a node "does not belong to the document" instead of "stale"
        try:
            old.is_enabled()
        except WebDriverException:  # StaleElementReferenceException is one too
            return True
        return False
    WebDriverWait(browser, 30).until(replaced)


def text(browser: WebDriver, css: str) -> str:
    """The element's text, "" when the page has no such element (yet)."""
    found = browser.find_elements(By.CSS_SELECTOR, css)
    return str(found[0].text) if found else ""


def until(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if got := check():
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def reload_until(browser: WebDriver, url: str, what: str, check: Callable[[], bool],
                 timeout: float = 60.0) -> None:
    """The pages read read models, which catch up with the log: ask again until it shows."""
    def again() -> bool:
        browser.get(url)
        return check()
    try:
        until(what, again, timeout)
    except AssertionError:
        raise AssertionError(f"{what}: {browser.current_url}\n{text(browser, 'body')}"
                             ) from None


def apply_form(worker: w.Worker, rid: str, treatment: str) -> dict[str, str]:
    return {"registration_id": rid, "worker_id": worker.worker_id,
            "social_security_card": worker.card, "confirmation_kind": "injury_determination",
            "confirmation_no": f"RD{RUN}", "confirmation_on": "2023-12-20",
            "registration_type": "long_term_residence", "insured_region": w.QINGDAO,
            "treatment_region": treatment, "business_day": "2024-01-10"}


def test_sign_in_in_chinese_and_english(browser: WebDriver, console: ServiceProcess) -> None:
    """Sign-in (issue 20 item 1): a wrong password is refused in words; the signed-in person
    is named on every page with their roles; English is one click away."""
    browser.get(f"{console.url}/registrations")  # not signed in: to the sign-in page
    assert "/signin" in browser.current_url and "登录" in browser.page_source
    full_screenshot(browser, SHOTS / "signin.png")
    sign_in(browser, console, "clerk", password="wrong")
    assert "用户名或密码不正确" in text(browser, "#notice")
    sign_in(browser, console, "clerk")
    who = text(browser, "#who")
    assert "张伟" in who and "备案经办" in who and w.QINGDAO in who
    assert browser.get_cookie("wic_token")["httpOnly"]  # type: ignore[index]
    browser.get(f"{console.url}/?lang=en")
    assert "Registrations" in text(browser, "nav") and "registration clerk" in text(browser,
                                                                                   "#who")
    browser.get(f"{console.url}/?lang=zh")
    assert "备案" in text(browser, "nav")


def test_clerk_applies_reviewer_approves_worker_page_shows_coverage(
        browser: WebDriver, console: ServiceProcess, worker: w.Worker) -> None:
    """SD-REG-1/SD-REG-3: a clerk applies, another person (a reviewer) approves, the
    worker's page shows the coverage window (SD-REG-4: 12 months) and the SD-REG-5 lock;
    the clerk, who lacks the reviewer role, is not shown the approve action."""
    rid = f"BA20240110{RUN.upper()}"
    sign_in(browser, console, "clerk", then="/registrations")
    fill(browser, "apply-form", apply_form(worker, rid, w.ZIBO))
    click(browser, "apply")
    assert f"/workers/{worker.worker_id}" in browser.current_url, text(browser, "main")
    assert "已受理" in text(browser, "#notice")
    row = f"#registrations tr[data-registration='{rid}']"
    reload_until(browser, browser.current_url, "the application on the worker's page",
                 lambda: bool(browser.find_elements(By.CSS_SELECTOR, row)))
    assert "待审核" in text(browser, f"{row} .status")
    assert not browser.find_elements(By.CSS_SELECTOR, "button.approve")  # no reviewer role

    sign_in(browser, console, "reviewer", then="/registrations")
    reload_until(browser, f"{console.url}/registrations", "the review queue",
                 lambda: rid in text(browser, "#queue"))
    assert not browser.find_elements(By.ID, "apply-form")  # a reviewer does not apply
    full_screenshot(browser, SHOTS / "registrations.png")
    browser.get(f"{console.url}/workers/{worker.worker_id}")
    fill(browser, "", {"business_day": "2024-01-11"})
    click(browser, f"approve-{rid}")
    assert "已受理" in text(browser, "#notice")
    reload_until(browser, browser.current_url, "the approval on the worker's page",
                 lambda: "已批准" in text(browser, f"{row} .status"))
    assert text(browser, f"{row} .validity") == "2024-01-10 — 2025-01-09"  # SD-REG-4
    assert "2024-04-10" in text(browser, row)  # SD-REG-5: changeable from three months on
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline svg rect")
    full_screenshot(browser, SHOTS / "worker.png")


def test_refusal_in_words_form_kept(browser: WebDriver, console: ServiceProcess,
                                    worker: w.Worker) -> None:
    """Bad input: the service's refusal is shown in words (SD-REG-8: no registration for
    treatment at the insured place) and what the clerk typed is still in the form."""
    sign_in(browser, console, "clerk", then="/registrations")
    rid = f"BA20240112{RUN.upper()}"
    fill(browser, "apply-form", apply_form(worker, rid, w.QINGDAO))
    click(browser, "apply")
    notice = text(browser, "#notice")
    assert "服务拒绝" in notice and "treatment_at_insured_place" in notice, notice
    assert "就医地与参保地相同" in notice
    form = browser.find_element(By.ID, "apply-form")
    assert form.find_element(By.NAME, "registration_id").get_attribute("value") == rid
    full_screenshot(browser, SHOTS / "refused.png")


def test_service_down_keeps_the_form(stack: dict[str, ServiceProcess], directory: Path,
                                     log_dir: Path, browser: WebDriver,
                                     worker: w.Worker) -> None:
    """Nothing is lost when a service is down: a clear message, the form kept, no 500."""
    dead = start_console(stack, directory, log_dir,
                         registration=f"http://127.0.0.1:{free_port()}")
    try:
        sign_in(browser, dead, "clerk", then="/registrations")
        assert "服务暂不可用" in text(browser, "#notice")  # the queue cannot be read
        rid = f"BA20240113{RUN.upper()}"
        fill(browser, "apply-form", apply_form(worker, rid, w.ZIBO))
        click(browser, "apply")
        assert "服务暂不可用" in text(browser, "#notice")
        form = browser.find_element(By.ID, "apply-form")
        assert form.find_element(By.NAME, "registration_id").get_attribute("value") == rid
        assert form.find_element(By.NAME, "worker_id").get_attribute("value") == \
            worker.worker_id
        full_screenshot(browser, SHOTS / "service-down.png")
        browser.get(f"{dead.url}/workers/{worker.worker_id}")
        assert "服务暂不可用" in text(browser, "#notice") and "500" not in browser.title
    finally:
        dead.stop()


def hospital(stack: dict[str, ServiceProcess], cmd: enc.Command, when: Any) -> None:
    body = {"type": cmd.message_type, "schema_version": cmd.version,
            "occurred_at": when.isoformat(), "payload": cmd.model_dump(mode="json")}
    status, answer = post_json(f"{stack['encounter'].url}/hospital/messages", body,
                               token=f"sample-token-{HOSPITAL}", timeout=30)
    assert status == 200, answer


def test_discharge_appears_with_its_lines(browser: WebDriver, console: ServiceProcess,
                                          stack: dict[str, ServiceProcess],
                                          worker: w.Worker) -> None:
    """SD-ENC-1: a Zibo hospital admits, charges and discharges the worker; the claims
    reviewer sees the encounter with each line's fund / self / employer amounts and the
    reason codes with their rule ids (SD-ENC-5: a line not related to the injury)."""
    no = f"ZY20240506{RUN.upper()}"
    common = dict(institution_id=HOSPITAL, encounter_no=no, worker_id=worker.worker_id)
    admitted = w.at(date(2024, 5, 6), 8)
    hospital(stack, enc.RecordAdmission(
        message_id=f"{no}-1", **common, social_security_card=worker.card,
        insured_region=worker.insured_region, care_type=enc.CareType.INPATIENT,
        admitted_at=admitted, diagnosis_code="S82.201"), admitted)
    for n, related in ((1, True), (2, False)):
        line = enc.ChargeLine(line_no=n, catalog_kind=enc.CatalogKind.MEDICAL_ITEM,
                              item_code="MI-002", quantity=Decimal(1), unit_price_fen=12000,
                              amount_fen=12000, service_date=date(2024, 5, 7),
                              injury_related=related)
        hospital(stack, enc.RecordChargeLine(message_id=f"{no}-{n + 1}", **common, line=line),
                 w.at(date(2024, 5, 7), 10))
    out = w.at(date(2024, 5, 15), 16)
    hospital(stack, enc.RecordDischarge(message_id=f"{no}-9", **common, discharged_at=out), out)

    sign_in(browser, console, "claims", then=f"/encounters?worker_id={worker.worker_id}")
    reload_until(browser, browser.current_url, "the encounter in the list",
                 lambda: "已出院" in text(browser, "#encounters"))
    full_screenshot(browser, SHOTS / "encounters.png")
    browser.get(str(browser.find_element(By.CSS_SELECTOR, "#encounters a")
                    .get_attribute("href")))
    reload_until(browser, browser.current_url, "the settlement of the encounter",
                 lambda: bool(browser.find_elements(By.ID, "revisions")))
    first, second = (f"#lines tr[data-line='{n}']" for n in (1, 2))
    assert text(browser, f"{first} .fund") != "0.00"
    assert text(browser, f"{second} .fund") == "0.00"
    reason = browser.find_element(By.CSS_SELECTOR, f"{second} .reason")
    assert reason.get_attribute("data-code") == "not_injury_related"
    assert "SD-ENC-5" in reason.text and "与工伤无关" in reason.text
    assert str(browser.find_element(By.ID, "slip").get_attribute("href")).endswith(".pdf")
    full_screenshot(browser, SHOTS / "encounter.png")


def cookie_get(browser: WebDriver, url: str) -> tuple[int, str]:
    token = browser.get_cookie("wic_token")["value"]  # type: ignore[index]
    req = urllib.request.Request(url, headers={"Cookie": f"wic_token={token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.headers.get("Content-Type", "")


def test_clearing_officer_confirms_a_cycle(browser: WebDriver, console: ServiceProcess,
                                           stack: dict[str, ServiceProcess]) -> None:
    """SD-FUND-2: Zibo's clearing officer closes the May cycle with Qingdao and confirms it
    for Zibo; the statement file downloads as the officer; finance reads the statement
    but is not shown the clearing actions."""
    until(f"cycle {CYCLE}", lambda: any(c["cycle_id"] == CYCLE for c in get_json(
        f"{stack['clearing'].url}/cycles?month=2024-05",
        token=bearer(Role.CLEARING_OFFICER))[1]))
    sign_in(browser, console, "officer", then="/clearing?month=2024-05")
    assert CYCLE in text(browser, "#cycles")
    full_screenshot(browser, SHOTS / "cycles.png")
    browser.get(str(browser.find_element(By.CSS_SELECTOR, f"#cycles tr[data-cycle='{CYCLE}'] a")
                    .get_attribute("href")))
    fill(browser, "", {"on": "2024-06-03"})
    click(browser, "close")
    assert "已受理" in text(browser, "#notice")
    page = browser.current_url.split("?")[0]
    reload_until(browser, page, "the cycle closed",
                 lambda: text(browser, "#cycle-status") == "已关闭")
    assert not browser.find_elements(By.ID, f"confirm-{w.QINGDAO}")  # not Qingdao's officer
    for box in browser.find_elements(By.CSS_SELECTOR, "input[name=on]"):
        browser.execute_script("arguments[0].value = '2024-06-05'", box)
    click(browser, f"confirm-{w.ZIBO}")
    assert "已受理" in text(browser, "#notice")
    reload_until(browser, page, "Zibo's confirmation",
                 lambda: w.ZIBO in text(browser, "#confirmed"))
    assert cookie_get(browser, f"{page}/statement.csv") == (200, "text/csv; charset=utf-8")
    full_screenshot(browser, SHOTS / "cycle.png")

    sign_in(browser, console, "finance", then=page.removeprefix(console.url))
    assert browser.find_elements(By.ID, "statement-lines")
    assert not browser.find_elements(By.ID, "cycle-actions")  # finance: no clearing role


def test_overdue_claim_is_marked(browser: WebDriver, console: ServiceProcess,
                                 stack: dict[str, ServiceProcess], worker: w.Worker) -> None:
    """XM-17: a complete claim filed in February 2024 is past its 15-working-day review
    deadline by June; the board marks it overdue, lists missing documents, and offers the
    review to the claims reviewer but not to finance."""
    claim_id = f"LX{RUN.upper()}"
    cmd = file_claim(claim_id, worker=worker.worker_id).model_copy(
        update={"insured_region": w.QINGDAO})
    env = envelope.new(cmd, key=worker.worker_id, source="desk", occurred_at=w.at(
        date(2024, 2, 5)))
    status, body = post_json(f"{stack['settlement'].url}/commands",
                             json.loads(wire.encode(env)),
                             token=bearer(Role.CLAIMS_REVIEWER), timeout=30)
    assert status == 201 and body["events"], body  # the claim recorded (XM-17 clock set)
    sign_in(browser, console, "claims", then="/claims?as_of=2024-06-28")
    row = f"#claims tr[data-claim='{claim_id}']"
    reload_until(browser, browser.current_url, "the claim on the board",
                 lambda: bool(browser.find_elements(By.CSS_SELECTOR, row)))
    assert "overdue" in str(browser.find_element(By.CSS_SELECTOR, row).get_attribute("class"))
    assert "已逾期" in text(browser, row)
    assert browser.find_elements(By.CSS_SELECTOR, f"{row} button.review")
    full_screenshot(browser, SHOTS / "claims.png")
    browser.get(f"{console.url}/claims?as_of=2024-02-06")  # the day after: not yet overdue
    assert "已逾期" not in text(browser, row)

    sign_in(browser, console, "finance", then="/claims?as_of=2024-06-28")
    assert not browser.find_elements(By.CSS_SELECTOR, f"{row} button.review")


def test_prepayment_positions_chart(browser: WebDriver, console: ServiceProcess,
                                    stack: dict[str, ServiceProcess]) -> None:
    """SD-FUND-1: a prepayment funded by Shandong at Jiangsu shows with its warning line, in
    the table and as a chart of the balance over time."""
    cmd = cl.FundPrepayment(prepayment_id=f"PP{RUN}", insured_province=w.SHANDONG,
                            treatment_province=w.JIANGSU, amount_fen=50_000_000,
                            funded_on=date(2024, 3, 1))
    env = envelope.new(cmd, key=f"{w.SHANDONG}|{w.JIANGSU}", source="desk",
                       occurred_at=w.at(date(2024, 3, 1)))
    status, body = post_json(f"{stack['clearing'].url}/commands", json.loads(wire.encode(env)),
                             token=bearer(Role.FINANCE), timeout=30)
    assert status == 201 and body["events"], body  # posted on the ledger
    sign_in(browser, console, "finance", then="/clearing/prepayments?month=2024-06")
    account = f"prepayment:{w.SHANDONG}@{w.JIANGSU}"
    reload_until(browser, browser.current_url, "the prepayment position",
                 lambda: account in text(browser, "#prepayments"))
    assert browser.find_elements(By.CSS_SELECTOR, "#chart svg polyline")
    assert browser.find_elements(By.CSS_SELECTOR, "#chart svg line.warning-line")
    full_screenshot(browser, SHOTS / "prepayments.png")


def test_operator_sees_dead_letters_lag_and_audit(browser: WebDriver,
                                                  console: ServiceProcess) -> None:
    """Operators: the refused application of the earlier test is a dead letter with its
    reason; consumer lag and the audit trail (who did what) are on the same page; a
    clerk is not shown the page at all."""
    sign_in(browser, console, "ops", then="/operators")
    reload_until(browser, browser.current_url, "the dead letter of the refused application",
                 lambda: "treatment_at_insured_place" in text(browser, "#dead-letters"))
    assert browser.find_elements(By.CSS_SELECTOR, "#dead-letters button.redrive")
    assert f"staff:{user('reviewer')}" in text(browser, "#audit")
    assert browser.find_elements(By.ID, "lag")
    full_screenshot(browser, SHOTS / "operators.png")

    sign_in(browser, console, "clerk", then="/operators")
    assert "没有权限查看此页面" in text(browser, "#notice")
    assert not browser.find_elements(By.ID, "nav-operators")
