"""Export buttons: a failed export serves no file (never error text under a .png name) and says why."""

from __future__ import annotations

import pytest

from dashboard.components import exports


def test_a_failed_export_raises_instead_of_serving_the_error_text() -> None:
    def broken() -> bytes:
        raise RuntimeError("kaleido could not start Chromium")

    run = exports._safe(broken, "dl_test_png")
    with pytest.raises(exports.ExportFailed, match="kaleido could not start Chromium"):
        run()
    # the message waits for this session's next page run, once
    assert (
        exports._FAILED.pop(("", "dl_test_png")) == "RuntimeError: kaleido could not start Chromium"
    )


def test_a_working_export_returns_its_bytes_and_records_nothing() -> None:
    assert exports._safe(lambda: b"\x89PNG", "dl_ok_png")() == b"\x89PNG"
    assert ("", "dl_ok_png") not in exports._FAILED
