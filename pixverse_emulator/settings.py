"""One frozen settings model, read from (lowest to highest priority): defaults, a
TOML file, environment variables `PIXVERSE_EMULATOR_<NAME>`, explicit overrides
(CLI flags, the pytest marker).

`Settings()` never parses `sys.argv` and is never built at import time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

from .domain.policies import parse_outcomes, parse_progression

MIB = 1024 * 1024


class TeamConfig(BaseModel):
    """A `[[teams]]` table: keys of one team share its credits, cap and ownership."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    keys: tuple[str, ...] = ()
    credits: int | None = Field(default=None, ge=0)
    pending_cap: int | None = Field(default=None, ge=0)
    progression: str | None = None
    outcomes: tuple[str, ...] | None = None

    @field_validator("progression")
    @classmethod
    def _progression(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_progression(value))

    @field_validator("outcomes")
    @classmethod
    def _outcomes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            parse_outcomes(value)
        return value


class Settings(BaseSettings):
    # cli_parse_args None, not False: with False, pydantic-settings still builds a
    # command-line source that reads nothing (an argparse parser over every field, ~10 ms
    # per Settings()); None adds none, so sys.argv is never parsed either way.
    model_config = SettingsConfigDict(
        env_prefix="PIXVERSE_EMULATOR_", frozen=True, extra="forbid", cli_parse_args=None
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    auth: Literal["open", "strict"] = "open"
    default_credits: int = Field(default=10_000, ge=0)
    default_pending_cap: int = Field(default=10, ge=0)
    clock: Literal["wall", "manual"] = "wall"
    run_seconds: float = Field(default=5.0, ge=0)
    progression: str | None = None  # default: seconds:<run_seconds>
    outcomes: Annotated[tuple[str, ...], NoDecode] = ("success",)
    image_upload_limit: int = Field(default=20 * MIB, ge=1)
    media_upload_limit: int = Field(default=200 * MIB, ge=1)
    json_body_limit: int = Field(default=1 * MIB, ge=1)
    journal_size: int = Field(default=1000, ge=0)
    quiet: bool = False  # no request log lines
    log_format: Literal["text", "json"] = "text"
    seed: int | None = None  # None: ids and seeds differ from run to run
    data_dir: str | None = None  # None: in memory; else the durable folder
    # Where the state lives: "memory", "sqlite" (in data_dir) or a redis:// URL shared by
    # several processes; None: sqlite when data_dir is set, else memory.
    store: str | None = None
    store_wait: float = Field(default=30.0, ge=0)  # seconds a start waits for Redis
    workers: int = Field(default=1, ge=1, le=64)  # processes serving one port (Redis only)
    snapshot: str | None = None  # start from this snapshot file when the state is new
    snapshot_upload_limit: int = Field(default=1024 * MIB, ge=1)
    profile: Literal["worldrouter", "pixverse"] = "worldrouter"
    # The control plane and the connection (README, "Security").
    admin_token: str | None = Field(default=None, min_length=8)
    admin_open: bool = False
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=30.0, gt=0)
    shutdown_timeout: float = Field(default=5.0, gt=0)
    tls: Literal["off", "self-signed"] = "off"
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_names: tuple[str, ...] = ()
    # Bounded growth (README, "Security").
    max_tasks_per_team: int = Field(default=10_000, ge=1)
    max_upload_bytes_per_team: int = Field(default=2 * 1024 * MIB, ge=1)
    max_teams: int = Field(default=10_000, ge=1)
    max_tasks: int = Field(default=200_000, ge=1)
    teams: tuple[TeamConfig, ...] = ()

    @field_validator("progression")
    @classmethod
    def _progression(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_progression(value))

    @field_validator("outcomes", mode="before")
    @classmethod
    def _outcomes(cls, value: object) -> object:
        """A list, a JSON list or a comma-separated string (handy in the environment)."""
        if isinstance(value, str):
            value = json.loads(value) if value.lstrip().startswith("[") else value.split(",")
        if isinstance(value, list | tuple):
            parse_outcomes([str(v) for v in value])
            return tuple(str(v).strip() for v in value)
        return value

    @field_validator("store")
    @classmethod
    def _store(cls, value: str | None) -> str | None:
        if value is None or value in ("memory", "sqlite"):
            return value
        if value.startswith(("redis://", "rediss://", "unix://")):
            return value
        raise ValueError(f"store is 'memory', 'sqlite' or a redis:// URL, not {value!r}")

    @property
    def store_kind(self) -> Literal["memory", "sqlite", "redis"]:
        if self.store is None:
            return "memory" if self.data_dir is None else "sqlite"
        return "redis" if self.store not in ("memory", "sqlite") else self.store  # type: ignore[return-value]

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.store == "sqlite" and self.data_dir is None:
            raise ValueError("store = 'sqlite' keeps the state in data_dir: set data_dir")
        if self.store == "memory" and self.data_dir is not None:
            raise ValueError("store = 'memory' keeps nothing in data_dir: drop one of them")
        if self.workers > 1 and self.store_kind != "redis":
            raise ValueError(f"workers = {self.workers} needs a shared store: several "
                             f"processes cannot share the {self.store_kind} store; set "
                             "store to a redis:// URL")
        if self.admin_open and self.admin_token is not None:
            raise ValueError("admin_open and admin_token exclude each other: choose one")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: set both")
        if self.tls == "self-signed" and self.tls_cert is not None:
            raise ValueError("tls = 'self-signed' makes its own certificate: drop tls_cert")
        return self

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Merge the layers; later ones win key by key."""
        layers: dict[str, Any] = {}
        if config_file is not None:
            layers.update(read_toml(Path(config_file)))
        layers.update(EnvSettingsSource(cls)())
        layers.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**layers)


REDACTED = "<redacted>"


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as JSON, with every key and token replaced by a marker."""
    shown = settings.model_dump(mode="json")
    if shown["admin_token"] is not None:
        shown["admin_token"] = REDACTED
    for team in shown["teams"]:
        team["keys"] = [REDACTED for _ in team["keys"]]
    return shown


def read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # here: only a start with a settings file reads TOML

    with path.open("rb") as f:
        return tomllib.load(f)
