#!/usr/bin/env python3
"""The same rotations keyrotd does, done the way an operator would script them with Microsoft's SDK.

For each resource: regenerate the secondary key, write its connection string durably (temporary file
in the same directory, fsync, rename, fsync the directory), regenerate the primary, write it the same
way. `azure-mgmt-communication` makes the ARM calls; tokens come from a small client-credentials
credential with azure-identity's caching behaviour (azure-identity itself insists on OpenID discovery,
which the emulator does not serve). Prints one JSON line: wall seconds, CPU seconds, peak RSS.
Run by benchmark.py inside a throwaway venv; not a keyrotd component.
"""
import json, os, resource, sys, threading, time, urllib.parse, urllib.request, ssl
from concurrent.futures import ThreadPoolExecutor

from azure.core.credentials import AccessToken
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.communication.models import RegenerateKeyParameters


class ClientSecretCredential:
    """Client credentials with a shared cache refreshed five minutes before expiry, like azure-identity."""

    def __init__(self, authority, tenant, client_id, secret, ca_file):
        self.url = f"{authority}/{tenant}/oauth2/v2.0/token"
        self.client_id, self.secret = client_id, secret
        self.context = ssl.create_default_context(cafile=ca_file)
        self.lock, self.token = threading.Lock(), None

    def get_token(self, *scopes, **kwargs):
        with self.lock:
            if self.token is None or self.token.expires_on - 300 < time.time():
                form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": self.client_id,
                                               "client_secret": self.secret, "scope": " ".join(scopes)}).encode()
                with urllib.request.urlopen(urllib.request.Request(self.url, data=form), context=self.context) as r:
                    body = json.load(r)
                self.token = AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))
            return self.token


def write_durably(path, text):
    directory = os.path.dirname(path)
    temporary = f"{path}.tmp-{threading.get_ident()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temporary, path)
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def main():
    info = json.load(open(sys.argv[1]))
    out_dir, workers = sys.argv[2], int(sys.argv[3])
    os.makedirs(out_dir, exist_ok=True)
    credential = ClientSecretCredential(info["baseURL"], info["tenant"], info["clientID"], info["clientSecret"], info["caFile"])
    client = CommunicationServiceManagementClient(credential, info["subscription"], base_url=info["baseURL"],
                                                  api_version="2026-03-18", connection_verify=info["caFile"],
                                                  credential_scopes=[info["baseURL"] + "/.default"])

    def rotate(resource_id):
        parts = resource_id.split("/")
        group, name = parts[4], parts[-1]
        for key_type in ("Secondary", "Primary"):
            keys = client.communication_services.regenerate_key(group, name, RegenerateKeyParameters(key_type=key_type))
            text = keys.secondary_connection_string if key_type == "Secondary" else keys.primary_connection_string
            write_durably(os.path.join(out_dir, name + ".conn"), text + "\n")

    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(rotate, info["resources"]))
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_rss_mb": usage.ru_maxrss / 1024,
                      "rotations": len(info["resources"])}))


if __name__ == "__main__":
    main()
