"""Configuration: one TOML file plus ``HELIOGRAPH_*`` environment overrides.

Static infrastructure only (listeners, store, connectors, limits); accounts and
other business data live in the database. The file is read with ``tomllib``
into frozen dataclasses and validated once, by ``load()``; any problem raises
``ConfigError`` naming the key (``http.port: must be an integer from 1 to
65535``) and ``heliograph serve`` exits with status 2 before starting anything.

Environment overrides: ``HELIOGRAPH_DATA_DIR``, ``HELIOGRAPH_LOG_LEVEL`` and,
for every scalar key of a section, ``HELIOGRAPH_<SECTION>_<KEY>`` (for example
``HELIOGRAPH_HTTP_PORT``, ``HELIOGRAPH_STORE_URL``). Nothing here is read at
import time.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from heliograph.domain.optout import (
    DEFAULT_HELP,
    DEFAULT_HELP_TEXT,
    DEFAULT_START,
    DEFAULT_STOP,
    Keywords,
)
from heliograph.domain.quiet import QuietHours
from heliograph.domain.rejections import Rejected
from heliograph.domain.tlvs import TLV_TYPES
from heliograph.wire.smpp.constants import Tag

DEFAULT_FILE = "heliograph.toml"


class ConfigError(Exception):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 4 * 1024 * 1024
    # how handsets reach this gateway, for MMS fetch URLs (default: the address the request came to)
    public_url: str = ""
    # single-message submits read without aiohttp's per-request work (servers/http/fastlane.py)
    fast_lane: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class SmppConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 2775
    max_connections: int = 1000
    max_binds_per_account: int = 10
    window: int = 100  # client requests in progress per bind; also our deliver_sm window
    max_bind_failures: int = 5  # failed binds from one address before it is locked out
    lockout_s: float = 300.0
    response_timeout_s: float = 30.0
    enquire_link_interval_s: float = 60.0
    inactivity_timeout_s: float = 300.0
    max_junk_pdus: int = 10  # consecutive malformed PDUs before the connection is closed
    system_types: tuple[str, ...] = ()  # allowed bind system_type values; empty: any


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpConfig:  # docs/email.md
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 2525
    domain: str = "sms.localhost"  # mail to <number>@<domain> becomes an SMS
    hostname: str = ""  # name in the greeting and EHLO answer; default: domain
    require_auth: bool = True  # SMTP AUTH before mail to numbers
    auth_require_tls: bool = True  # AUTH only after STARTTLS, except on a loopback listener
    account: str = ""  # the account mail without AUTH is sent on (require_auth = false)
    sender: str = ""  # SMS sender when the mail has no X-Heliograph-Sender header
    smsc_address: str = "send"  # local part taking the SMS Center e-mail format; "" turns it off
    max_message_bytes: int = 256 * 1024
    max_recipients: int = 100
    timeout_s: float = 300.0  # an idle session is closed after this
    tls_cert_file: str = ""  # both set: STARTTLS is offered
    tls_key_file: str = ""
    relay_host: str = ""  # receipts and replies are mailed through this server; "" = off
    relay_port: int = 25
    relay_from: str = ""  # From of the mails; default: heliograph@<domain>
    relay_starttls: bool = False
    relay_tls: bool = False  # TLS from the first byte (port 465) instead of STARTTLS
    relay_username: str = ""
    relay_password_env: str = ""  # environment variable holding the relay's password


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenerConfig:
    """An extra HTTP listener serving one dialect or some path prefixes (docs/configuration.md)."""

    name: str
    port: int
    host: str = "127.0.0.1"
    dialect: str = ""  # a module of servers/http/dialects, e.g. "ozeki"
    paths: tuple[str, ...] = ()  # path prefixes served, e.g. ["/v1/"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreConfig:
    url: str = ""  # default: sqlite:///<data_dir>/heliograph.sqlite3
    synchronous: str = "full"


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatchConfig:
    batch_size: int = 500
    max_attempts: int = 10
    backoff_base_s: float = 2.0
    backoff_max_s: float = 600.0
    default_validity_s: int = 2 * 86400
    max_recipients: int = 10_000
    max_parts: int = 255


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectionConfig:
    duplicate_window_s: float = 60.0
    flood_gap_s: float = 30.0
    flood_max: int = 50
    history_limit: int = 200_000  # most recent sends each rule remembers (memory bound)
    rate_per_s: float = 0.0
    burst: float = 0.0
    # Hold messages that would arrive at night in the recipient's time zone,
    # e.g. "21:00-08:00"; "" turns it off.
    quiet_hours: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditConfig:  # docs/configuration.md "Credit and prices"
    # when a part's price is final: "submit" (once an upstream took it) or
    # "delivery" (reserved until the receipt says delivered, refunded otherwise)
    settle: str = "submit"
    # a part whose price is reserved (settle = "delivery", or an account's rules):
    # how long after its validity ends the gateway waits for its final receipt
    # before it expires the part and refunds it
    receipt_wait_s: float = 3600.0

    @property
    def on_delivery(self) -> bool:
        return self.settle == "delivery"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbacksConfig:
    timeout_s: float = 10.0
    max_age_s: float = 86400.0
    concurrency: int = 100
    backoff_base_s: float = 5.0
    backoff_max_s: float = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundConfig:  # docs/inbound.md
    optout: bool = True  # STOP/START/HELP keywords in MO keep per-account opt-out lists
    stop_keywords: tuple[str, ...] = DEFAULT_STOP
    start_keywords: tuple[str, ...] = DEFAULT_START
    help_keywords: tuple[str, ...] = DEFAULT_HELP
    help_text: str = DEFAULT_HELP_TEXT  # sent back to whoever texts a HELP keyword

    def keywords(self) -> Keywords | None:
        """The keyword lists, or None when opt-out keywords are off. Raises: Rejected."""
        if not self.optout:
            return None
        return Keywords.of(self.stop_keywords, self.start_keywords, self.help_keywords)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentConfig:  # docs/content.md
    # destination prefixes (E.164 digits, e.g. "44770") of walled-garden networks, whose
    # handsets cannot fetch an MMS from outside: they get a WAP Push of the content instead
    walled_garden: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorConfig:
    name: str
    type: str = "loopback"
    prefixes: tuple[str, ...] = ()
    receipt_delay_s: float = 0.5
    delivery_ratio: float = 1.0
    failure_state: str = "undeliverable"
    failure_error: str = "001"
    temporary_failure_ratio: float = 0.0
    permanent_failure_ratio: float = 0.0
    failover: tuple[str, ...] = ()  # connectors that take this one's traffic while it is down
    # what this connector costs per part by destination prefix (least_cost routes)
    costs: tuple[tuple[str, float], ...] = ()
    # type = "smpp" (docs/smpp.md)
    host: str = ""
    port: int = 2775
    system_id: str = ""
    password_env: str = ""
    system_type: str = ""
    bind_mode: str = "transceiver"
    binds: int = 1
    receiver_binds: int = 0
    window: int = 10
    throughput_per_s: float = 0.0
    enquire_link_interval_s: float = 30.0
    mo_reassembly_timeout_s: float = 60.0  # incomplete multipart MO delivered after this
    response_timeout_s: float = 30.0
    reconnect_backoff_base_s: float = 1.0
    reconnect_backoff_max_s: float = 60.0
    tls: bool = False
    tls_verify: bool = True
    message_id_type: str = "auto"
    system_sender: str = ""
    source_addr_ton: int = -1  # -1: from the sender (alphanumeric 5, +international 1...)
    source_addr_npi: int = -1
    dest_addr_ton: int = 1
    dest_addr_npi: int = 1
    data_coding_gsm7: int = 0
    data_coding_latin1: int = 3
    data_coding_ucs2: int = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteConfig:
    """An MT route (domain/routing.py): conditions, connectors and a strategy."""

    name: str
    connectors: tuple[str, ...]
    strategy: str = "failover"
    prefixes: tuple[str, ...] = ()
    pattern: str = ""
    accounts: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SmppTlvConfig:
    """An SMPP optional parameter clients may set by name (Kannel's smpp-tlv group)."""

    name: str
    tag: int
    type: str
    length: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    data_dir: str = "./data"
    log_level: str = "info"
    http: HttpConfig = field(default_factory=HttpConfig)
    smpp: SmppConfig = field(default_factory=SmppConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    callbacks: CallbacksConfig = field(default_factory=CallbacksConfig)
    credit: CreditConfig = field(default_factory=CreditConfig)
    protection: ProtectionConfig = field(default_factory=ProtectionConfig)
    inbound: InboundConfig = field(default_factory=InboundConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    connectors: tuple[ConnectorConfig, ...] = (ConnectorConfig(name="loopback"),)
    listeners: tuple[ListenerConfig, ...] = ()
    routes: tuple[RouteConfig, ...] = ()
    smpp_tlvs: tuple[SmppTlvConfig, ...] = ()  # Kannel's meta-data (docs/dialects/kannel.md)

    @property
    def store_url(self) -> str:
        return self.store.url or f"sqlite:///{Path(self.data_dir) / 'heliograph.sqlite3'}"


_SECTIONS = (
    "http",
    "smpp",
    "smtp",
    "store",
    "dispatch",
    "callbacks",
    "credit",
    "protection",
    "inbound",
    "content",
)
_LOG_LEVELS = ("debug", "info", "warning", "error")
_FAILURE_STATES = ("undeliverable", "expired", "rejected", "failed")


def _coerce(key: str, kind: Any, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(key, "must be true or false")
    if kind is int:
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                raise ConfigError(key, f"must be an integer, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"must be an integer, not {value!r}")
        return value
    if kind is float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise ConfigError(key, f"must be a number, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(key, f"must be a number, not {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, not {value!r}")
        return value
    if kind == tuple[tuple[str, float], ...]:
        if not isinstance(value, dict):
            raise ConfigError(key, 'must be a table of prefix = price, e.g. { "44" = 0.03 }')
        return tuple(
            (str(prefix), _coerce(f"{key}.{prefix}", float, price))
            for prefix, price in value.items()
        )
    if kind == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, "must be a list of strings")
        return tuple(value)
    raise ConfigError(key, f"unsupported type {kind}")  # pragma: no cover


def _build(cls: type[Any], data: Mapping[str, Any], prefix: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise ConfigError(f"{prefix}{key}", f"unknown key (known: {', '.join(sorted(names))})")
    return cls(**{k: _coerce(f"{prefix}{k}", hints[k], v) for k, v in data.items()})


def _env_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    for top in ("data_dir", "log_level"):
        value = env.get(f"HELIOGRAPH_{top.upper()}")
        if value is not None:
            raw[top] = value
    for section in _SECTIONS:
        cls = get_type_hints(Config)[section]
        for f in dataclasses.fields(cls):
            value = env.get(f"HELIOGRAPH_{section.upper()}_{f.name.upper()}")
            if value is not None:
                raw.setdefault(section, {})[f.name] = value


def _check_port(key: str, port: int) -> None:
    if not 0 <= port <= 65535:
        raise ConfigError(key, "must be an integer from 0 to 65535 (0 picks a free port)")


def _validate(cfg: Config) -> None:
    for name in ("http", "smpp", "smtp"):
        _check_port(f"{name}.port", getattr(cfg, name).port)
    _validate_smpp_server(cfg.smpp)
    _validate_smtp(cfg.smtp)
    _validate_listeners(cfg)
    if cfg.log_level not in _LOG_LEVELS:
        raise ConfigError("log_level", f"must be one of {', '.join(_LOG_LEVELS)}")
    url = cfg.store_url
    if not (url.startswith("sqlite://") or url == "memory://" or url.startswith("postgresql://")):
        raise ConfigError("store.url", "must be sqlite:///PATH, postgresql://... or memory://")
    if cfg.store.synchronous.lower() not in ("full", "normal", "extra"):
        raise ConfigError("store.synchronous", "must be full, normal or extra")
    if cfg.dispatch.batch_size < 1 or cfg.dispatch.max_attempts < 1:
        raise ConfigError("dispatch", "batch_size and max_attempts must be at least 1")
    p = cfg.protection
    if p.quiet_hours:
        try:
            QuietHours.parse(p.quiet_hours)
        except ValueError as exc:
            raise ConfigError("protection.quiet_hours", str(exc)) from None
    if p.history_limit < 1000:
        raise ConfigError("protection.history_limit", "must be at least 1000")
    if min(p.duplicate_window_s, p.flood_gap_s, p.rate_per_s, p.burst) < 0 or p.flood_max < 1:
        raise ConfigError("protection", "windows, rate and burst must be >= 0, flood_max >= 1")
    _validate_inbound(cfg.inbound)
    if cfg.credit.settle not in ("submit", "delivery"):
        raise ConfigError("credit.settle", "must be submit or delivery")
    if cfg.credit.receipt_wait_s < 0:
        raise ConfigError("credit.receipt_wait_s", "must be 0 or more")
    for prefix in cfg.content.walled_garden:
        if not re.fullmatch(r"\+?[0-9]{1,15}", prefix):
            raise ConfigError(
                "content.walled_garden", f"{prefix!r} is not a number prefix (digits, e.g. 44770)"
            )
    if not cfg.connectors:
        raise ConfigError("connectors", "configure at least one connector")
    seen: set[str] = set()
    for i, c in enumerate(cfg.connectors):
        key = f"connectors[{i}]"
        if c.name in seen:
            raise ConfigError(f"{key}.name", f"duplicate connector name {c.name!r}")
        if c.name == "test":
            raise ConfigError(f"{key}.name", "'test' is the built-in test-mode connector's name")
        seen.add(c.name)
        if c.type not in ("loopback", "smpp"):
            raise ConfigError(f"{key}.type", f"{c.type!r} is not supported (use loopback or smpp)")
        if c.type == "smpp":
            _validate_smpp_connector(key, c)
        for other in c.failover:
            if other not in {x.name for x in cfg.connectors} or other == c.name:
                raise ConfigError(f"{key}.failover", f"{other!r} is not another connector's name")
        if c.failure_state not in _FAILURE_STATES:
            states = ", ".join(_FAILURE_STATES)
            raise ConfigError(f"{key}.failure_state", f"must be one of {states}")
        for ratio in ("delivery_ratio", "temporary_failure_ratio", "permanent_failure_ratio"):
            if not 0.0 <= getattr(c, ratio) <= 1.0:
                raise ConfigError(f"{key}.{ratio}", "must be between 0 and 1")


def _validate_inbound(i: InboundConfig) -> None:
    try:
        i.keywords()
    except Rejected as exc:
        raise ConfigError(f"inbound.{exc.field}", exc.detail) from None
    if not 1 <= len(i.help_text) <= 1000:
        raise ConfigError("inbound.help_text", "must be 1 to 1000 characters")


_BIND_MODES = ("transceiver", "transmitter", "receiver")
_MESSAGE_ID_TYPES = ("auto", "verbatim", "hex", "dec", "hex_dec", "dec_hex")


def _validate_smpp_server(s: SmppConfig) -> None:
    for name in ("max_connections", "max_binds_per_account", "window", "max_bind_failures"):
        if getattr(s, name) < 1:
            raise ConfigError(f"smpp.{name}", "must be at least 1")
    for name in ("lockout_s", "response_timeout_s", "enquire_link_interval_s"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"smpp.{name}", "must be greater than 0")
    if s.inactivity_timeout_s < 0 or s.max_junk_pdus < 1:
        raise ConfigError("smpp", "inactivity_timeout_s must be >= 0 and max_junk_pdus >= 1")


def _validate_smtp(s: SmtpConfig) -> None:
    if not s.domain or "@" in s.domain or any(c.isspace() for c in s.domain):
        raise ConfigError("smtp.domain", "must be a mail domain such as sms.example.com")
    if not s.require_auth and not s.account:
        raise ConfigError("smtp.account", "is required when require_auth = false")
    if not 1 <= s.max_recipients <= 10_000:
        raise ConfigError("smtp.max_recipients", "must be from 1 to 10000")
    if not 1024 <= s.max_message_bytes <= 64 * 1024 * 1024:
        raise ConfigError("smtp.max_message_bytes", "must be from 1024 to 67108864")
    if s.timeout_s <= 0:
        raise ConfigError("smtp.timeout_s", "must be greater than 0")
    if bool(s.tls_cert_file) != bool(s.tls_key_file):
        raise ConfigError("smtp.tls_key_file", "tls_cert_file and tls_key_file go together")
    for key in ("tls_cert_file", "tls_key_file"):
        path = getattr(s, key)
        if path and not Path(path).is_file():
            raise ConfigError(f"smtp.{key}", f"no such file: {path}")
    if s.relay_host and not 1 <= s.relay_port <= 65535:
        raise ConfigError("smtp.relay_port", "must be an integer from 1 to 65535")
    if s.relay_tls and s.relay_starttls:
        raise ConfigError("smtp.relay_tls", "relay_tls and relay_starttls exclude each other")
    if s.relay_from and (
        "@" not in s.relay_from or any(c.isspace() or c in "<>," for c in s.relay_from)
    ):
        raise ConfigError("smtp.relay_from", "must be one address such as sms@example.com")


def _validate_listeners(cfg: Config) -> None:
    from heliograph.servers.http.app import dialect_names

    used = {cfg.http.port: "http.port"}
    known = dialect_names()
    for i, listener in enumerate(cfg.listeners):
        key = f"listeners[{i}]"
        if not listener.name or listener.name in {x.name for x in cfg.listeners[:i]}:
            raise ConfigError(f"{key}.name", f"must be given and unique, not {listener.name!r}")
        _check_port(f"{key}.port", listener.port)
        if listener.port and listener.port in used:
            raise ConfigError(f"{key}.port", f"{listener.port} is already {used[listener.port]}")
        used[listener.port] = f"{key}.port"
        if not listener.dialect and not listener.paths:
            raise ConfigError(key, "give dialect (one of the HTTP dialects) or paths, or both")
        if listener.dialect and listener.dialect not in known:
            raise ConfigError(f"{key}.dialect", f"must be one of {', '.join(known)}")
        for path in listener.paths:
            if not path.startswith("/"):
                raise ConfigError(f"{key}.paths", f"{path!r} must start with '/'")


def _validate_smpp_connector(key: str, c: ConnectorConfig) -> None:
    if not c.host:
        raise ConfigError(f"{key}.host", "is required for an smpp connector")
    if not 1 <= c.port <= 65535:
        raise ConfigError(f"{key}.port", "must be an integer from 1 to 65535")
    if not 1 <= len(c.system_id) <= 15:
        raise ConfigError(f"{key}.system_id", "is required, at most 15 characters (SMPP §5.2.1)")
    if len(c.system_type) > 12:
        raise ConfigError(f"{key}.system_type", "must be at most 12 characters (SMPP §5.2.3)")
    if c.bind_mode not in _BIND_MODES:
        raise ConfigError(f"{key}.bind_mode", f"must be one of {', '.join(_BIND_MODES)}")
    if c.message_id_type not in _MESSAGE_ID_TYPES:
        types = ", ".join(_MESSAGE_ID_TYPES)
        raise ConfigError(f"{key}.message_id_type", f"must be one of {types}")
    if c.binds < 0 or c.receiver_binds < 0 or c.binds + c.receiver_binds < 1:
        raise ConfigError(f"{key}.binds", "binds and receiver_binds must be >= 0, together >= 1")
    if not 1 <= c.window <= 10_000:
        raise ConfigError(f"{key}.window", "must be from 1 to 10000")
    for name in ("response_timeout_s", "reconnect_backoff_base_s", "reconnect_backoff_max_s"):
        if getattr(c, name) <= 0:
            raise ConfigError(f"{key}.{name}", "must be greater than 0")
    if c.throughput_per_s < 0 or c.enquire_link_interval_s < 0:
        raise ConfigError(f"{key}.throughput_per_s", "throughput and intervals must be >= 0")
    for name in ("source_addr_ton", "source_addr_npi"):
        if not -1 <= getattr(c, name) <= 255:
            raise ConfigError(f"{key}.{name}", "must be -1 (from the address) or 0 to 255")
    for name in (
        "dest_addr_ton",
        "dest_addr_npi",
        "data_coding_gsm7",
        "data_coding_latin1",
        "data_coding_ucs2",
    ):
        if not 0 <= getattr(c, name) <= 255:
            raise ConfigError(f"{key}.{name}", "must be an integer from 0 to 255")


def _check_secrets(cfg: Config, env: Mapping[str, str]) -> None:
    relay_pw = cfg.smtp.relay_password_env
    if cfg.smtp.relay_host and relay_pw and relay_pw not in env:
        raise ConfigError("smtp.relay_password_env", f"environment variable {relay_pw} is not set")
    for i, c in enumerate(cfg.connectors):
        if c.type == "smpp" and c.password_env and c.password_env not in env:
            raise ConfigError(
                f"connectors[{i}].password_env",
                f"environment variable {c.password_env} is not set",
            )


def load(path: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the file (``path``, else ./heliograph.toml if present) and the environment.

    Raises: ConfigError.
    """
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    file = Path(path) if path else Path(DEFAULT_FILE)
    if path or file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("--config", f"no such file: {file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(file), f"not valid TOML: {exc}") from None
    _env_overrides(raw, env)
    known = {
        "data_dir",
        "log_level",
        "connectors",
        "listeners",
        "routes",
        "smpp_tlvs",
        *_SECTIONS,
    }
    for key in raw:
        if key not in known:
            raise ConfigError(key, f"unknown section or key (known: {', '.join(sorted(known))})")
    kwargs: dict[str, Any] = {}
    for top in ("data_dir", "log_level"):
        if top in raw:
            kwargs[top] = _coerce(top, str, raw[top])
    for section in _SECTIONS:
        if section in raw:
            if not isinstance(raw[section], dict):
                raise ConfigError(section, "must be a table")
            kwargs[section] = _build(get_type_hints(Config)[section], raw[section], f"{section}.")
    if "connectors" in raw:
        items = raw["connectors"]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ConfigError("connectors", "must be an array of tables ([[connectors]])")
        for i, item in enumerate(items):
            if "name" not in item:
                raise ConfigError(f"connectors[{i}].name", "is required")
        kwargs["connectors"] = tuple(
            _build(ConnectorConfig, item, f"connectors[{i}].") for i, item in enumerate(items)
        )
    if "listeners" in raw:
        kwargs["listeners"] = _listeners(raw["listeners"])
    if "routes" in raw:
        kwargs["routes"] = _routes(raw["routes"])
    if "smpp_tlvs" in raw:
        kwargs["smpp_tlvs"] = _smpp_tlvs(raw["smpp_tlvs"])
    cfg = Config(**kwargs)
    _validate(cfg)
    _check_route_connectors(cfg)
    _check_secrets(cfg, env)
    return cfg


_STRATEGIES = ("failover", "static", "round_robin", "least_cost")
_KINDS = ("text", "binary")


def _routes(items: Any) -> tuple[RouteConfig, ...]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError("routes", "must be an array of tables ([[routes]])")
    routes = []
    for i, item in enumerate(items):
        for required in ("name", "connectors"):
            if required not in item:
                raise ConfigError(f"routes[{i}].{required}", "is required")
        route = _build(RouteConfig, item, f"routes[{i}].")
        if not route.connectors:
            raise ConfigError(f"routes[{i}].connectors", "name at least one connector")
        if route.strategy not in _STRATEGIES:
            raise ConfigError(f"routes[{i}].strategy", f"must be one of {', '.join(_STRATEGIES)}")
        if route.pattern:
            try:
                re.compile(route.pattern)
            except re.error as exc:
                raise ConfigError(
                    f"routes[{i}].pattern", f"not a regular expression: {exc}"
                ) from None
        for kind in route.kinds:
            if kind not in _KINDS:
                raise ConfigError(f"routes[{i}].kinds", f"must be among {', '.join(_KINDS)}")
        for prefix in route.prefixes:
            if not prefix.isdigit():
                raise ConfigError(f"routes[{i}].prefixes", f"{prefix!r}: digits only, no '+'")
        routes.append(route)
    return tuple(routes)


# SMPP 3.4 §5.3.2 optional parameter tags, and the vendor-specific range (§5.3.2, Table 5-2)
_VENDOR_TAGS = range(0x1400, 0x4000)


def _smpp_tlvs(items: Any) -> tuple[SmppTlvConfig, ...]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError("smpp_tlvs", "must be an array of tables ([[smpp_tlvs]])")
    tlvs: list[SmppTlvConfig] = []
    for i, item in enumerate(items):
        key = f"smpp_tlvs[{i}]"
        for required in ("name", "tag", "type", "length"):
            if required not in item:
                raise ConfigError(f"{key}.{required}", "is required")
        t = _build(SmppTlvConfig, item, f"{key}.")
        if not t.name or not re.fullmatch(r"[A-Za-z0-9_.-]+", t.name):
            raise ConfigError(f"{key}.name", "must be letters, digits, '_', '.' or '-'")
        if any(other.name == t.name for other in tlvs):
            raise ConfigError(f"{key}.name", f"duplicate TLV name {t.name!r}")
        if t.tag not in _VENDOR_TAGS and t.tag not in set(Tag):
            raise ConfigError(
                f"{key}.tag", "must be 0x1400 to 0x3FFF or an SMPP 3.4 optional parameter tag"
            )
        if t.type not in TLV_TYPES:
            raise ConfigError(f"{key}.type", f"must be one of {', '.join(TLV_TYPES)}")
        top = 8 if t.type == "integer" else 0xFFFF
        if not 1 <= t.length <= top:
            raise ConfigError(f"{key}.length", f"must be from 1 to {top} octets")
        tlvs.append(t)
    return tuple(tlvs)


def _check_route_connectors(cfg: Config) -> None:
    names = {c.name for c in cfg.connectors}
    for i, route in enumerate(cfg.routes):
        for name in route.connectors:
            if name not in names:
                raise ConfigError(f"routes[{i}].connectors", f"no connector named {name!r}")


def _listeners(items: Any) -> tuple[ListenerConfig, ...]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError("listeners", "must be an array of tables ([[listeners]])")
    for i, item in enumerate(items):
        for required in ("name", "port"):
            if required not in item:
                raise ConfigError(f"listeners[{i}].{required}", "is required")
    return tuple(_build(ListenerConfig, item, f"listeners[{i}].") for i, item in enumerate(items))


def redact_url(url: str) -> str:
    """The URL with the password of its user part replaced by ``***``, for printing."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^:/@]*):[^/]*@", r"\1:***@", url)


def as_dict(cfg: Config) -> dict[str, Any]:
    out = dataclasses.asdict(cfg)
    out["store"]["url"] = redact_url(cfg.store_url)
    return out
