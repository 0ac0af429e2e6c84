#!/usr/bin/env python3
"""Microsoft's msgraph-sdk and azure-identity against the keyrotd emulator's Microsoft Graph and
Entra ID, unchanged but for the endpoints: azure-identity's ClientSecretCredential and
CertificateCredential sign in at the emulator's authority (its OpenID configuration, instance
discovery off); msgraph-sdk reads an application by object id and by appId, adds a password (whose
secret then signs in through azure-identity) and removes it (after which it is refused with
AADSTS7000215), is refused with Authorization_RequestDenied on an application it does not own, and
sends no token at all unless its allowed_hosts name the emulator (msgraph-core's provider allows only
Microsoft's Graph hosts by default; with kiota-abstractions 1.16 that default raises, so the test
names the same hosts itself), which the emulator refuses.

Usage: graph_applications.py EMULATOR_INFO_JSON. Prints one JSON object of named checks, each true
or an error string. Prints no secret. Run by the end-to-end tests inside a throwaway venv.
"""
import asyncio, datetime, json, ssl, sys, urllib.parse, urllib.request, uuid

import httpx
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.applications.item.add_password.add_password_post_request_body import AddPasswordPostRequestBody
from msgraph.generated.applications.item.remove_password.remove_password_post_request_body import RemovePasswordPostRequestBody
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_credential import PasswordCredential
from msgraph_core import GraphClientFactory, NationalClouds
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

from emulator_sdk import check

GRAPH = "https://graph.microsoft.com/.default"


def emulator(info, method, path, body=None):
    context = ssl.create_default_context(cafile=info["caFile"])
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{info['baseURL']}{path}", data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context) as r:
        return json.load(r)


def credential(info, client_id, secret):
    return ClientSecretCredential(
        info["tenant"], client_id, secret, authority=info["baseURL"], disable_instance_discovery=True, connection_verify=info["caFile"]
    )


def graph_client(info, token_credential, allowed_hosts):
    host = urllib.parse.urlparse(info["baseURL"]).hostname
    # msgraph-core's provider. Its default allowed hosts are Microsoft's national Graph hosts, written
    # with their scheme, which kiota-abstractions 1.16 refuses (ValueError); the same hosts without it.
    graph_hosts = [cloud.value.split("://", 1)[1] for cloud in NationalClouds]
    provider = AzureIdentityAuthenticationProvider(token_credential, scopes=[GRAPH], allowed_hosts=[host] if allowed_hosts else graph_hosts)
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=info["caFile"]))
    adapter = GraphRequestAdapter(provider, client=http)
    adapter.base_url = info["baseURL"] + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def refused_with(code, action):
    try:
        action()
    except ClientAuthenticationError as e:
        return code in str(e)
    return False


async def odata_code(call):
    try:
        await call
    except ODataError as e:
        return e.error.code if e.error else f"HTTP {e.response_status_code}"
    return None


async def main():
    info = json.load(open(sys.argv[1]))
    results, state = {}, {}
    writer = credential(info, info["clientID"], info["clientSecret"])
    owned = emulator(info, "POST", "/_emulator/applications", {"displayName": "sdk-billing", "passwords": [{"displayName": "made by hand", "days": 90}]})
    other = emulator(info, "POST", "/_emulator/applications", {"displayName": "sdk-other", "owners": []})
    client = graph_client(info, writer, allowed_hosts=True)
    before = emulator(info, "GET", "/_emulator/stats")

    check(results, "clientSecretCredential", lambda: writer.get_token(GRAPH).token)
    pem = open(info["identities"]["certificateFile"]).read() + open(info["identities"]["privateKeyFile"]).read()
    combined = sys.argv[1] + ".pem"
    open(combined, "w").write(pem)
    certificate = CertificateCredential(
        info["tenant"], info["identities"]["certificateClientID"], certificate_path=combined, authority=info["baseURL"], disable_instance_discovery=True,
        connection_verify=info["caFile"],
    )
    check(results, "certificateCredential", lambda: certificate.get_token(GRAPH).token)

    async def read():
        app = await client.applications.by_application_id(owned["id"]).get()
        by_app_id = await client.applications_with_app_id(owned["appId"]).get()
        return app.app_id == owned["appId"] and by_app_id.id == owned["id"] and [p.display_name for p in app.password_credentials] == ["made by hand"]

    async def add():
        body = AddPasswordPostRequestBody(
            password_credential=PasswordCredential(
                display_name="keyrotd sdk-billing primary", end_date_time=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
            )
        )
        added = await client.applications.by_application_id(owned["id"]).add_password.post(body)
        state["keyId"], state["secret"] = added.key_id, added.secret_text
        return added.secret_text and added.hint == added.secret_text[:3] and added.display_name == "keyrotd sdk-billing primary"

    async def listed_without_secret():
        app = await client.applications.by_application_id(owned["id"]).get()
        return len(app.password_credentials) == 2 and all(p.secret_text is None for p in app.password_credentials)

    async def remove():
        await client.applications.by_application_id(owned["id"]).remove_password.post(RemovePasswordPostRequestBody(key_id=state["keyId"]))
        app = await client.applications.by_application_id(owned["id"]).get()
        return [p.display_name for p in app.password_credentials] == ["made by hand"]

    for name, action in [("readByObjectIdAndAppId", read), ("addPassword", add), ("listedWithoutSecret", listed_without_secret)]:
        try:
            results[name] = bool(await action()) or f"{name}: the check's condition is false"
        except Exception as e:  # noqa: BLE001
            results[name] = f"{type(e).__name__}: {str(e)[:200]}"
    check(results, "addedSecretSignsIn", lambda: credential(info, owned["appId"], state["secret"]).get_token(GRAPH).token)
    try:
        results["removePassword"] = bool(await remove()) or "removePassword: still listed"
    except Exception as e:  # noqa: BLE001
        results["removePassword"] = f"{type(e).__name__}: {str(e)[:200]}"
    check(results, "removedSecretRefused", lambda: refused_with("AADSTS7000215", lambda: credential(info, owned["appId"], state["secret"]).get_token(GRAPH)))
    body = AddPasswordPostRequestBody(password_credential=PasswordCredential(display_name="x"))
    code = await odata_code(client.applications.by_application_id(other["id"]).add_password.post(body))
    results["notOwnerDenied"] = code == "Authorization_RequestDenied" or f"answered {code}"
    after = emulator(info, "GET", "/_emulator/stats")
    calls = after["graphRequests"] - before["graphRequests"]
    authorized = after["graphAuthorized"] - before["graphAuthorized"]
    results["graphBearerOnEveryCall"] = (calls >= 7 and calls == authorized) or f"{authorized} of {calls} calls carried a Graph token"
    # msgraph-core's default allowed hosts are Microsoft's Graph hosts: to any other it sends no token.
    bare = graph_client(info, writer, allowed_hosts=False)
    code = await odata_code(bare.applications.by_application_id(owned["id"]).get())
    results["noTokenRefused"] = code == "InvalidAuthenticationToken" or f"answered {code}"
    print(json.dumps(results, sort_keys=True))


asyncio.run(main())
