import pytest

from quarkmed_dagster.settings import get_settings


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Settings with data_home (and so both inboxes) under tmp_path."""
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
