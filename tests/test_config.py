"""Settings come from the environment through one function, with clear errors."""

from __future__ import annotations

import pytest

from leaderboard.config import SETTINGS, Settings, load_settings
from leaderboard.errors import ConfigError


def test_defaults_without_environment():
    settings = load_settings({})
    assert settings.queue == "./eval-queue"
    assert settings.results == "./eval-results"
    assert settings.suite == "v2"
    assert settings.refresh_seconds == 60
    assert settings.co2_power_kw == 5.6
    assert settings.co2_grid_g_per_kwh == 269.8


def test_every_setting_maps_to_a_field_with_the_same_default():
    defaults = Settings()
    for setting in SETTINGS:
        assert hasattr(defaults, setting.field), setting.env
        if setting.default is not None:
            assert getattr(defaults, setting.field) == setting.parse(setting.default), setting.env


def test_values_are_parsed():
    settings = load_settings(
        {
            "LEADERBOARD_SUITE": "v1",
            "LEADERBOARD_REFRESH_SECONDS": "0",
            "LEADERBOARD_CO2_POWER_KW": "1.5",
            "LEADERBOARD_LOG_LEVEL": "debug",
            "UNRELATED": "x",
        }
    )
    assert (settings.suite, settings.refresh_seconds, settings.co2_power_kw) == ("v1", 0, 1.5)
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LEADERBOARD_SUIT": "v1"}, "Did you mean 'LEADERBOARD_SUITE'"),
        ({"LEADERBOARD_SUITE": "v3"}, "Unknown suite 'v3'"),
        (
            {"LEADERBOARD_REFRESH_SECONDS": "soon"},
            "LEADERBOARD_REFRESH_SECONDS='soon' is not valid",
        ),
        ({"LEADERBOARD_REFRESH_SECONDS": "-5"}, "must be 0 or more seconds"),
        ({"LEADERBOARD_CO2_POWER_KW": "-1"}, "must not be negative"),
        ({"LEADERBOARD_LOG_LEVEL": "loud"}, "expected DEBUG, INFO, WARNING or ERROR"),
    ],
)
def test_bad_settings_say_what_to_fix(environ, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(environ)


def test_empty_value_means_default():
    assert load_settings({"LEADERBOARD_SUITE": ""}).suite == "v2"


def test_submission_settings_are_parsed():
    settings = load_settings(
        {
            "LEADERBOARD_RATE_LIMIT": "10/3",
            "LEADERBOARD_RATE_LIMIT_EXEMPT": "me, my-org ,",
            "LEADERBOARD_BLOCKED_AUTHORS": "spam-org",
            "LEADERBOARD_MAX_PARAMS_B": "70",
            "LEADERBOARD_LOCAL_MODELS": "/models",
        }
    )
    assert settings.rate_limit == (10, 3)
    assert settings.rate_limit_exempt == ("me", "my-org")
    assert settings.blocked_authors == ("spam-org",)
    assert settings.max_params_b == 70.0
    assert settings.local_models == "/models"
    assert load_settings({"LEADERBOARD_RATE_LIMIT": "off"}).rate_limit is None


@pytest.mark.parametrize(
    ("environ", "anonymous"),
    [
        ({}, True),  # a laptop: nobody can sign in, so anonymous submissions are accepted
        ({"SYSTEM": "spaces", "SPACE_ID": "org/board"}, False),  # a Space: sign-in required
        ({"SYSTEM": "spaces", "SPACE_ID": "org/board", "LEADERBOARD_ALLOW_ANONYMOUS": "on"}, True),
        ({"LEADERBOARD_ALLOW_ANONYMOUS": "off"}, False),
    ],
)
def test_anonymous_submissions_default_to_where_the_app_runs(environ, anonymous):
    assert load_settings(environ).anonymous_submissions is anonymous


@pytest.mark.parametrize("raw", ["5", "0/7", "5/0", "five/7"])
def test_a_bad_rate_limit_says_how_to_write_one(raw):
    with pytest.raises(ConfigError, match="LEADERBOARD_RATE_LIMIT"):
        load_settings({"LEADERBOARD_RATE_LIMIT": raw})


def test_the_token_is_never_shown():
    settings = load_settings({"HF_TOKEN": "hf_secret_value"})
    assert settings.hub_token == "hf_secret_value"
    assert "hf_secret_value" not in repr(settings)
