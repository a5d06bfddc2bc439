"""A data folder may carry its council's settings (``settings.toml``): every entry point uses it
when no settings file is given, and records which file it used."""

from __future__ import annotations


from ot_benchmark.settings import FOLDER_SETTINGS_NAME, settings_path_for


def test_explicit_settings_win_then_the_folders_own_then_defaults(tmp_path):
    explicit = tmp_path / "mine.toml"
    explicit.write_text("", encoding="utf-8")
    folder = tmp_path / "data"
    folder.mkdir()
    # no settings anywhere: the package defaults ("")
    assert settings_path_for(folder) == ""
    assert settings_path_for(folder, "") == ""
    (folder / FOLDER_SETTINGS_NAME).write_text("", encoding="utf-8")
    # the folder's own file, as an absolute path
    assert settings_path_for(folder) == str((folder / FOLDER_SETTINGS_NAME).resolve())
    # an explicit file always wins
    assert settings_path_for(folder, explicit) == str(explicit)


def test_engine_uses_the_sample_folders_settings_without_being_told(sample_dir):
    # The sample's returns carry the council's own indicator L1_phone_24h, defined in the
    # local catalogue its settings.toml names: without the folder's settings the engine would
    # stop on an unknown indicator id.
    from ot_benchmark import compute_indicators, load_data

    table = compute_indicators(load_data(sample_dir), periods=["2024-25 Q4"])
    assert table.attrs["settings"]["source"] == str((sample_dir / FOLDER_SETTINGS_NAME).resolve())
    local = table[table["indicator_id"] == "L1_phone_24h"]
    assert set(local["source"]) == {"return"}
    assert local["authority_code"].nunique() == 16
