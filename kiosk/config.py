"""Configuration: `config.toml` loaded into pydantic models.

Every knob has a default and a range, so a missing file still gives a working kiosk and a bad
value is caught at start-up with a one-line message naming the key, the value and what is
allowed (``ConfigError``, exit code 2), instead of failing mid-conversation.

Relative paths in the file are resolved against the directory of the config file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from kiosk.errors import ConfigError

ENV_CONFIG = "KIOSK_CONFIG"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "config.toml"

Lang = Literal["ko", "en"]


MAX_PATH_BYTES = 4096
MAX_NAME_BYTES = 255
MAX_CONFIG_BYTES = 1 << 20
"""A config file is a few kB; a bigger one (or /dev/zero) is a mistake, not read to the end."""


def _safe_text(text: str) -> str:
    """A path or file name the OS can take, shown on one line in any error: no NUL or other
    control character, no component over 255 bytes, not over 4096 bytes in all (each gave a
    traceback from the first open, after the models had loaded)."""
    if any(not c.isprintable() for c in text):
        raise ValueError("must not contain control characters (NUL, newline, tab...)")
    if len(text.encode()) > MAX_PATH_BYTES:
        raise ValueError(f"is longer than {MAX_PATH_BYTES} bytes")
    if any(len(part.encode()) > MAX_NAME_BYTES for part in text.split("/")):
        raise ValueError(f"has a path component longer than {MAX_NAME_BYTES} bytes")
    return text


def _safe_path(path: Path) -> Path:
    _safe_text(str(path))
    return path


SafePath = Annotated[Path, Strict(False), AfterValidator(_safe_path)]
"""Paths come from TOML as strings: the one field type that is converted (see Section)."""
SafeName = Annotated[str, AfterValidator(_safe_text)]


class Section(BaseModel):
    """Strict base: unknown keys are errors, so a typo in config.toml is never silently ignored;
    and values are never converted (`temperature = true` was taken as 1.0, turning greedy
    decoding off without a word)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PathsConfig(Section):
    models_dir: SafePath = Path("models")
    runtime_dir: SafePath | None = None
    """None: a private default (kiosk.diag.rundir.default_runtime_dir), never shared /tmp."""


class AudioConfig(Section):
    input_device: str | int | None = None
    output_device: str | int | None = None
    input_rate_hz: Annotated[int, Field(ge=8000, le=192000)] = 16000
    block_ms: Annotated[int, Field(ge=10, le=200)] = 32
    reopen_backoff_s: Annotated[float, Field(ge=0.1, le=60)] = 1.0
    reopen_backoff_max_s: Annotated[float, Field(ge=1, le=600)] = 30.0


class VadConfig(Section):
    model: SafeName = "silero_vad.onnx"
    start_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.5
    stop_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.35
    min_speech_ms: Annotated[int, Field(ge=32, le=5000)] = 250
    end_silence_ms: Annotated[int, Field(ge=100, le=5000)] = 600
    preroll_ms: Annotated[int, Field(ge=0, le=2000)] = 300
    max_utterance_s: Annotated[float, Field(ge=1, le=120)] = 15.0
    # End of turn by meaning (kiosk/speech/turn.py): "" turns the model off (silence only).
    turn_model: SafeName | Literal[""] = "smart-turn-v3.2-cpu.onnx"
    turn_pause_ms: Annotated[int, Field(ge=64, le=2000)] = 200
    turn_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.5
    incomplete_silence_ms: Annotated[int, Field(ge=100, le=5000)] = 1500
    turn_early_langs: list[Lang] = Field(default_factory=lambda: list[Lang](["ko"]))

    @model_validator(mode="after")
    def _hysteresis(self) -> VadConfig:
        if self.stop_threshold > self.start_threshold:
            raise ValueError(f"stop_threshold {self.stop_threshold} must not be above "
                             f"start_threshold {self.start_threshold}")
        return self


class AsrConfig(Section):
    model: SafeName = "whisper-base"
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: Literal["int8", "int8_float16", "float16", "float32", "default"] = "int8"
    beam_size: Annotated[int, Field(ge=1, le=10)] = 1
    languages: list[Lang] = Field(default_factory=lambda: list[Lang](["ko", "en"]),
                                 min_length=1)
    hotwords_from_kb: bool = True
    threads: Annotated[int, Field(ge=0, le=64)] = 0
    window_s: Annotated[int, Field(ge=5, le=30)] = 10


QuestionKind = Literal["location", "route", "neighbours", "features", "category", "code",
                       "walk_time", "floors"]


class LlmConfig(Section):
    model: SafeName = "gemma-3-270m-q4_k_m.gguf"
    lora: SafeName | None = "adapters/campus-270m/campus-270m.gguf"
    n_ctx: Annotated[int, Field(ge=256, le=32768)] = 2048
    n_gpu_layers: Annotated[int, Field(ge=-1, le=1000)] = 0
    n_threads: Annotated[int, Field(ge=0, le=64)] = 0
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.0
    top_p: Annotated[float, Field(gt=0, le=1)] = 0.9
    repeat_penalty: Annotated[float, Field(ge=1, le=2)] = 1.15
    max_tokens: Annotated[int, Field(ge=8, le=512)] = 64
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 20.0
    first_sentence_timeout_s: Annotated[float, Field(gt=0, le=60)] = 2.5
    cpu_repack: bool = False
    few_shot: Annotated[int, Field(ge=0, le=5)] = 0
    phrased_kinds: list[QuestionKind] = Field(default_factory=lambda: list[QuestionKind]([
        "location", "route", "features", "category"]))
    enabled: bool = True


class DialogConfig(Section):
    history_turns: Annotated[int, Field(ge=1, le=50)] = 10
    idle_timeout_s: Annotated[float, Field(ge=5, le=3600)] = 45.0
    max_input_chars: Annotated[int, Field(ge=20, le=4000)] = 300
    log_transcripts: bool = False


class TtsConfig(Section):
    voices: dict[Lang, SafeName] = Field(
        default_factory=lambda: dict[Lang, str](
            {"en": "en_US-joe-medium.onnx", "ko": "kokoro:jm_kumo"})
    )
    ko_fallback: Literal["english", "romanized", "espeak", "none"] = "english"
    length_scale: Annotated[float, Field(gt=0.3, le=3)] = 1.0
    sentence_silence_ms: Annotated[int, Field(ge=0, le=2000)] = 200
    threads: Annotated[int, Field(ge=1, le=64)] = 2  # Kokoro's onnxruntime threads

    @field_validator("voices")
    @classmethod
    def _english_voice_required(cls, voices: dict[str, str]) -> dict[str, str]:
        if not voices.get("en"):
            raise ValueError("an English voice (tts.voices.en) is required")
        return voices


class PipelineConfig(Section):
    # "cancel": WebRTC AEC3 behind Speex's linear filter, echo_linear_ms long (docs/echo.md;
    # 0 = AEC3 alone); barge-in and the VAD run on what it leaves. "gate": the microphone is
    # ignored while the kiosk speaks plus echo_tail_ms (no barge-in). "aec3", the opt-in name
    # of the same canceller before it became the default, still means "cancel".
    echo_mode: Literal["cancel", "gate"] = "cancel"
    echo_linear_ms: Annotated[int, Field(ge=0, le=1000)] = 384
    echo_max_lag_ms: Annotated[int, Field(ge=0, le=2000)] = 400
    echo_tail_ms: Annotated[int, Field(ge=0, le=3000)] = 500
    barge_in: bool = True
    # A visitor talking over a reply stops it once barge_in_ms of the last barge_in_window_ms
    # scored at least barge_in_threshold as speech (kiosk.pipeline.BargeInRule, docs/echo.md).
    barge_in_ms: Annotated[int, Field(ge=32, le=2000)] = 128
    barge_in_window_ms: Annotated[int, Field(ge=32, le=2000)] = 224
    barge_in_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.4
    session_id: str = "visitor"

    @model_validator(mode="after")
    def _window_holds_the_speech(self) -> PipelineConfig:
        if self.barge_in_window_ms < self.barge_in_ms:
            raise ValueError("pipeline.barge_in_window_ms must be at least barge_in_ms")
        return self

    @field_validator("echo_mode", mode="before")
    @classmethod
    def _aec3_is_cancel(cls, mode: object) -> object:
        return "cancel" if mode == "aec3" else mode


class GovernorConfig(Section):
    budget_mb: Annotated[int, Field(ge=200, le=65536)] = 6500
    preload: bool = True


class Config(Section):
    paths: PathsConfig = PathsConfig()
    audio: AudioConfig = AudioConfig()
    vad: VadConfig = VadConfig()
    asr: AsrConfig = AsrConfig()
    llm: LlmConfig = LlmConfig()
    dialog: DialogConfig = DialogConfig()
    tts: TtsConfig = TtsConfig()
    pipeline: PipelineConfig = PipelineConfig()
    governor: GovernorConfig = GovernorConfig()
    source: Annotated[Path | None, Strict(False)] = Field(default=None, exclude=True)

    def resolve(self, path: str | Path) -> Path:
        """A path from the config, absolute or relative to the config file's directory."""
        p = Path(path).expanduser()
        if p.is_absolute():
            return p
        base = self.source.parent if self.source else REPO_ROOT
        return (base / p).resolve()

    def without_llm(self) -> Config:
        """The same settings with the language model off (answers from the KB's templates)."""
        return self.model_copy(update={"llm": self.llm.model_copy(update={"enabled": False})})

    def model_path(self, name: str) -> Path:
        """A model file or directory: absolute, or inside ``paths.models_dir``."""
        p = Path(name).expanduser()
        return p if p.is_absolute() else self.resolve(self.paths.models_dir) / p


def _printable(text: str) -> str:
    """Control characters escaped, so an error message stays on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    key = _printable(".".join(str(part) for part in first["loc"])) or "(top level)"
    if first["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    value = first.get("input")
    shown = _printable(repr(value)) if not isinstance(value, dict) else "{…}"
    more = f" (and {len(error.errors()) - 1} more)" if len(error.errors()) > 1 else ""
    return f"{key} = {shown}: {first['msg']}{more}"


def parse_config(data: dict, source: Path | None = None) -> Config:
    """Validate a config mapping; a bad value raises a one-line ``ConfigError``."""
    try:
        return Config.model_validate({**data, "source": source})
    except ValidationError as error:
        where = f" in {_printable(str(source))}" if source else ""
        raise ConfigError(f"config error{where}: {_describe(error)}") from None


def config_path(explicit: str | Path | None = None) -> Path:
    """`--config PATH`, else `$KIOSK_CONFIG`, else the repository's `config.toml`."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CONFIG)
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_config(explicit: str | Path | None = None) -> Config:
    """Load and validate the config file; a missing default file gives the built-in defaults.

    Only a regular file of at most ``MAX_CONFIG_BYTES`` is read: a FIFO hung start-up and
    /dev/zero was read until memory ran out. Every failure is one ``ConfigError`` line."""
    path = config_path(explicit)
    shown = _printable(str(path))
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        if explicit or os.environ.get(ENV_CONFIG):
            raise ConfigError(f"config error: file not found: {shown}") from None
        return Config(source=None)
    except ValueError:  # an embedded NUL byte
        raise ConfigError(f"config error: bad config path {shown}: contains NUL") from None
    except OSError as error:
        raise ConfigError(f"config error: cannot read {shown}: "
                          f"{error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"config error: {shown} is not a regular file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"config error: cannot read {shown}: "
                          f"{error.strerror or error}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config error: {shown} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"config error in {shown}: not valid TOML: "
                          f"{_printable(str(error))}") from None
    return parse_config(data, source=path.resolve())
