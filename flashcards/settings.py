"""The user's settings: names, defaults, limits, validation, and their place in the store.

They are stored in the store's ``meta`` table as ``config.<key>``; the session,
the statistics and the status read them with ``load_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from flashcards.model import FlashcardsError
from flashcards.scheduler import DAY_START_HOUR
from flashcards.store import Store

CONFIG_PREFIX = "config."
# Anki's default: after 8 lapses a card costs more reviews than it is worth.
LEECH_THRESHOLD = 8


@dataclass(frozen=True)
class Settings:
    """The review settings, stored in the store's meta table as ``config.<key>``."""

    # Anki's default: about 20 new cards a day keeps the daily reviews near 200.
    new_per_day: int = 20
    # A cap so that a long break does not turn into one endless session.
    reviews_per_day: int = 200
    # A session after midnight still counts for the evening before.
    day_start_hour: int = DAY_START_HOUR
    # Lapses after which a card is flagged as a leech.
    leech_threshold: int = LEECH_THRESHOLD

    def is_leech(self, lapses: int) -> bool:
        """A card forgotten this often costs more reviews than it is worth (Anki's rule)."""
        return lapses >= self.leech_threshold


DEFAULT_SETTINGS = Settings()

# key -> (lowest, highest, what it means)
SETTING_RULES: dict[str, tuple[int, int, str]] = {
    "new_per_day": (0, 9999, "new cards introduced per study day"),
    "reviews_per_day": (0, 99999, "scheduled reviews of due cards per study day"),
    "day_start_hour": (0, 23, "local hour at which a study day begins"),
    "leech_threshold": (1, 999, "lapses after which a card is shown as a leech"),
}


def parse_setting(key: str, value: str) -> int:
    """The validated value of a setting given as text; FlashcardsError if it is wrong."""
    if key not in SETTING_RULES:
        known = ", ".join(SETTING_RULES)
        raise FlashcardsError(f"unknown setting {key!r}; the settings are: {known}")
    low, high, _ = SETTING_RULES[key]
    text = str(value).strip()
    # isascii: int() also reads other scripts' digits, which no one means here.
    if not (text.isascii() and text.lstrip("-").isdigit()) or not low <= int(text) <= high:
        raise FlashcardsError(f"{key} must be a whole number from {low} to {high}, got {value!r}")
    return int(text)


def from_meta(values: Mapping[str, str]) -> Settings:
    """Settings from ``config.*`` meta values; missing keys take their defaults."""
    chosen = {}
    for item in fields(Settings):
        raw = values.get(CONFIG_PREFIX + item.name)
        if raw is not None:
            chosen[item.name] = parse_setting(item.name, raw)
    return Settings(**chosen)


# -- in the store -------------------------------------------------------------------


def load_settings(store: Store) -> Settings:
    return from_meta(store.meta_items(CONFIG_PREFIX))


def get_setting(store: Store, key: str) -> int:
    if key not in SETTING_RULES:
        parse_setting(key, "")  # raises the "unknown setting" error
    return getattr(load_settings(store), key)


def save_setting(store: Store, key: str, value: str) -> int:
    number = parse_setting(key, value)
    with store.transaction():
        store.set_meta(CONFIG_PREFIX + key, str(number))
    return number


def describe_settings(store: Store) -> list[dict]:
    """Every setting with its current value, default and meaning, for `flashcards config`."""
    current, default = load_settings(store), DEFAULT_SETTINGS
    return [{"key": key, "value": getattr(current, key), "default": getattr(default, key),
             "description": rule[2]} for key, rule in SETTING_RULES.items()]


# -- FSRS parameters ----------------------------------------------------------------

FSRS_PARAMETERS_KEY = "fsrs.parameters"


def fsrs_parameters(store: Store, deck: str | None = None) -> list[float] | None:
    """The fitted FSRS parameters for a deck (its own, else the collection's), or None."""
    import json

    keys = ([f"{FSRS_PARAMETERS_KEY}.deck.{deck}"] if deck else []) + [FSRS_PARAMETERS_KEY]
    for key in keys:
        raw = store.get_meta(key)
        if raw:
            return [float(x) for x in json.loads(raw)]
    return None


def save_fsrs_parameters(store: Store, parameters: list[float], deck: str | None = None) -> None:
    import json

    key = f"{FSRS_PARAMETERS_KEY}.deck.{deck}" if deck else FSRS_PARAMETERS_KEY
    with store.transaction():
        store.set_meta(key, json.dumps([round(float(x), 6) for x in parameters]))
