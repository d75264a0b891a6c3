"""Password hashes with scrypt (the standard library's, RFC 7914): memory-hard, salted, and
stored with their parameters so they can be raised later (``needs_rehash``).

Format: ``scrypt$<log2 n>$<r>$<p>$<salt, base64>$<hash, base64>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["hash_password", "needs_rehash", "verify_password"]

# n = 2**15, r = 8: 32 MiB and ~0.1 s per check on this machine kind — slow for a guesser,
# quick for a person signing in.
_LOG2_N, _R, _P = 15, 8, 1
_MAXMEM = 64 * 1024 * 1024
_LEN = 32


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=2**log2_n, r=r, p=p, maxmem=_MAXMEM, dklen=_LEN
    )


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("密码不能为空")
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, _LOG2_N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_LOG2_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for a wrong password or a malformed hash."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than today's."""
    try:
        scheme, log2_n, r, p, *_ = stored.split("$")
    except ValueError:
        return True
    return scheme != "scrypt" or (int(log2_n), int(r), int(p)) < (_LOG2_N, _R, _P)
