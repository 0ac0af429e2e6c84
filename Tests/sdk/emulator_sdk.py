"""What the official-SDK checks share: a token credential against the keyrotd emulator's Entra ID,
and a way to record each named check as true or as the error that broke it. Prints nothing."""
import json, ssl, threading, time, urllib.parse, urllib.request

from azure.core.credentials import AccessToken


class Credential:
    """Client credentials against the emulator's Entra ID: a token per scope, and a fresh one when
    the caller passes CAE claims. Records the scopes and tenants the SDK asked for."""

    def __init__(self, info, client_id, secret):
        self.info, self.client_id, self.secret = info, client_id, secret
        self.context = ssl.create_default_context(cafile=info["caFile"])
        self.lock, self.tokens, self.asked = threading.Lock(), {}, []

    def get_token(self, *scopes, claims=None, tenant_id=None, **kwargs):
        with self.lock:
            self.asked.append((scopes, tenant_id))
            key = " ".join(scopes)
            token = self.tokens.get(key)
            if claims or token is None or token.expires_on - 300 < time.time():
                form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret, "scope": key}
                if claims:
                    form["claims"] = claims
                url = f"{self.info['baseURL']}/{tenant_id or self.info['tenant']}/oauth2/v2.0/token"
                request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode())
                with urllib.request.urlopen(request, context=self.context) as r:
                    body = json.load(r)
                token = AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))
                self.tokens[key] = token
            return token


def check(results, name, action):
    """Runs `action` and records whether it returned true, or the error it raised (never a secret:
    the SDKs' messages name codes and URLs)."""
    try:
        results[name] = bool(action()) or f"{name}: the check's condition is false"
    except Exception as e:  # noqa: BLE001 - the check names what failed
        results[name] = f"{type(e).__name__}: {getattr(e, 'status_code', '')} {str(e)[:200]}"


def control(info, path):
    """POSTs to one of the emulator's test controls (`/_emulator/…`)."""
    context = ssl.create_default_context(cafile=info["caFile"])
    with urllib.request.urlopen(urllib.request.Request(f"{info['baseURL']}/_emulator/{path}", method="POST"), context=context) as r:
        return r.status
