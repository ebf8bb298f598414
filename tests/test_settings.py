"""`.env.example` documents every setting, with the default the code really uses."""

from pathlib import Path

from dotenv import dotenv_values

from bot.settings import ROOT, Settings


def test_env_example_documents_every_setting_with_its_default():
    example = {k.lower(): v for k, v in dotenv_values(ROOT / ".env.example").items()}
    assert set(example) == set(Settings.model_fields)
    defaults = Settings(_env_file=None)
    parsed = Settings(_env_file=ROOT / ".env.example")
    for name in Settings.model_fields:
        mine, theirs = getattr(defaults, name), getattr(parsed, name)
        if isinstance(mine, Path):  # the example writes paths relative to the repository
            mine, theirs = mine.relative_to(ROOT), Path(theirs)
        assert mine == theirs, name


def test_comma_separated_ids(monkeypatch):
    monkeypatch.setenv("DISCORD_GUILD_IDS", "1, 2,3")
    monkeypatch.setenv("DISCORD_ALLOWED_CHANNELS", "")
    settings = Settings(_env_file=None)
    assert settings.discord_guild_ids == [1, 2, 3] and settings.discord_allowed_channels == []
