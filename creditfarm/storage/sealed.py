"""Personal financial information at rest: resident IDs, phone numbers and quarantined raw
values are sealed with authenticated encryption (AES-256-GCM) before they reach the database.

A sealed value is a text token ``cf1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``. The
nonce is synthetic — an HMAC of the value under the data key — so one value always seals to
one token under one key: re-importing a file rewrites nothing, and the token reveals only
what the keyed hash used for joins already reveals (that two rows hold the same value).
The key id (8 hex of the key's SHA-256) lets old keys still open their tokens while
``creditfarm rekey --data`` re-seals everything under the new one.

Joins never need the plaintext: they use the keyed hash (``identity.hash_key``). The masked
forms (ID 前6后4, phone 前3后4) are stored beside the tokens for lists and search, so opening a
token is needed only where a role may see the whole value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SEALED_COLUMNS",
    "TOKEN_PREFIX",
    "SealError",
    "Sealer",
    "is_sealed",
    "key_id",
    "parse_key",
    "redact_text",
]

TOKEN_PREFIX = "cf1:"
_NONCE = 12
_REMEMBER = 2_000_000  # tokens a sealer remembers (about 300 MB at most)
# The demo's data key is derived from the demo secret, which is public: demo mode only.
_DEMO_LABEL = b"creditfarm demo data key v1"

# Table → column → the mask stored beside the token (column name of the masked copy, or None).
SEALED_COLUMNS: dict[str, dict[str, str | None]] = {
    "person": {"id_number": "id_masked"},
    "archive": {"phone": None},
}

# Values that look like personal numbers, wherever they appear in free text (run messages,
# quarantine details, unknown columns): resident IDs (15 or 18 characters) and card numbers
# (15–19 digits; shorter runs are codes, such as 12-digit village codes) share the mask
# 前6后4; mobile numbers 前3后4. Digit runs are taken whole.
_LONG_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{5,9})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)(\d{4})(\d{4})(?![0-9A-Za-z])")


class SealError(ValueError):
    """A token that cannot be opened (another key, or altered); the message says which."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def parse_key(text: str, *, origin: str) -> bytes:
    """A 32-byte key written as 64 hex digits or base64 (standard or URL-safe)."""
    value = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return bytes.fromhex(value)
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SealError(
            f"{origin}: a data key is 32 random bytes written as 64 hex digits or base64 "
            "(make one with `creditfarm keygen`)"
        )
    return raw


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


@dataclass(frozen=True)
class Sealer:
    """Seals and opens values under the current data key; ``old`` keys (by key id) still open."""

    key: bytes
    old: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def kid(self) -> str:
        return key_id(self.key)

    @classmethod
    def demo(cls, secret: str) -> Sealer:
        return cls(hashlib.sha256(_DEMO_LABEL + secret.encode()).digest())

    @classmethod
    def from_config(
        cls,
        *,
        data_key: str,
        data_key_file: Path | None,
        old_keys: str,
        demo_mode: bool,
        secret: str,
    ) -> Sealer:
        """The key from ``data_key`` or ``data_key_file`` (the settings give demo mode a key
        file of its own); with neither, only in demo mode, a key derived from the secret."""
        old = {key_id(k): k for k in _old_keys(old_keys)}
        if data_key:
            return cls(parse_key(data_key, origin="CREDITFARM_DATA_KEY"), old)
        if data_key_file is not None:
            try:
                text = Path(data_key_file).read_text(encoding="ascii")
            except OSError as exc:
                raise SealError(f"CREDITFARM_DATA_KEY_FILE {data_key_file}: {exc}") from exc
            return cls(parse_key(text, origin=str(data_key_file)), old)
        if demo_mode:
            return cls(cls.demo(secret).key, old)
        raise SealError(
            "CREDITFARM_DATA_KEY or CREDITFARM_DATA_KEY_FILE must be set outside demo mode: "
            "resident IDs and phone numbers are stored encrypted under it"
        )

    # ------------------------------------------------------------------ one value

    def _tools(self) -> tuple[Any, Any, str, bytes]:
        """The cipher, the nonce HMAC, the key id and its bytes: made once per sealer (making
        them per value cost 30 µs a value, a county's million IDs half a minute)."""
        tools = self.__dict__.get("_cached_tools")
        if tools is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            kid = self.kid
            tools = (
                AESGCM(self.key),
                hmac.new(self.key, b"nonce\0", hashlib.sha256),
                kid,
                kid.encode(),
            )
            object.__setattr__(self, "_cached_tools", tools)
        return tools

    def seal(self, value: str | None) -> str | None:
        if value is None:
            return None
        if is_sealed(value):
            return value
        aead, nonce_mac, kid, aad = self._tools()
        plain = value.encode("utf-8")
        mac = nonce_mac.copy()
        mac.update(plain)
        nonce = mac.digest()[:_NONCE]
        body = aead.encrypt(nonce, plain, aad)
        return f"{TOKEN_PREFIX}{kid}:{base64.urlsafe_b64encode(nonce + body).decode()}"

    def open(self, token: str | None) -> str | None:
        if token is None:
            return None
        if not is_sealed(token):
            return token  # written before sealing existed; sealed on the next open
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            kid, body = token[len(TOKEN_PREFIX) :].split(":", 1)
            raw = base64.urlsafe_b64decode(body)
        except (ValueError, binascii.Error) as exc:
            raise SealError("an encrypted value is damaged (not a creditfarm token)") from exc
        if kid == self.kid:
            aead = self._tools()[0]
        elif kid in self.old:
            aead = AESGCM(self.old[kid])
        else:
            raise SealError(
                f"a value is encrypted under data key {kid}, which is neither the current key "
                f"({self.kid}) nor one of CREDITFARM_DATA_KEYS_OLD"
            )
        try:
            return aead.decrypt(raw[:_NONCE], raw[_NONCE:], kid.encode()).decode("utf-8")
        except InvalidTag as exc:
            raise SealError(f"an encrypted value under key {kid} was altered") from exc

    def reseal(self, token: str | None) -> str | None:
        """``token`` under the current key (opened with an old key first when need be)."""
        if token is None or (is_sealed(token) and token.split(":", 2)[1] == self.kid):
            return token
        return self.seal(self.open(token))

    # ------------------------------------------------------------------ many values

    def seal_many(self, values: Iterable[str | None]) -> list[str | None]:
        """Each distinct value sealed once. The tokens are remembered by this sealer (up to
        ``_REMEMBER`` of them): an import seals each resident ID for the person table and
        again for the key registry, a county's 800,000 twice, at ~5 µs each."""
        cache: dict[str, str] = self.__dict__.setdefault("_remembered", {})
        out: list[str | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            token = cache.get(value)
            if token is None:
                if len(cache) >= _REMEMBER:
                    cache.clear()
                token = cache[value] = str(self.seal(value))
            out.append(token)
        return out

    def seal_raw_row(
        self, row: Mapping[str, Any], pii: Mapping[str, str]
    ) -> tuple[dict[str, Any], str | None]:
        """A quarantined row with its personal numbers masked, and the originals sealed.

        ``pii`` maps a header to its kind (id, phone, card) from the contract; any other value
        that looks like a personal number is masked too (an unknown GMSFHM column, a phone
        typed into a remark). Nothing is lost: the originals, keyed by header, are one token.
        """
        from creditfarm.identity import mask_card, mask_id, mask_phone

        masks = {"id": mask_id, "phone": mask_phone, "card": mask_card}
        shown: dict[str, Any] = {}
        originals: dict[str, Any] = {}
        for header, value in row.items():
            kind = pii.get(header)
            if value is None or not isinstance(value, str | int | float):
                shown[header] = value
                continue
            text = str(value)
            masked = masks[kind](text) if kind in masks else redact_text(text)
            if masked != text:
                originals[header] = value
            shown[header] = masked
        sealed = self.seal(json.dumps(originals, ensure_ascii=False)) if originals else None
        return shown, sealed

    def open_raw_row(self, row: Mapping[str, Any], sealed: str | None) -> dict[str, Any]:
        """The quarantined row as it was read (for a role that may see personal data)."""
        whole = dict(row)
        if sealed:
            whole.update(json.loads(self.open(sealed) or "{}"))
        return whole


def _old_keys(text: str) -> list[bytes]:
    return [
        parse_key(part, origin="CREDITFARM_DATA_KEYS_OLD")
        for part in re.split(r"[,\s]+", text.strip())
        if part
    ]


def redact_text(text: str) -> str:
    """``text`` with anything shaped like a resident ID (前6后4), a mobile number (前3后4) or
    a card number (前6后4) masked: for run messages, logs and free-text cells."""
    text = _LONG_RE.sub(lambda m: m[1] + "*" * len(m[2]) + m[3], text)
    return _PHONE_RE.sub(lambda m: m[1] + "****" + m[3], text)
