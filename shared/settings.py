"""Settings common to every service: read from ``SIVICON_*`` variables, validated at start.

Only composition roots (``main.py``, the CLI) read settings; everything below them takes values.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.calendar import OFFICE_TIMEZONE
from shared.datadir import kept_secret

SERVICES = ("intake", "disposition", "scheduler", "letters", "portal")
DEFAULT_PORTS = {
    "portal": 8000,
    "intake": 8001,
    "disposition": 8002,
    "scheduler": 8003,
    "letters": 8004,
    "fakezoom": 8009,
}


class SettingsError(ValueError):
    """Configuration that cannot be used; the message names the variable and what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIVICON_", extra="ignore")

    mode: Literal["embedded", "production"] = "embedded"
    data_dir: Path = Path("var")
    nats_url: str = "nats://127.0.0.1:4222"
    # This process's NATS user: its nkey seed file (shared.messaging.connection), and the CA
    # that the server's TLS certificate must verify against; both required in production.
    nats_credentials: Path | None = None
    nats_tls_ca: Path | None = None
    # The agencies whose systems submit requests over NATS: one NATS user each (agency-<CODE>).
    nats_agencies: str = "DINKES"
    stream_replicas: int = Field(default=1, ge=1, le=5)
    duplicate_window_seconds: int = Field(default=3600, ge=60)
    # How long NATS waits for a consumer's acknowledgement before delivering a message again.
    consumer_ack_wait_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)
    # This service's Ed25519 key (default <data_dir>/keys/<service>.ed25519) and the keyring
    # file `sivicon keys publish` reads (default <data_dir>/keys/keyring.json).
    signing_key_file: Path | None = None
    keyring_file: Path | None = None

    database: Literal["sqlite", "postgres"] = "sqlite"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "postgres"
    postgres_password: SecretStr = SecretStr("")
    postgres_dbname: str = "sivicon"
    postgres_schema_prefix: str = ""

    # Unset: outside production, a random one kept in the data folder (shared.datadir).
    auth_secret: SecretStr | None = None
    token_ttl_minutes: int = Field(default=12 * 60, ge=1)
    # A portal session ends after this long without a request, and at the latest this long
    # after signing in.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=10, ge=1, le=72)

    host: str = "127.0.0.1"
    portal_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['portal']}"
    intake_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['intake']}"
    disposition_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['disposition']}"
    scheduler_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['scheduler']}"
    letters_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['letters']}"

    zoom_api_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['fakezoom']}/v2"
    zoom_oauth_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['fakezoom']}/oauth/token"
    zoom_account_id: str = "fake-account"
    zoom_client_id: str = "fake-client"
    zoom_client_secret: SecretStr = SecretStr("fake-secret")

    timezone: str = OFFICE_TIMEZONE
    max_letter_pdf_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    slot_buffer_minutes: int = Field(default=15, ge=0, le=240)
    demo_data: bool = True

    # What the reply letters print; unset means the letters service's own default for the
    # office (services/letters/office.py, Office), kept in that one place.
    letters_classification: str | None = None
    letters_unit_code: str | None = None
    letters_office_address: str | None = None
    letters_head_title: str | None = None
    letters_head_pangkat: str | None = None
    letters_head_nip: str | None = None
    letters_verification_base: str = ""
    log_format: Literal["text", "json"] | None = None  # default: json in production, else text

    @field_validator("nats_url")
    @classmethod
    def _nats_url(cls, value: str) -> str:
        for url in value.split(","):
            if urlsplit(url.strip()).scheme not in ("nats", "tls", "ws", "wss"):
                raise ValueError(f"{url!r} is not a NATS URL (nats://host:port)")
        return value

    @field_validator("nats_agencies")
    @classmethod
    def _nats_agencies(cls, value: str) -> str:
        for code in value.split(","):
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", code.strip()):
                raise ValueError(f"{code.strip()!r} is not an agency code (DINKES,DISDIK)")
        return value

    @property
    def machine_agencies(self) -> tuple[str, ...]:
        return tuple(code.strip() for code in self.nats_agencies.split(",") if code.strip())

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.mode == "production":
            secret = self.auth_secret.get_secret_value() if self.auth_secret else ""
            if len(secret) < 32:
                raise ValueError(
                    "SIVICON_AUTH_SECRET must be set to a random value of at least 32 characters "
                    "in production mode"
                )
            if self.database != "postgres":
                raise ValueError("production mode needs SIVICON_DATABASE=postgres")
            if self.demo_data:
                raise ValueError("SIVICON_DEMO_DATA must be false in production mode")
            self._refuse_unsafe_nats()
        return self

    def _refuse_unsafe_nats(self) -> None:
        if self.nats_credentials is None:
            raise ValueError(
                "SIVICON_NATS_CREDENTIALS must name this service's NATS credentials file (its "
                "nkey seed) in production mode"
            )
        if any(urlsplit(url.strip()).scheme != "tls" for url in self.nats_url.split(",")):
            raise ValueError("SIVICON_NATS_URL must use tls:// in production mode")
        if self.nats_tls_ca is None:
            raise ValueError(
                "SIVICON_NATS_TLS_CA must name the CA file that NATS's certificate is checked "
                "against in production mode"
            )

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and self.mode == "production")

    @cached_property
    def secret(self) -> bytes:
        """The token secret: ``SIVICON_AUTH_SECRET``, else the installation's own, made at random
        once and kept in the data folder (refused in production, above)."""
        if self.auth_secret is not None:
            return self.auth_secret.get_secret_value().encode()
        try:
            return kept_secret(self.data_dir).encode()
        except (OSError, ValueError) as exc:
            raise SettingsError(f"SIVICON_AUTH_SECRET is not set, and {exc}") from None

    def service_url(self, service: str) -> str:
        return str(getattr(self, f"{service}_url"))

    def port_of(self, service: str) -> int:
        return urlsplit(self.service_url(service)).port or DEFAULT_PORTS[service]

    def eventstore_env(self, service: str) -> dict[str, str]:
        """The ``eventsourcing`` environment for one service's own store."""
        if self.database == "sqlite":
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.data_dir / f"{service}.sqlite"),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password.get_secret_value(),
            "POSTGRES_DBNAME": self.postgres_dbname,
            "POSTGRES_SCHEMA": f"{self.postgres_schema_prefix}{service}",
        }

    def signing_key_path(self, service: str) -> Path:
        return self.signing_key_file or self.data_dir / "keys" / f"{service}.ed25519"

    @property
    def keyring_path(self) -> Path:
        return self.keyring_file or self.data_dir / "keys" / "keyring.json"

    def documents_dir(self, service: str) -> Path:
        return self.data_dir / "documents" / service


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings, turning pydantic's report into one readable error."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"SIVICON_{'_'.join(str(p) for p in err['loc']).upper() or '(settings)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from None
