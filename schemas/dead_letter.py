"""A record of the dead-letter topic: an input casewatch could not use, and why."""

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DeadLetter(BaseModel):
    model_config = ConfigDict(frozen=True)

    reasons: list[str]
    topic: str
    partition: int
    offset: int
    key: str | None = Field(description="the message key as UTF-8 (invalid bytes replaced)")
    value_base64: str | None = Field(
        description="the original value byte for byte, base64; null for a message without one;"
        " cut to the first `value_limit` bytes when longer (see value_truncated)")
    value_text: str | None = Field(description="the start of the value as text, for reading")
    value_length: int | None = Field(description="the original value's full length in bytes")
    value_sha256: str | None = Field(description="SHA-256 of the full original value, hex")
    value_truncated: bool = False
    dead_lettered_at: AwareDatetime
