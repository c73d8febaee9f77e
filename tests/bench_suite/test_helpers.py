"""The benchmark suite's pure helpers (no timing: the benchmarks run with `make bench`)."""

from __future__ import annotations

import pytest

from bench.run import lua_script, parse_duration_ms, parse_wrk

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


def test_parse_wrk() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_second == pytest.approx(2180.43)
    assert result.p99_ms == pytest.approx(11.48)
    assert result.errors == 7


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
    assert 'wrk.format("POST", paths[math.random(#paths)], nil, body)' in script
