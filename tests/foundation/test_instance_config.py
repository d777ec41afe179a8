"""The instance configuration reaches DAGSTER_HOME, and `dagster dev` run from the project
root finds no dagster.yaml there to warn about (it warns when one sits in the working
directory while DAGSTER_HOME points elsewhere: `dagster/_cli/dev.py`)."""

import yaml

from quarkmed_dagster.orchestration import INSTANCE_CONFIG, install_instance_config
from quarkmed_dagster.settings import PROJECT_ROOT, get_settings


def test_no_dagster_yaml_in_the_project_root_and_the_config_is_installed(tmp_path, monkeypatch):
    assert not (PROJECT_ROOT / "dagster.yaml").exists()
    assert not (PROJECT_ROOT / "dagster.yml").exists()
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        target = install_instance_config(get_settings())
    finally:
        get_settings.cache_clear()
    assert target.name == "dagster.yaml" and target.parent == tmp_path / "home" / "dagster"
    config = yaml.safe_load(target.read_text())
    assert config == yaml.safe_load(INSTANCE_CONFIG.read_text())
    assert config["telemetry"]["enabled"] is False
