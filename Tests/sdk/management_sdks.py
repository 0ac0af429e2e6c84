#!/usr/bin/env python3
"""Each resource type's official management SDK against the keyrotd emulator, unchanged but for the
endpoint: list the keys, regenerate the secondary (waiting for long-running operations the SDK's
way), list again. The secondary must change and the primary must not.

Usage: management_sdks.py EMULATOR_INFO_JSON. Prints one JSON line per resource:
{"type": …, "ok": true} or {"type": …, "ok": false, "error": …}. Never prints a key.
Run by the end-to-end tests inside a throwaway venv under .build/.
"""
import json, os, sys, traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Benchmarks"))
from python_sdk_rotation import ClientSecretCredential  # noqa: E402


def clients(info, credential):
    """The client and the key functions of each type: (list → (primary, secondary), regenerate secondary)."""
    common = dict(base_url=info["baseURL"], credential_scopes=[info["baseURL"] + "/.default"],
                  connection_verify=info["caFile"], polling_interval=0)
    sub = info["subscription"]

    def signalr(rg, names):
        from azure.mgmt.signalr import SignalRManagementClient
        from azure.mgmt.signalr.models import RegenerateKeyParameters
        c = SignalRManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.primary_key, k.secondary_key))(c.signal_r.list_keys(rg, names[0]))
        regen = lambda: c.signal_r.begin_regenerate_key(rg, names[0], RegenerateKeyParameters(key_type="Secondary")).result()
        return keys, regen

    def webpubsub(rg, names):
        from azure.mgmt.webpubsub import WebPubSubManagementClient
        from azure.mgmt.webpubsub.models import RegenerateKeyParameters
        c = WebPubSubManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.primary_key, k.secondary_key))(c.web_pub_sub.list_keys(rg, names[0]))
        regen = lambda: c.web_pub_sub.begin_regenerate_key(rg, names[0], RegenerateKeyParameters(key_type="Secondary")).result()
        return keys, regen

    def maps(rg, names):
        from azure.mgmt.maps import AzureMapsManagementClient
        from azure.mgmt.maps.models import MapsKeySpecification
        c = AzureMapsManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.primary_key, k.secondary_key))(c.accounts.list_keys(rg, names[0]))
        regen = lambda: c.accounts.regenerate_keys(rg, names[0], MapsKeySpecification(key_type="secondary"))
        return keys, regen

    def cognitive(rg, names):
        from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
        c = CognitiveServicesManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.key1, k.key2))(c.accounts.list_keys(rg, names[0]))
        regen = lambda: c.accounts.regenerate_key(rg, names[0], key_name="Key2")
        return keys, regen

    def search(rg, names):
        from azure.mgmt.search import SearchManagementClient
        c = SearchManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.primary_key, k.secondary_key))(c.admin_keys.get(rg, names[0]))
        regen = lambda: c.admin_keys.regenerate(rg, names[0], "secondary")
        return keys, regen

    def eventgrid(rg, names):
        from azure.mgmt.eventgrid import EventGridManagementClient
        from azure.mgmt.eventgrid.models import TopicRegenerateKeyRequest
        c = EventGridManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.key1, k.key2))(c.topics.list_shared_access_keys(rg, names[0]))
        regen = lambda: c.topics.begin_regenerate_key(rg, names[0], TopicRegenerateKeyRequest(key_name="key2")).result()
        return keys, regen

    def redis(rg, names):
        from azure.mgmt.redis import RedisManagementClient
        from azure.mgmt.redis.models import RedisRegenerateKeyParameters
        c = RedisManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.primary_key, k.secondary_key))(c.redis.list_keys(rg, names[0]))
        regen = lambda: c.redis.regenerate_key(rg, names[0], RedisRegenerateKeyParameters(key_type="Secondary"))
        return keys, regen

    def storage(rg, names):
        from azure.mgmt.storage import StorageManagementClient
        from azure.mgmt.storage.models import StorageAccountRegenerateKeyParameters
        c = StorageManagementClient(credential, sub, **common)
        def keys():
            # The result is a mapping in this SDK generation: its `keys` field is `keys_property`.
            found = {k.key_name: k.value for k in c.storage_accounts.list_keys(rg, names[0]).keys_property}
            return found["key1"], found["key2"]
        regen = lambda: c.storage_accounts.regenerate_key(rg, names[0], StorageAccountRegenerateKeyParameters(key_name="key2"))
        return keys, regen

    def shared_access(module, client_name, models_name, parameters, group="namespaces"):
        """A rule of a namespace, or (group: queues, event_hubs …) of one of its entities."""
        def make(rg, names):
            package = __import__(module, fromlist=[client_name])
            models = __import__(module + ".models", fromlist=[models_name])
            operations = getattr(getattr(package, client_name)(credential, sub, **common), group)
            keys = lambda: (lambda k: (k.primary_key, k.secondary_key))(operations.list_keys(rg, *names))
            regen = lambda: operations.regenerate_keys(rg, *names, getattr(models, models_name)(**parameters))
            return keys, regen
        return make

    def eventgrid_domains(rg, names):
        from azure.mgmt.eventgrid import EventGridManagementClient
        from azure.mgmt.eventgrid.models import DomainRegenerateKeyRequest
        c = EventGridManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.key1, k.key2))(c.domains.list_shared_access_keys(rg, names[0]))
        regen = lambda: c.domains.regenerate_key(rg, names[0], DomainRegenerateKeyRequest(key_name="key2"))
        return keys, regen

    service_bus = ("azure.mgmt.servicebus", "ServiceBusManagementClient", "RegenerateAccessKeyParameters", {"key_type": "SecondaryKey"})
    event_hubs = ("azure.mgmt.eventhub", "EventHubManagementClient", "RegenerateAccessKeyParameters", {"key_type": "SecondaryKey"})
    relay = ("azure.mgmt.relay", "RelayAPIMgmtClient", "RegenerateAccessKeyParameters", {"key_type": "SecondaryKey"})
    notification_hubs = ("azure.mgmt.notificationhubs", "NotificationHubsManagementClient", "PolicykeyResource", {"policy_key": "SecondaryKey"})

    def appconfiguration(rg, names):
        from azure.mgmt.appconfiguration import AppConfigurationManagementClient
        from azure.mgmt.appconfiguration.models import RegenerateKeyParameters
        c = AppConfigurationManagementClient(credential, sub, **common)
        def listed():
            return {k.name: k for k in c.configuration_stores.list_keys(rg, names[0])}
        keys = lambda: (lambda k: (k["Primary"].value, k["Secondary"].value))(listed())
        regen = lambda: c.configuration_stores.regenerate_key(rg, names[0], RegenerateKeyParameters(id=listed()["Secondary"].id))
        return keys, regen

    def cosmosdb(rg, names):
        from azure.mgmt.cosmosdb import CosmosDBManagementClient
        from azure.mgmt.cosmosdb.models import DatabaseAccountRegenerateKeyParameters
        c = CosmosDBManagementClient(credential, sub, **common)
        def keys():
            k = c.database_accounts.list_keys(rg, names[0])
            strings = c.database_accounts.list_connection_strings(rg, names[0]).connection_strings
            assert any(k.primary_master_key in s.connection_string for s in strings), "no connection string of the primary key"
            return k.primary_master_key, k.secondary_master_key
        regen = lambda: c.database_accounts.begin_regenerate_key(
            rg, names[0], DatabaseAccountRegenerateKeyParameters(key_kind="secondary")).result()
        return keys, regen

    def batch(rg, names):
        from azure.mgmt.batch import BatchManagementClient
        from azure.mgmt.batch.models import BatchAccountRegenerateKeyParameters
        c = BatchManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.primary, k.secondary))(c.batch_account.get_keys(rg, names[0]))
        regen = lambda: c.batch_account.regenerate_key(rg, names[0], BatchAccountRegenerateKeyParameters(key_name="Secondary"))
        return keys, regen

    def communication(rg, names):
        from azure.mgmt.communication import CommunicationServiceManagementClient
        from azure.mgmt.communication.models import RegenerateKeyParameters
        c = CommunicationServiceManagementClient(credential, sub, **common)
        keys = lambda: (lambda k: (k.primary_key, k.secondary_key))(c.communication_services.list_keys(rg, names[0]))
        regen = lambda: c.communication_services.regenerate_key(rg, names[0], RegenerateKeyParameters(key_type="Secondary"))
        return keys, regen

    return {
        "Microsoft.SignalRService/signalR": signalr,
        "Microsoft.SignalRService/webPubSub": webpubsub,
        "Microsoft.Maps/accounts": maps,
        "Microsoft.CognitiveServices/accounts": cognitive,
        "Microsoft.Search/searchServices": search,
        "Microsoft.EventGrid/topics": eventgrid,
        "Microsoft.EventGrid/domains": eventgrid_domains,
        "Microsoft.Cache/redis": redis,
        "Microsoft.Storage/storageAccounts": storage,
        "Microsoft.ServiceBus/namespaces/authorizationRules": shared_access(*service_bus),
        "Microsoft.ServiceBus/namespaces/queues/authorizationRules": shared_access(*service_bus, group="queues"),
        "Microsoft.ServiceBus/namespaces/topics/authorizationRules": shared_access(*service_bus, group="topics"),
        "Microsoft.EventHub/namespaces/authorizationRules": shared_access(*event_hubs),
        "Microsoft.EventHub/namespaces/eventhubs/authorizationRules": shared_access(*event_hubs, group="event_hubs"),
        "Microsoft.Relay/namespaces/authorizationRules": shared_access(*relay),
        "Microsoft.Relay/namespaces/hybridConnections/authorizationRules": shared_access(*relay, group="hybrid_connections"),
        "Microsoft.NotificationHubs/namespaces/authorizationRules": shared_access(*notification_hubs),
        "Microsoft.NotificationHubs/namespaces/notificationHubs/authorizationRules": shared_access(*notification_hubs, group="notification_hubs"),
        "Microsoft.AppConfiguration/configurationStores": appconfiguration,
        "Microsoft.DocumentDB/databaseAccounts": cosmosdb,
        "Microsoft.Batch/batchAccounts": batch,
        "Microsoft.Communication/communicationServices": communication,
    }


def main():
    info = json.load(open(sys.argv[1]))
    credential = ClientSecretCredential(info["baseURL"], info["tenant"], info["clientID"], info["clientSecret"], info["caFile"])
    table = clients(info, credential)
    for resource_id in info["resources"]:
        parts = resource_id.split("/")
        rg, kind = parts[4], "/".join([parts[6]] + parts[7::2])
        names = parts[8::2]
        try:
            keys, regenerate = table[kind](rg, names)
            primary, secondary = keys()
            assert primary and secondary, "listing gave no keys"
            regenerate()
            after_primary, after_secondary = keys()
            assert after_secondary != secondary, "the secondary key did not change"
            assert after_primary == primary, "the primary key changed"
            print(json.dumps({"type": kind, "ok": True}), flush=True)
        except Exception as error:  # the message names the call; keys are never in it
            last = traceback.extract_tb(error.__traceback__)[-1]
            print(json.dumps({"type": kind, "ok": False, "error": f"{type(error).__name__}: {str(error)[:300]} at line {last.lineno}"}),
                  flush=True)


if __name__ == "__main__":
    main()
