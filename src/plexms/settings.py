"""Runtime settings of the plexms service (environment variables prefixed ``PLEXMS_``).

The database defaults to a SQLite file in the user's data directory; a hospital points
``PLEXMS_DATABASE_URL`` at PostgreSQL (``postgresql+psycopg://user@host/db``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["FederationNode", "Settings", "default_data_dir", "get_settings"]


def default_data_dir() -> Path:
    """Where the embedded database, backups and demo credentials live by default."""
    return Path(platformdirs.user_data_dir("plexms", appauthor=False))


def _default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'plexms.sqlite3'}"


class FederationNode(BaseModel):
    """A registry node this instance queries as a hub: its name, base URL and shared key."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(min_length=1, max_length=300, pattern=r"^https?://[^\s]+$")
    key: SecretStr


class Settings(BaseSettings):
    """Every knob of the service; tests build one directly with cheap argon2 parameters."""

    model_config = SettingsConfigDict(env_prefix="PLEXMS_", extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    data_dir: Path = Field(default_factory=default_data_dir)
    secret_key: str = ""
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 7)
    api_token_days: int = Field(default=90, ge=1, le=3650)
    demo_password: str | None = None
    # Bearer token Prometheus must send for /metrics (PLEXMS_METRICS_TOKEN); unset: open.
    metrics_token: SecretStr | None = None
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    log_level: str = "INFO"
    log_json: bool = True
    auto_migrate: bool = True
    # Login throttling: this many failures within the window lock the account for lock_minutes.
    login_max_failures: int = Field(default=100, ge=1)
    login_failure_window_minutes: int = Field(default=60, ge=1)
    login_lock_minutes: int = Field(default=60, ge=1)
    # ... and by client address, so one attacker cannot lock every account: after
    # login_delay_after_failures failures within the window each further attempt from the
    # address waits twice as long as the last (1 s, 2 s, ... up to login_delay_max_seconds;
    # an attempt before then is refused unchecked); login_address_max_failures lock the
    # address for login_lock_minutes. Wrong current passwords on a password change count the
    # same way per user (local policy).
    login_delay_after_failures: int = Field(default=5, ge=1)
    login_delay_max_seconds: int = Field(default=60, ge=1)
    login_address_max_failures: int = Field(default=30, ge=1)
    password_change_max_failures: int = Field(default=10, ge=1)
    # The public referral form's stamp is good for this long, once (local policy).
    referral_stamp_max_age_minutes: int = Field(default=120, ge=1, le=24 * 60)
    password_min_length: int = Field(default=12, ge=12, le=128)
    # argon2id cost (pwdlib defaults: t=3, m=64 MiB, p=4); tests lower these, never production.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    # PostgreSQL: a transaction that only records reads commits without waiting for the WAL
    # flush (see README, "Running for a hospital"); false makes access rows as durable as writes.
    audit_reads_async: bool = True
    # Federated registry (issue 19; README "Running at scale"). As a node: the name this
    # instance answers as, and the hubs whose signed queries it answers (JSON: name -> key).
    # As a hub: the nodes it asks (JSON list of {"name", "url", "key"}). Cells below
    # federation_k are withheld (local policy of the federation; 5 is usual).
    federation_node_name: str = Field(default="", max_length=64)
    federation_hub_keys: dict[str, SecretStr] = Field(default_factory=dict)
    federation_nodes: list[FederationNode] = Field(default_factory=list)
    federation_k: int = Field(default=5, ge=1, le=1000)
    federation_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    federation_max_skew_seconds: int = Field(default=300, ge=1, le=3600)
    # A PostgreSQL streaming replica (hot standby) of database_url: the registry dashboards,
    # exports, reports and bulk FHIR export read from it (README, "Running at scale").
    database_replica_url: str | None = None
    # Operational settings (local policy, not clinical): a replica further behind than this,
    # or not answering, is left out and its reads go to the primary; its state is checked at
    # most this often (and a replica found down is tried again after 5 s at the earliest).
    replica_max_lag_seconds: float = Field(default=30.0, ge=0, le=24 * 3600)
    replica_check_seconds: float = Field(default=1.0, ge=0, le=3600)

    @model_validator(mode="after")
    def _replica_is_postgresql(self) -> Settings:
        if not self.database_replica_url:
            self.database_replica_url = None
            return self
        for name, url in (
            ("database_url", self.database_url),
            ("database_replica_url", self.database_replica_url),
        ):
            if not url.startswith("postgresql"):
                raise ValueError(f"{name} must be PostgreSQL when a read replica is set")
        return self

    @model_validator(mode="after")
    def _argon2_memory_fits_lanes(self) -> Settings:
        # argon2 needs at least 8 KiB of memory per lane.
        if self.argon2_memory_cost_kib < 8 * self.argon2_parallelism:
            raise ValueError("argon2_memory_cost_kib must be at least 8 x argon2_parallelism")
        return self


@cache
def get_settings() -> Settings:
    """The process-wide settings read from the environment (cached)."""
    return Settings()
