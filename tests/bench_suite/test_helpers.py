"""The benchmark suite's pure helpers (no timing: the benchmarks run with `make bench`)."""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from bench import bare_app
from bench.run import (
    NOTES_MARKER,
    Load,
    Pair,
    Spread,
    WrkResult,
    backend_rows,
    event_create_body,
    lua_script,
    parse_duration_ms,
    parse_wrk,
    probe,
    verdict,
    with_notes,
)

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:8000
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.31ms    1.02ms  20.17ms   88.00%
    Req/Sec     2.19k   102.11     2.40k    70.00%
  Latency Distribution
     50%    7.10ms
     75%    7.52ms
     90%    8.21ms
     99%   11.48ms
  10907 requests in 5.00s, 1.52MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   2180.43
Transfer/sec:    311.10KB
"""

CLEAN_OUTPUT = "\n".join(
    line for line in WRK_OUTPUT.splitlines() if "Socket errors" not in line and "Non-2xx" not in line
)


def test_parse_wrk() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_second == pytest.approx(2180.43)
    assert result.p99_ms == pytest.approx(11.48)
    assert result.non_2xx == 4
    assert result.socket_errors == 3
    assert result.errors == 7


def test_parse_wrk_without_errors() -> None:
    result = parse_wrk(CLEAN_OUTPUT)
    assert (result.non_2xx, result.socket_errors, result.errors) == (0, 0, 0)


def test_parse_wrk_non_2xx_only() -> None:
    result = parse_wrk(CLEAN_OUTPUT.replace("Requests/sec:", "  Non-2xx or 3xx responses: 10907\nRequests/sec:"))
    assert (result.non_2xx, result.socket_errors) == (10907, 0)


def test_parse_duration() -> None:
    assert parse_duration_ms("812.00us") == pytest.approx(0.812)
    assert parse_duration_ms("2.00s") == pytest.approx(2000)
    with pytest.raises(ValueError):
        parse_duration_ms("soon")


def test_parse_wrk_refuses_other_output() -> None:
    with pytest.raises(ValueError):
        parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused")


def test_lua_script() -> None:
    script = lua_script(headers={"Authorization": "Bearer fu_x_y"}, method="POST", body='{"a": 1}', paths=["/a", "/b"])
    assert 'wrk.headers["Authorization"] = "Bearer fu_x_y"' in script
    assert 'local paths = {"/a", "/b"}' in script
    assert 'local body = "{\\"a\\": 1}"' in script


def test_lua_script_goes_through_every_path_in_turn() -> None:
    paths = [f"/v1/interviews/{i}/events" for i in range(200)]
    script = lua_script(headers={}, method="POST", body="{}", paths=paths)
    table = re.search(r"^local paths = \{(.*)\}$", script, re.MULTILINE)
    assert table is not None
    assert json.loads("[" + table.group(1) + "]") == paths
    # A counter, kept between calls, walks the table and wraps round; no random picks.
    assert "math.random" not in script
    request = script.split("request = function()\n", 1)[1]
    assert request.splitlines()[:3] == [
        "  turn = turn % #paths + 1",
        '  return wrk.format("POST", paths[turn], nil, body)',
        "end",
    ]
    assert script.index("local turn = 0") < script.index("request = function()")


def test_lua_script_needs_a_path() -> None:
    with pytest.raises(ValueError):
        lua_script(headers={}, paths=[])


def test_verdict() -> None:
    assert verdict(0.55, 0.5) == "meets"
    assert verdict(0.45, 0.5) == "misses"
    assert verdict(1.5, 2, at_least=False) == "meets"
    assert verdict(float("nan"), 0.5) == "n/a"


def test_verdict_with_errors_misses_however_fast() -> None:
    assert verdict(0.9, 0.1, errors=1) == "misses (errors)"
    assert verdict(0.5, 8, at_least=False, errors=3) == "misses (errors)"


def _p3(non_2xx: int, socket_errors: int, p99_ms: float = 20.0) -> dict[str, object]:
    pair = Pair("P3 POST events")
    pair.measured.append(WrkResult(600.0, p99_ms, non_2xx=non_2xx, socket_errors=socket_errors))
    pair.bare.append(WrkResult(5000.0, 4.0))
    pair.bare_sync.append(WrkResult(2500.0, 9.0))
    before = {str(i): 5 if i < 50 else 0 for i in range(200)}
    after = {str(i): before[str(i)] + 3 + i % 2 for i in range(200)}
    return {"pairs": {"P3 POST events": pair}, "event_spread": Spread.of(before, after)}


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_p3_rows_without_errors() -> None:
    rows = backend_rows(_p3(0, 0), rules=None)
    figure = next(row for row in rows if row.startswith("| P3 POST an event"))
    cells = _cells(figure)
    assert "to 200 of 200 interviews in turn, 3-4 events each" in cells[0]
    assert cells[1:5] == ["600", "20.0", "0", "0"]
    assert cells[7:10] == ["0.12", "≥ 0.10", "meets"]
    assert cells[10:] == ["2,500", "0.24"]
    p99 = _cells(next(row for row in rows if row.startswith("| P3 p99")))
    assert (p99[7], p99[8], p99[9]) == ("5.00", "≤ 8", "meets")
    errors = _cells(next(row for row in rows if row.startswith("| P3 non-2xx")))
    assert (errors[7], errors[9]) == ("0", "meets")


def test_p3_rows_with_errors_show_them_and_miss() -> None:
    rows = backend_rows(_p3(non_2xx=12, socket_errors=2, p99_ms=2000.0), rules=None)
    cells = _cells(next(row for row in rows if row.startswith("| P3 POST an event")))
    assert cells[3:5] == ["12", "2"]
    assert cells[9] == "misses (errors)"  # the ratio alone would meet
    p99 = _cells(next(row for row in rows if row.startswith("| P3 p99")))
    assert (p99[7], p99[9]) == ("500.00", "misses (errors)")
    errors = _cells(next(row for row in rows if row.startswith("| P3 non-2xx")))
    assert (errors[7], errors[9]) == ("14", "misses (errors)")


def test_p3_p99_over_eight_times_the_bare_post_misses() -> None:
    rows = backend_rows(_p3(0, 0, p99_ms=40.0), rules=None)
    p99 = _cells(next(row for row in rows if row.startswith("| P3 p99")))
    assert (p99[7], p99[9]) == ("10.00", "misses")


def test_spread_counts_the_interviews_that_received_events() -> None:
    before = {"a": 5, "b": 0, "c": 0}
    spread = Spread.of(before, {"a": 7, "b": 2, "c": 0})
    assert (spread.targets, spread.hit, spread.fewest, spread.most) == (3, 2, 0, 2)


def test_p3_row_shows_a_lopsided_spread() -> None:
    result = _p3(0, 0)
    result["event_spread"] = Spread.of({"a": 0, "b": 0}, {"a": 40, "b": 0})
    figure = next(row for row in backend_rows(result, rules=None) if row.startswith("| P3 POST an event"))
    assert "to 1 of 2 interviews in turn, 0-40 events each" in figure


def test_event_body_is_valid_for_the_api() -> None:
    body = event_create_body(datetime.now(UTC))
    assert set(body) <= {"type", "occurred_at", "contact_id", "channel", "note", "decision_expected_by"}
    with TestClient(bare_app.app) as client:
        for path in ("/bare", "/bare/sync"):
            answer = client.post(path, json=body)
            assert answer.status_code == 200
            assert answer.json() == {"fields": len(body)}


def test_bare_reference_is_async_and_the_sync_one_is_not() -> None:
    routes = {(route.path, *route.methods): route for route in bare_app.app.routes if isinstance(route, APIRoute)}
    for method in ("GET", "POST"):
        assert asyncio.iscoroutinefunction(routes["/bare", method].endpoint)
        assert not asyncio.iscoroutinefunction(routes["/bare/sync", method].endpoint)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        status = 201 if self.path.startswith("/ok") and body == {"a": 1} else 422
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"detail": "refused"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_probe_accepts_2xx(local_server: str) -> None:
    probe(local_server, Load(paths=["/ok/1", "/ok/2"], method="POST", body='{"a": 1}'))


def test_probe_refuses_an_error_answer(local_server: str) -> None:
    with pytest.raises(RuntimeError, match="422"):
        probe(local_server, Load(paths=["/ok/1", "/refused"], method="POST", body='{"a": 1}'))
    with pytest.raises(RuntimeError, match="refused"):
        probe(local_server, Load(paths=["/ok/1"], method="POST", body='{"a": 2}'))


def test_stack_trivial_route_is_async_and_first() -> None:
    from bench import stack_app

    first = stack_app.app.router.routes[0]
    assert isinstance(first, APIRoute)
    assert first.path == "/bench/trivial"
    assert asyncio.iscoroutinefunction(first.endpoint)


def test_with_notes_keeps_the_notes_below_the_marker(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    assert with_notes("# Benchmarks\nnew\n", out) == "# Benchmarks\nnew\n"
    out.write_text(f"# Benchmarks\nold\n\n{NOTES_MARKER}\n## Notes\nbefore and after\n")
    assert with_notes("# Benchmarks\nnew\n", out) == (
        f"# Benchmarks\nnew\n\n{NOTES_MARKER}\n## Notes\nbefore and after\n"
    )
    out.write_text("# Benchmarks\nold, no notes\n")
    assert with_notes("# Benchmarks\nnew\n", out) == "# Benchmarks\nnew\n"
