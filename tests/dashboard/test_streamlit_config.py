"""The shipped Streamlit config: no file watcher (it trips over torch.classes), and the upload limit."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_file_watcher_is_off_and_the_upload_limit_is_set() -> None:
    server = tomllib.loads(CONFIG.read_text())["server"]
    assert server["fileWatcherType"] == "none"
    assert server["maxUploadSize"] == 500
