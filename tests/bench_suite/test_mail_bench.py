"""The mail figures' helpers: the messages bench/mail_bench.py times, the numbered wrk
script of M2 (every request a new message), and their rows in the report. No timing."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from app.mail.classifier import Kind, classify
from bench.mail_bench import AIM_CASE, messages, returned_with_cv, threaded_reply
from bench.run import (
    MESSAGE_NUMBER,
    TURN,
    Load,
    MailCounts,
    Pair,
    WrkResult,
    classification_rows,
    lua_script,
    lua_string,
    mail_rows,
)

AT = datetime(2026, 3, 20, 12, tzinfo=UTC)
OWN = ("jordan.lee@example.com",)


def test_the_threaded_reply_is_made_to_the_size_and_stays_a_reply() -> None:
    for size in (5_000, 20_000):
        raw = threaded_reply(size)
        assert size <= len(raw) < size + 200  # one quoted line over at most
        found = classify(raw, own_addresses=OWN, at=AT)
        assert found.kind is Kind.MESSAGE and found.ignored is None
        assert found.sender is not None and found.sender.address == "maria.garcia@soylent.example"
        assert found.in_reply_to == "<CAF=followup-0310.XYZ@mail.gmail.com>"


def test_the_threaded_reply_takes_a_sender_an_id_and_a_date() -> None:
    raw = threaded_reply(
        5_000,
        sender="Recruiter 3 <recruiter3@company3.example>",
        message_id="<n-7@mail.company.example>",
        date="Tue, 01 Dec 2026 23:50:00 +0000",
    )
    found = classify(raw, own_addresses=OWN, at=AT)
    assert found.sender is not None and found.sender.address == "recruiter3@company3.example"
    assert found.sender.name == "Recruiter 3"
    assert (found.message_id, found.has_message_id) == ("<n-7@mail.company.example>", True)
    assert found.date == datetime(2026, 12, 1, 23, 50, tzinfo=UTC)
    assert raw.count(b"\r\nFrom: ") == 1 and raw.count(b"\r\nMessage-ID: ") == 1


def test_the_bounce_returns_the_thank_you_with_a_cv() -> None:
    raw = returned_with_cv(50_000)
    assert 49_900 <= len(raw) <= 50_000
    found = classify(raw, own_addresses=OWN, at=AT)
    assert found.kind is Kind.BOUNCE and found.bounce is not None
    failed = found.bounce.first
    assert (failed.recipient, failed.status, failed.permanent) == ("ana.silva@acme.example", "5.1.1", True)
    assert found.thread_ids[0] == "<CAF=thanks-0312@mail.gmail.com>"  # the returned message's own id


def test_the_benchmark_messages() -> None:
    found = {name: classify(raw, own_addresses=OWN, at=AT) for name, raw in messages().items()}
    assert [found[name].kind for name in found] == [
        Kind.MESSAGE,
        Kind.BOUNCE,
        Kind.INVITE,
        Kind.AUTO_REPLY,
        Kind.MESSAGE,
    ]
    assert found["auto-reply with a date"].returns_on == date(2026, 3, 16)
    invite = found["invite (Exchange)"].invite
    assert invite is not None and invite.method == "REQUEST" and invite.timezone == "America/New_York"
    assert AIM_CASE in found


def test_lua_string_writes_what_luajit_reads() -> None:
    assert lua_string('{"a": "b\\\\c"}') == '"{\\"a\\": \\"b\\\\\\\\c\\"}"'
    assert lua_string("a\r\nb") == '"a\\013\\010b"'
    assert lua_string("Mar\u00eda") == '"Mar\\195\\173a"'  # the UTF-8 bytes, one escape each


def test_a_numbered_script_numbers_every_body() -> None:
    script = lua_script(headers={}, method="POST", body=f"id {MESSAGE_NUMBER} from {TURN}", paths=["/m"], cycle=20)
    assert re.search(r'^local run = "[0-9a-f]{32}"$', script, re.MULTILINE)
    assert "sent % 20" in script
    assert 'return wrk.format("POST", paths[turn], nil, numbered)' in script
    # Two scripts (two runs) never share a prefix.
    again = lua_script(headers={}, method="POST", body="x", paths=["/m"], cycle=20)
    assert re.findall(r"local run = .*", script) != re.findall(r"local run = .*", again)


def test_one_body_of_a_load() -> None:
    numbered = Load(paths=["/m"], method="POST", body=f"<{MESSAGE_NUMBER}@x> {TURN}", cycle=5)
    first, second = numbered.one_body(), numbered.one_body()
    assert first is not None and second is not None and first != second
    assert re.fullmatch(r"<probe[0-9a-f]{32}@x> 0", first)
    assert Load(paths=["/m"], method="POST", body=f"{MESSAGE_NUMBER}").one_body() == MESSAGE_NUMBER


class _Recorder(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[str]]  # each test's own list, set on a subclass

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    bodies: list[str] = []
    handler = type("Handler", (_Recorder,), {"bodies": bodies})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", bodies
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.slow
def test_wrk_sends_a_new_message_each_time(recorder: tuple[str, list[str]], tmp_path: Path) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.skip("wrk is not installed (apt-get install wrk); make bench installs it")
    url, bodies = recorder
    body = f"From: r{TURN}@c.example\r\nMessage-ID: <{MESSAGE_NUMBER}@c.example>\r\n\r\nMar\u00eda\r\n"
    script = lua_script(headers={"Content-Type": "message/rfc822"}, method="POST", body=body, paths=["/m"], cycle=3)
    path = tmp_path / "numbered.lua"
    path.write_text(script)
    subprocess.run([wrk, "-t1", "-c2", "-d1s", "-s", str(path), url], check=True, capture_output=True)
    assert len(bodies) >= 10
    ids = [re.search(r"Message-ID: <(\S+)@c\.example>", b).group(1) for b in bodies]  # type: ignore[union-attr]
    assert len(set(ids)) == len(ids)
    assert {re.match(r"From: r(\d)@", b).group(1) for b in bodies} == {"0", "1", "2"}  # type: ignore[union-attr]
    assert all(b.endswith("\r\n\r\nMar\u00eda\r\n") for b in bodies)  # the bytes as written


def _pair(rps: float, p99: float, *, non_2xx: int = 0) -> Pair:
    pair = Pair("x")
    pair.measured.append(WrkResult(rps, p99, non_2xx=non_2xx))
    pair.bare.append(WrkResult(5000.0, 4.0))
    pair.bare_sync.append(WrkResult(2500.0, 9.0))
    return pair


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_mail_rows() -> None:
    pairs = {"M2 POST mail, new messages": _pair(250.0, 40.0), "M3 POST mail, duplicates": _pair(500.0, 20.0)}
    rows = mail_rows(pairs, MailCounts(new_applied=900, repeated_applied=1, repeated_duplicates=1500))
    new = _cells(rows[0])
    assert new[0].startswith("M2 POST /v1/mail/messages, a new 5 KB reply each time")
    assert new[1:3] == ["250", "40.0"] and new[7] == "0.05"
    assert _cells(rows[1])[7] == "10.00"
    assert _cells(rows[2])[0].startswith("M3") and _cells(rows[2])[7] == "0.10"
    assert _cells(rows[3])[7] == "5.00"
    assert (_cells(rows[4])[7], _cells(rows[4])[9]) == ("0", "meets")
    assert (_cells(rows[5])[7], _cells(rows[5])[9]) == ("900, 0", "meets")
    assert (_cells(rows[6])[7], _cells(rows[6])[9]) == ("1, 1,500", "meets")
    assert len(rows) == 7


def test_mail_rows_show_errors_repeats_and_other_outcomes() -> None:
    pairs = {"M2 POST mail, new messages": _pair(250.0, 40.0, non_2xx=7)}
    counts = MailCounts(new_applied=3, new_duplicates=1, other={"unmatched": 2})
    rows = mail_rows(pairs, counts)
    assert (_cells(rows[2])[7], _cells(rows[2])[9]) == ("7", "misses (errors)")
    assert (_cells(rows[3])[7], _cells(rows[3])[9]) == ("3, 1", "misses")
    assert (_cells(rows[4])[7], _cells(rows[4])[9]) == ("0, 0", "misses")  # M3's message never arrived
    assert (_cells(rows[5])[7], _cells(rows[5])[9]) == ("2 unmatched", "misses")
    assert mail_rows(pairs, MailCounts(new_applied=3, repeated_applied=1, other={"ignored": 1}))[3].count("misses") == 1
    assert mail_rows({}, None) == []


def test_classification_rows_judge_the_aim_only() -> None:
    timings = [
        {"message": "5 KB reply", "bytes": 5054, "kind": "message", "per_second": 400.0, "ms": 2.5},
        {"message": AIM_CASE, "bytes": 20143, "kind": "message", "per_second": 800.0, "ms": 1.25},
    ]
    rows = classification_rows(timings)
    assert _cells(rows[2]) == ["5 KB reply", "5,054", "message", "400", "2.500", "", ""]
    assert _cells(rows[3]) == [AIM_CASE, "20,143", "message", "800", "1.250", "< 2 ms", "meets"]
    timings[1]["ms"] = 2.0
    assert _cells(classification_rows(timings)[3])[6] == "misses"
