"""``python -m core atlas`` with the local engine writes an atlas folder that opens."""

from __future__ import annotations

import pytest

from core.__main__ import main
from core.engines import open_atlas
from core.engines.synth import messy_log


def test_atlas_command_builds_a_folder_that_opens(tmp_path, capsys):
    a, b, items = messy_log(tmp_path / "in", n=200)
    code = main(
        ["atlas", str(a), str(b), "--items", str(items), "--k", "3", "--out", str(tmp_path / "at")]
    )
    assert code == 0
    atlas = open_atlas(tmp_path / "at")
    assert atlas.manifest.engine == "local"
    assert atlas.report["accepted"] == 200  # messy_log's n good rows, after duplicates
    assert "local: 200 events" in capsys.readouterr().out


def test_atlas_command_reports_a_bad_period(tmp_path, capsys):
    a, _b, _items = messy_log(tmp_path / "in", n=50)
    with pytest.raises(SystemExit) as exc:
        main(["atlas", str(a), "--period", "Q", "--out", str(tmp_path / "at")])
    assert exc.value.code == 2
    assert "invalid choice: 'Q'" in capsys.readouterr().err
