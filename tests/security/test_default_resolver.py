"""Outside a try (a scheduler's incident sinks), variables and connections still come from the
encrypted store once the bus listeners are attached."""

from __future__ import annotations

import pytest

from legato.authoring.variables import MissingResource, get_variable, set_default_resolver
from legato.config import load_settings
from legato.engine.bus import Bus
from legato.security.secrets import SecretStore
from legato.services.listeners import attach_all


def test_attach_all_makes_the_store_the_fallback_outside_a_try(legato_home: object) -> None:
    set_default_resolver(None)
    settings = load_settings()
    SecretStore(settings.database_url, settings.home).set_variable("hook_secret", "s3cr3t-value")
    with pytest.raises(MissingResource):
        get_variable("hook_secret")                   # no resolver yet: environment only
    attach_all(Bus(), settings)
    assert get_variable("hook_secret") == "s3cr3t-value"
