"""bench/imap_bench.py runs against its own Dovecot and counts what it claims to count (the
figures themselves come from `python -m bench.imap_bench`)."""

from __future__ import annotations

from mail.dovecot import dovecot_binary

from bench import imap_bench


def test_the_imap_bench_syncs_what_matters_and_counts_the_commands_of_an_idle_sync() -> None:
    dovecot_binary()  # skips where Dovecot cannot be installed, as the IMAP tests do
    report = imap_bench.run(40, 1, idle_repeats=2, progress=lambda _: None)
    (first,) = report.rounds
    # The contacts' replies and auto-replies, and the user's own mail to them: fetched whole,
    # each one recorded and an event; the rest read by its header alone.
    assert 0 < first.fetched_whole < first.messages
    assert first.recorded == first.events == first.fetched_whole
    assert first.seconds > first.may_matter_seconds + first.apply_seconds > 0
    assert report.idle_commands == {"AUTHENTICATE": 1, "CAPABILITY": 1, "EXAMINE": 2, "LIST": 1, "LOGOUT": 1}
    assert report.as_json()["idle_sync_commands"] == 6
