"""Production refuses to start with a public default or a weak secret, naming every one at once;
with its own secrets it starts. Started as operators start it: a separate Python process."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from backend.config import PRODUCTION_RULES, ConfigurationError, check_production_secrets
from backend.config import PROJECT_ROOT as ROOT

# Shaped like the real ones: what the mini-program's console hands out.
GOOD = {
    "SECRET_KEY": "s" * 40,
    "JWT_SECRET_KEY": "j" * 40,
    "FIELD_ENCRYPTION_KEY": "f" * 40,
    "WECHAT_APPID": "wx0123456789abcdef",
    "WECHAT_SECRET": "0123456789abcdef0123456789abcdef",
    "WECHAT_PUSH_TOKEN": "Tok3nOfTwentyChars42",
    "WECHAT_PUSH_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}
SECRETS = tuple(PRODUCTION_RULES)


def start_production(database_url: str, **settings: str) -> subprocess.CompletedProcess:
    """`create_app()` in a fresh interpreter with APP_ENV=production and `settings`; every
    secret not given is set empty (so a developer's .env cannot fill it in)."""
    env = {name: value for name, value in os.environ.items()
           if name not in SECRETS and not name.startswith(("APP_", "FLASK_"))}
    env.update({name: "" for name in SECRETS})
    env.update(APP_ENV="production", DATABASE_URL=database_url, **settings)
    return subprocess.run(
        [sys.executable, "-c", "from backend import create_app; create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def named_in(message: str) -> list[str]:
    return [name for name in re.findall(r"\b[A-Z][A-Z_]+\b", message) if name in SECRETS]


def test_the_rules_cover_every_secret_and_credential():
    assert set(SECRETS) == set(GOOD)


def test_production_with_the_public_defaults_refuses_to_start_naming_each(database_url):
    defaults = {"WECHAT_APPID": "wx-dev-appid", "WECHAT_SECRET": "dev-wechat-secret",
                "WECHAT_PUSH_TOKEN": "dev-push-token"}
    started = start_production(database_url, **defaults)
    assert started.returncode != 0
    assert "ConfigurationError" in started.stderr
    refused = started.stderr.strip().splitlines()[-1]
    assert named_in(refused) == list(SECRETS), refused


def test_production_with_weak_values_refuses_to_start_naming_each(database_url):
    weak = {"SECRET_KEY": "short", "JWT_SECRET_KEY": "x" * 31, "FIELD_ENCRYPTION_KEY": "k" * 8,
            "WECHAT_APPID": "wx-my-app", "WECHAT_SECRET": "not-hex-" * 4,
            "WECHAT_PUSH_TOKEN": "abc", "WECHAT_PUSH_AES_KEY": "a" * 42}
    started = start_production(database_url, **weak)
    assert started.returncode != 0
    refused = started.stderr.strip().splitlines()[-1]
    assert named_in(refused) == list(SECRETS), refused


def test_production_with_its_own_secrets_starts(database_url):
    started = start_production(database_url, **GOOD)
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "dev-only-secret-key-not-for-production-use"),
        ("SECRET_KEY", "s" * 31),
        ("JWT_SECRET_KEY", "dev-only-jwt-secret-key-not-for-production-use"),
        ("FIELD_ENCRYPTION_KEY", ""),
        ("WECHAT_APPID", "wx-dev-appid"),
        ("WECHAT_APPID", "wx0123456789abcde"),
        ("WECHAT_SECRET", "dev-wechat-secret"),
        ("WECHAT_SECRET", "0123456789abcdef0123456789abcdeg"),
        ("WECHAT_PUSH_TOKEN", "dev-push-token"),
        ("WECHAT_PUSH_TOKEN", "a" * 15),
        ("WECHAT_PUSH_TOKEN", "a" * 33),
        ("WECHAT_PUSH_AES_KEY", ""),
        ("WECHAT_PUSH_AES_KEY", "a" * 44),
        ("WECHAT_PUSH_AES_KEY", "a+/" + "a" * 40),
    ],
)
def test_each_rule_refuses_its_weak_values_and_only_its_own(name, value):
    with pytest.raises(ConfigurationError) as refused:
        check_production_secrets({**GOOD, name: value})
    assert named_in(str(refused.value)) == [name]


def test_good_values_pass():
    check_production_secrets(dict(GOOD))
