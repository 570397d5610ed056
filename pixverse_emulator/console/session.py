"""Who may use the console, and whether a form came from it.

With an `admin_token`, a person signs in once with the token; the console then keeps a
session cookie (HttpOnly, SameSite=Strict, derived from the token, never the token
itself) that counts as the token for the console's pages and for reading the control
plane. Every form the console posts carries a CSRF value derived the same way, checked
on the server; without a token, from a secret made for this run, so another site
cannot make a browser on this machine post to a local emulator either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "pixverse_console"


def _derive(secret: bytes, purpose: bytes) -> str:
    return hmac.new(secret, b"pixverse-emulator console " + purpose, hashlib.sha256).hexdigest()


class ConsoleSession:
    def __init__(self, admin_token: str | None) -> None:
        self.locked = admin_token is not None
        secret = admin_token.encode() if admin_token else secrets.token_bytes(32)
        self._token = secret if admin_token else None
        self.cookie_value = _derive(secret, b"session")
        self.csrf = _derive(secret, b"csrf")

    def token_matches(self, presented: str) -> bool:
        return self._token is not None and hmac.compare_digest(presented.encode(), self._token)

    def signed_in(self, cookie: str | None) -> bool:
        return cookie is not None and hmac.compare_digest(cookie, self.cookie_value)

    def form_is_ours(self, csrf: str | None) -> bool:
        return csrf is not None and hmac.compare_digest(csrf, self.csrf)
