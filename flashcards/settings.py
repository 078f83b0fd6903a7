"""The user's settings: names, defaults, limits, validation, and their place in the store.

They are stored in the store's ``meta`` table as ``config.<key>``; the session,
the statistics and the status read them with ``load_settings``. Each setting
has a type (a whole number, a share, a choice, on/off, a list of steps), and
``parse_setting`` reads its text and refuses anything outside its rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from flashcards.fsrs.scheduler import FSRSConfig, parse_steps, steps_text
from flashcards.model import FlashcardsError
from flashcards.scheduler import DAY_START_HOUR
from flashcards.store import Store

CONFIG_PREFIX = "config."
# Anki's default: after 8 lapses a card costs more reviews than it is worth.
LEECH_THRESHOLD = 8
# The schedulers `config scheduler` chooses from.
SCHEDULERS = ("sm2", "fsrs")
# The settings that change what FSRS schedules: changing one replays the history.
FSRS_KEYS = ("desired_retention", "learning_steps", "relearning_steps", "maximum_interval",
             "fuzz")


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
    # SM-2 is what this tool promises; FSRS is the second scheduler (docs/scheduler.md).
    scheduler: str = "sm2"
    # FSRS's target: the chance of recall when a card comes due (Anki's default 0.9).
    desired_retention: float = 0.9
    # Anki's defaults, in seconds: 1m 10m for new cards, 10m after a lapse.
    learning_steps: tuple[int, ...] = (60, 600)
    relearning_steps: tuple[int, ...] = (600,)
    # Anki's default cap on an FSRS interval: 100 years.
    maximum_interval: int = 36500
    # Anki's interval fuzz, deterministic here (docs/scheduler.md, "Fuzz").
    fuzz: bool = True

    def is_leech(self, lapses: int) -> bool:
        """A card forgotten this often costs more reviews than it is worth (Anki's rule)."""
        return lapses >= self.leech_threshold

    @property
    def uses_fsrs(self) -> bool:
        return self.scheduler == "fsrs"

    def fsrs_config(self, parameters: list[float] | None = None) -> FSRSConfig:
        """The FSRS configuration of these settings: fitted ``parameters``, else FSRS-6's."""
        config = FSRSConfig(desired_retention=self.desired_retention,
                            learning_steps=self.learning_steps,
                            relearning_steps=self.relearning_steps,
                            maximum_interval=self.maximum_interval, fuzz=self.fuzz)
        if parameters:
            config = replace(config, parameters=tuple(parameters))
        return config


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True)
class Rule:
    """How one setting is read from text, shown as text, and what it means."""

    parse: Callable[[str, str], Any]
    show: Callable[[Any], str]
    description: str


def _whole(low: int, high: int) -> Callable[[str, str], int]:
    def parse(key: str, text: str) -> int:
        # isascii: int() also reads other scripts' digits, which no one means here.
        if not (text.isascii() and text.lstrip("-").isdigit()) or not low <= int(text) <= high:
            raise FlashcardsError(f"{key} must be a whole number from {low} to {high}, "
                                  f"got {text!r}")
        return int(text)
    return parse


def _share(low: float, high: float) -> Callable[[str, str], float]:
    def parse(key: str, text: str) -> float:
        try:
            number = float(text) if text.isascii() else math.nan
        except ValueError:
            number = math.nan
        if not low <= number <= high:  # NaN fails too
            raise FlashcardsError(f"{key} must be a number from {low} to {high}, got {text!r}")
        return number
    return parse


def _choice(key: str, text: str) -> str:
    if text.lower() not in SCHEDULERS:
        raise FlashcardsError(f"{key} must be one of {', '.join(SCHEDULERS)}, got {text!r}")
    return text.lower()


def _switch(key: str, text: str) -> bool:
    words = {"true": True, "on": True, "yes": True, "1": True,
             "false": False, "off": False, "no": False, "0": False}
    if text.lower() not in words:
        raise FlashcardsError(f"{key} must be true or false, got {text!r}")
    return words[text.lower()]


def _steps(allow_none: bool) -> Callable[[str, str], tuple[int, ...]]:
    def parse(key: str, text: str) -> tuple[int, ...]:
        try:
            steps = parse_steps(text)
        except ValueError as exc:
            raise FlashcardsError(f"{key}: {exc}") from None
        if not steps and not allow_none:
            raise FlashcardsError(f"{key} needs at least one step, e.g. 1m 10m")
        return steps
    return parse


def _number_text(value: Any) -> str:
    return str(value)


SETTING_RULES: dict[str, Rule] = {
    "new_per_day": Rule(_whole(0, 9999), _number_text, "new cards introduced per study day"),
    "reviews_per_day": Rule(_whole(0, 99999), _number_text,
                            "scheduled reviews of due cards per study day"),
    "day_start_hour": Rule(_whole(0, 23), _number_text, "local hour at which a study day begins"),
    "leech_threshold": Rule(_whole(1, 999), _number_text,
                            "lapses after which a card is shown as a leech"),
    "scheduler": Rule(_choice, str, "sm2 or fsrs; switching replays every card's history"),
    "desired_retention": Rule(_share(0.70, 0.97), _number_text,
                              "FSRS: the chance of recall a card is scheduled for (0.70-0.97)"),
    "learning_steps": Rule(_steps(True), steps_text,
                           "FSRS: steps of a new card before its first interval (s, m, h, d)"),
    "relearning_steps": Rule(_steps(True), steps_text,
                             "FSRS: steps of a forgotten card before its next interval"),
    "maximum_interval": Rule(_whole(1, 36500), _number_text,
                             "FSRS: the longest interval, in days"),
    "fuzz": Rule(_switch, lambda on: "true" if on else "false",
                 "FSRS: spread intervals a little, as Anki does (deterministic)"),
}


def parse_setting(key: str, value: str) -> Any:
    """The validated value of a setting given as text; FlashcardsError if it is wrong."""
    if key not in SETTING_RULES:
        known = ", ".join(SETTING_RULES)
        raise FlashcardsError(f"unknown setting {key!r}; the settings are: {known}")
    return SETTING_RULES[key].parse(key, str(value).strip())


def setting_text(key: str, value: Any) -> str:
    """A setting's value as `flashcards config` shows it (and as it is stored)."""
    return SETTING_RULES[key].show(value)


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


def get_setting(store: Store, key: str) -> Any:
    if key not in SETTING_RULES:
        parse_setting(key, "")  # raises the "unknown setting" error
    return getattr(load_settings(store), key)


def save_setting(store: Store, key: str, value: str) -> Any:
    """Validate and store one setting. A scheduler setting changes schedules: use
    ``changes.configure``, which also replays the history under the new rules."""
    parsed = parse_setting(key, value)
    with store.transaction():
        store.set_meta(CONFIG_PREFIX + key, setting_text(key, parsed))
    return parsed


def changes_schedules(before: Settings, after: Settings) -> bool:
    """Whether going from ``before`` to ``after`` changes what the scheduler schedules (the
    scheduler itself, or an FSRS setting under FSRS): every card is then replayed."""
    if before.scheduler != after.scheduler:
        return True
    return after.uses_fsrs and any(getattr(before, k) != getattr(after, k) for k in FSRS_KEYS)


def describe_settings(store: Store) -> list[dict]:
    """Every setting with its current value, default and meaning, for `flashcards config`."""
    current, default = load_settings(store), DEFAULT_SETTINGS
    return [{"key": key, "value": setting_text(key, getattr(current, key)),
             "default": setting_text(key, getattr(default, key)),
             "description": rule.description} for key, rule in SETTING_RULES.items()]


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


def save_fsrs_parameters(store: Store, parameters: list[float],
                         deck: str | None = None) -> tuple[str, str]:
    """Save fitted parameters; their key and text as stored (the journal's `config` line
    carries both: ``fitting_report.save_parameters``)."""
    key = f"{FSRS_PARAMETERS_KEY}.deck.{deck}" if deck else FSRS_PARAMETERS_KEY
    text = parameters_text(parameters)
    with store.transaction():
        store.set_meta(key, text)
    return key, text


def parameters_text(parameters: list[float]) -> str:
    """Fitted parameters as the store keeps them: a JSON list, six decimals."""
    import json

    return json.dumps([round(float(x), 6) for x in parameters])


def parameters_for(store: Store, deck: str | None) -> list[float] | None:
    """The fitted parameters of a deck, of the nearest deck above it, or the collection's."""
    collection = fsrs_parameters(store)
    parts = deck.split("::") if deck else []
    for depth in range(len(parts), 0, -1):
        own = fsrs_parameters(store, "::".join(parts[:depth]))
        if own != collection:
            return own
    return collection
