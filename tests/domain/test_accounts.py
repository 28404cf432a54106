"""Credential hashing (SHA-256 API keys, scrypt secrets) and callback signatures."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from heliograph.domain.accounts import (
    Account,
    CredentialKind,
    ReceiptMail,
    api_key_credential,
    hash_api_key,
    hash_secret,
    parse_email,
    receipt_url,
    secret_credential,
    sign_callback,
    verify_callback_signature,
    verify_secret,
)
from heliograph.domain.ids import AccountId

SALT = bytes(range(16))
SECRET = "whsec_test"
BODY = b'{"event":"message.status","id":"M1","status":"delivered"}'
T = 1_800_000_000


# --- API keys ---------------------------------------------------------------------------


def test_hash_api_key_is_hex_sha256() -> None:
    digest = hash_api_key("hg_abc")
    assert digest == hashlib.sha256(b"hg_abc").hexdigest()
    assert len(digest) == 64


def test_hash_api_key_differs_per_key() -> None:
    assert hash_api_key("hg_abc") != hash_api_key("hg_abd")


def test_api_key_credential_stores_only_the_hash() -> None:
    cred = api_key_credential(AccountId("a1"), "hg_secret_key", 5.0)
    assert cred.kind is CredentialKind.API_KEY
    assert cred.lookup == hash_api_key("hg_secret_key")
    assert "hg_secret_key" not in (cred.lookup, cred.secret_hash)
    assert (cred.account_id, cred.created_at, cred.revoked) == ("a1", 5.0, False)


# --- scrypt secrets ----------------------------------------------------------------------


def test_hash_secret_format_records_its_parameters() -> None:
    stored = hash_secret("pw", SALT)
    scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
    assert scheme == "scrypt"
    assert salt_hex == SALT.hex()
    expected = hashlib.scrypt(b"pw", salt=SALT, n=int(n), r=int(r), p=int(p), dklen=32)
    assert hash_hex == expected.hex()
    assert "pw" not in stored


def test_verify_secret_uses_cost_recorded_in_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("heliograph.domain.accounts._SCRYPT_N", 2**4)
    stored = hash_secret("pw", SALT)
    monkeypatch.setattr("heliograph.domain.accounts._SCRYPT_N", 2**5)
    assert hash_secret("pw", SALT) != stored
    assert verify_secret("pw", stored)


def test_verify_secret_right_and_wrong() -> None:
    stored = hash_secret("correct horse", SALT)
    assert verify_secret("correct horse", stored)
    assert not verify_secret("correct hors", stored)
    assert not verify_secret("", stored)


def test_hash_secret_salt_changes_hash() -> None:
    a = hash_secret("pw", SALT)
    b = hash_secret("pw", bytes(16))
    assert a != b
    assert verify_secret("pw", b)


@pytest.mark.parametrize("stored", ["", "plain", "bcrypt$16384$8$1$00$00", "scrypt$16384$8$1$00"])
def test_verify_secret_malformed_or_foreign_hash_is_false(stored: str) -> None:
    assert not verify_secret("pw", stored)


def test_secret_credential_hashes_with_scrypt() -> None:
    cred = secret_credential(AccountId("a1"), CredentialKind.PIN, "alice", "1234", SALT, 7.0)
    assert (cred.kind, cred.lookup, cred.created_at) == (CredentialKind.PIN, "alice", 7.0)
    assert cred.secret_hash.startswith("scrypt$")
    assert verify_secret("1234", cred.secret_hash)
    assert not verify_secret("1235", cred.secret_hash)


# --- callback signatures -----------------------------------------------------------------


def test_sign_callback_is_hmac_sha256_of_timestamp_dot_body() -> None:
    header = sign_callback(SECRET, T, BODY)
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={T},v1={expected}"


def test_verify_callback_signature_accepts_own_signature() -> None:
    header = sign_callback(SECRET, T, BODY)
    assert verify_callback_signature(SECRET, header, BODY, now=T)


def test_verify_callback_signature_rejects_tampered_body() -> None:
    header = sign_callback(SECRET, T, BODY)
    assert not verify_callback_signature(SECRET, header, BODY + b" ", now=T)


def test_verify_callback_signature_rejects_wrong_secret() -> None:
    header = sign_callback(SECRET, T, BODY)
    assert not verify_callback_signature("whsec_other", header, BODY, now=T)


def test_verify_callback_signature_rejects_changed_timestamp() -> None:
    mac = sign_callback(SECRET, T, BODY).split(",v1=")[1]
    assert not verify_callback_signature(SECRET, f"t={T + 1},v1={mac}", BODY, now=T)


@pytest.mark.parametrize(("offset", "ok"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_verify_callback_signature_tolerance(offset: float, ok: bool) -> None:
    header = sign_callback(SECRET, T, BODY)
    assert verify_callback_signature(SECRET, header, BODY, now=T + offset) is ok


def test_verify_callback_signature_custom_tolerance() -> None:
    header = sign_callback(SECRET, T, BODY)
    assert not verify_callback_signature(SECRET, header, BODY, now=T + 31, tolerance_s=30)
    assert verify_callback_signature(SECRET, header, BODY, now=T + 30, tolerance_s=30)


@pytest.mark.parametrize(
    "header",
    ["", "garbage", f"t={T}", "v1=00", "t=abc,v1=00", f"t={T};v1=00", f"v1=00,t={T}"],
)
def test_verify_callback_signature_malformed_header_is_false(header: str) -> None:
    assert not verify_callback_signature(SECRET, header, BODY, now=T)


@pytest.mark.parametrize(
    "bad",
    ["", "ops", "@example.org", "ops@", "Ops <ops@example.org>", "a@x.org, b@x.org",
     "o ps@example.org", "ops@exa\nmple.org", "x" * 65 + "@example.org"],
)  # fmt: skip
def test_parse_email_refuses_anything_but_one_plain_address(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^email: "):
        parse_email(bad)
    assert parse_email("desk+sms@shop.example") == "desk+sms@shop.example"


@pytest.mark.parametrize(
    ("callback", "email", "receipts", "url"),
    [
        ("https://a.example/cb", None, ReceiptMail.OFF, "https://a.example/cb"),
        ("https://a.example/cb", "o@a.example", ReceiptMail.OFF, "https://a.example/cb"),
        ("https://a.example/cb", "o@a.example", ReceiptMail.ALSO, "https://a.example/cb"),
        (None, "o@a.example", ReceiptMail.ALSO, "mailto:o@a.example"),
        ("https://a.example/cb", "o@a.example", ReceiptMail.ONLY, "mailto:o@a.example"),
        (None, "o@a.example", ReceiptMail.OFF, None),
    ],
)
def test_receipt_url_is_where_status_events_go_by_default(
    callback: str | None, email: str | None, receipts: ReceiptMail, url: str | None
) -> None:
    account = Account(
        id=AccountId("a"),
        name="a",
        callback_url=callback,
        callback_secret="s",
        created_at=0.0,
        email=email,
        email_receipts=receipts,
    )
    assert receipt_url(account) == url
