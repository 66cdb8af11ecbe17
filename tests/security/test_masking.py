"""The masker: which values it hides, in which spellings, and what it leaves alone."""

from __future__ import annotations

import pytest

from legato.security.masking import MASK, is_sensitive_name, mask, mask_secret, watch_environment


def test_nothing_known_leaves_text_untouched() -> None:
    text = "password=hunter2 token=abc"
    assert mask(text) is text


def test_a_registered_secret_is_masked_wherever_it_appears() -> None:
    mask_secret("s3cr3t-value")
    assert mask("a s3cr3t-value b s3cr3t-value") == f"a {MASK} b {MASK}"


def test_url_quoted_and_escaped_spellings_are_masked_too() -> None:
    mask_secret("p@ss w/rd")
    assert mask("postgresql://u:p%40ss%20w%2Frd@h/db") == f"postgresql://u:{MASK}@h/db"
    mask_secret("tab\tsecret")
    assert mask(repr("tab\tsecret")) == f"'{MASK}'"


def test_values_under_four_characters_are_never_masked() -> None:
    mask_secret("abc")
    mask_secret(42)
    text = "abc 42"
    assert mask(text) is text                  # nothing was registered at all


def test_the_longest_secret_wins_over_one_it_contains() -> None:
    mask_secret("token")
    mask_secret("token-with-suffix")
    assert mask("token-with-suffix") == MASK


def test_each_line_of_a_multi_line_secret_is_masked() -> None:
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----"
    mask_secret(key)
    assert mask("MIIEvQIBADANBgkqhkiG9w0B") == MASK


def test_regex_metacharacters_are_literal() -> None:
    mask_secret("a.b*c+d")
    assert mask("a.b*c+d axbbbcd") == f"{MASK} axbbbcd"


@pytest.mark.parametrize(("name", "sensitive"), [
    ("db_password", True), ("API_KEY", True), ("slack_token", True), ("private_key_pem", True),
    ("client_secret", True), ("apikey", True), ("region", False), ("threshold", False),
    ("owner", False)])
def test_sensitive_names(name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


def test_environment_secrets_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_CONN_WAREHOUSE", "postgresql://etl:env%2Fpw-1234@db:5432/dw")
    monkeypatch.setenv("LEGATO_VAR_SLACK_TOKEN", "xoxb-env-token")
    monkeypatch.setenv("LEGATO_VAR_REGION", "eu-west-1")
    watch_environment()
    assert mask("env/pw-1234 xoxb-env-token eu-west-1") == f"{MASK} {MASK} eu-west-1"
    monkeypatch.delenv("LEGATO_VAR_SLACK_TOKEN")
    watch_environment()
    assert mask("xoxb-env-token env/pw-1234") == f"xoxb-env-token {MASK}"


def test_a_registered_secret_outlives_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_VAR_API_KEY", "shared-value-99")
    watch_environment()
    mask_secret("shared-value-99")
    monkeypatch.delenv("LEGATO_VAR_API_KEY")
    watch_environment()
    assert mask("shared-value-99") == MASK


def test_many_secrets_sharing_prefixes_mask_exactly_the_longest_match() -> None:
    values = [f"tenant-{i:04d}-key" for i in range(500)] + ["tenant-0007-key-extended"]
    for value in values:
        mask_secret(value)
    assert mask("a tenant-0007-key-extended b tenant-0499-key c tenant-0500-key") == (
        f"a {MASK} b {MASK} c tenant-0500-key")
