#!/usr/bin/env python3
"""Microsoft's azure-keyvault-secrets SDK against the keyrotd emulator's vault, unchanged but for the
endpoint: its challenge flow (first request without a token, the 401's tenant and resource, the
token for that scope), set, get, list versions across pages, update properties, a disabled version
refused, and a read-only principal that may change tags only.

Usage: key_vault_secrets.py EMULATOR_INFO_JSON. Prints one JSON object of named checks, each true or
an error string. Prints no secret value. Run by the end-to-end tests inside a throwaway venv.
"""
import json, sys

from azure.core.exceptions import HttpResponseError
from azure.keyvault.secrets import SecretClient

from emulator_sdk import Credential, check


def main():
    info = json.load(open(sys.argv[1]))
    writer = Credential(info, info["clientID"], info["clientSecret"])
    reader = Credential(info, info["readerClientID"], info["readerClientSecret"])
    # The host is an IP, which is not below vault.azure.net: the SDK's resource check must be off.
    common = dict(verify_challenge_resource=False, connection_verify=info["caFile"])
    client = SecretClient(info["keyVaultURL"], writer, **common)
    readonly = SecretClient(info["keyVaultURL"], reader, **common)
    results, state = {}, {}

    def set_versions():
        state["first"] = client.set_secret("sdk-check", "first-value", content_type="text/plain", tags={"n": "1"})
        for i in range(2, 28):
            state["last"] = client.set_secret("sdk-check", f"value-{i}", tags={"n": str(i)})
        return state["first"].properties.version != state["last"].properties.version

    check(results, "set", set_versions)
    check(results, "challenge", lambda: writer.asked and all(s == ("https://vault.azure.net/.default",) and t == info["tenant"] for s, t in writer.asked))
    check(results, "getLatest", lambda: client.get_secret("sdk-check").value == "value-27")
    check(results, "getVersion", lambda: client.get_secret("sdk-check", state["first"].properties.version).value == "first-value")
    check(results, "contentType", lambda: client.get_secret("sdk-check", state["first"].properties.version).properties.content_type == "text/plain")
    check(results, "listVersionsAcrossPages", lambda: len(list(client.list_properties_of_secret_versions("sdk-check"))) == 27)

    def disable():
        updated = client.update_secret_properties("sdk-check", state["first"].properties.version, enabled=False, tags={"n": "1", "old": "yes"})
        return updated.enabled is False and updated.tags == {"n": "1", "old": "yes"}

    check(results, "updateProperties", disable)

    def disabled_refused():
        try:
            client.get_secret("sdk-check", state["first"].properties.version)
        except HttpResponseError as e:
            return e.status_code == 403
        return False

    check(results, "disabledRefused", disabled_refused)
    check(results, "readerGets", lambda: readonly.get_secret("sdk-check").value == "value-27")

    def reader_cannot_set():
        try:
            readonly.set_secret("sdk-check", "from-a-reader")
        except HttpResponseError as e:
            return e.status_code == 403
        return False

    check(results, "readerCannotSet", reader_cannot_set)
    check(results, "readerTags", lambda: readonly.update_secret_properties(
        "sdk-check", state["last"].properties.version, tags={"confirmed": "web-1"}).tags == {"confirmed": "web-1"})
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
