#!/usr/bin/env python3
"""Microsoft's azure-storage-blob SDK against the keyrotd emulator's Blob Storage, unchanged but for
the endpoint (path-style, as for Azurite): containers, block blobs written with a lease and an ETag,
ranged downloads, metadata, listing, and the lease state machine in every state — available,
leased, expired, breaking, broken — with every action (acquire, renew, change, release, break) and
the error code Azure answers for each refusal. Shared Key and Entra tokens for Storage (a reader
may read and not write); the test controls that expire and break a lease and fault calls.

Usage: blob_leases.py EMULATOR_INFO_JSON. Prints one JSON object of named checks, each true or an
error string. Prints no key. Run by the end-to-end tests inside a throwaway venv.
"""
import json, sys, uuid

from azure.core import MatchConditions
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError, ResourceModifiedError
from azure.storage.blob import BlobLeaseClient, BlobServiceClient, LinearRetry

from emulator_sdk import Credential, check, control


def refused(action, status, code, kind=HttpResponseError):
    """Whether `action` raises `kind` with `status` and Azure's `code`."""
    try:
        action()
    except kind as e:
        if e.status_code == status and getattr(e, "error_code", None) == code:
            return True
        raise
    return False


def lease_state(blob):
    lease = blob.get_blob_properties().lease
    return (lease.state, lease.status, lease.duration)


def main():
    info = json.load(open(sys.argv[1]))

    def client(credential):
        # A policy object per client: azure-core chains a pipeline's policies through the objects,
        # so one retry policy shared by two clients sends the first's requests down the second's pipeline.
        retry = LinearRetry(backoff=1, random_jitter_range=0, retry_total=2)
        return BlobServiceClient(info["blobServiceURL"], credential=credential, connection_verify=info["caFile"], retry_policy=retry)

    key = {"account_name": info["storageAccount"], "account_key": info["storageAccountKey"]}
    service = client(key)
    results, state = {}, {}

    def containers():
        state["container"] = service.create_container("leases")
        return refused(lambda: service.create_container("leases"), 409, "ContainerAlreadyExists", ResourceExistsError)

    check(results, "createContainer", containers)
    container = state["container"]
    blob = container.get_blob_client("group/leader")

    def create_once():
        blob.upload_blob(b"epoch 1", overwrite=False)
        return refused(lambda: blob.upload_blob(b"again", overwrite=False), 409, "BlobAlreadyExists", ResourceExistsError)

    check(results, "uploadIfNoneMatch", create_once)
    check(results, "available", lambda: lease_state(blob) == ("available", "unlocked", None))

    # Available → leased.
    def acquire():
        state["lease"] = blob.acquire_lease(lease_duration=15)
        return lease_state(blob) == ("leased", "locked", "fixed") and uuid.UUID(state["lease"].id)

    check(results, "acquire", acquire)
    lease = state["lease"]
    check(results, "acquireAgainByHolder", lambda: BlobLeaseClient(blob, lease_id=lease.id).acquire(lease_duration=30) is None)
    check(results, "acquireByOtherRefused", lambda: refused(lambda: BlobLeaseClient(blob).acquire(lease_duration=15), 409, "LeaseAlreadyPresent", ResourceExistsError))

    # Writes and reads under the lease.
    check(results, "writeWithoutLeaseRefused", lambda: refused(lambda: blob.upload_blob(b"x", overwrite=True), 412, "LeaseIdMissing"))
    check(results, "writeWithWrongLeaseRefused", lambda: refused(lambda: blob.upload_blob(b"x", overwrite=True, lease=str(uuid.uuid4())), 412, "LeaseIdMismatchWithBlobOperation"))

    def write_with_lease_and_etag():
        etag = blob.get_blob_properties().etag
        written = blob.upload_blob(b"epoch 2 by the holder", overwrite=True, lease=lease, etag=etag, match_condition=MatchConditions.IfNotModified)
        state["etag"] = written["etag"]
        stale = lambda: blob.upload_blob(b"stale", overwrite=True, lease=lease, etag=etag, match_condition=MatchConditions.IfNotModified)
        return written["etag"] != etag and refused(stale, 412, "ConditionNotMet", ResourceModifiedError)

    check(results, "writeWithLeaseAndETag", write_with_lease_and_etag)
    check(results, "downloadWithLease", lambda: blob.download_blob(lease=lease).readall() == b"epoch 2 by the holder")
    check(results, "downloadRange", lambda: blob.download_blob(offset=6, length=1).readall() == b"2")
    check(results, "downloadWithWrongLeaseRefused", lambda: refused(lambda: blob.download_blob(lease=str(uuid.uuid4())).readall(), 412, "LeaseIdMismatchWithBlobOperation"))

    def metadata():
        blob.set_blob_metadata({"epoch": "2"}, lease=lease)
        return blob.get_blob_properties().metadata == {"epoch": "2"}

    check(results, "metadataWithLease", metadata)

    # Renew and change keep the ETag.
    def renew():
        etag = blob.get_blob_properties().etag
        lease.renew()
        return lease.etag == etag and lease_state(blob)[0] == "leased"

    check(results, "renewKeepsETag", renew)

    def change():
        old, new = lease.id, str(uuid.uuid4())
        lease.change(new)
        again = BlobLeaseClient(blob, lease_id=old)
        return lease.id == new and refused(again.renew, 409, "LeaseIdMismatchWithLeaseOperation", ResourceExistsError)

    check(results, "change", change)

    # Leased → expired: the holder renews while nobody wrote; a write forgets the lease.
    def expired():
        control(info, "blob-lease?container=leases&blob=group/leader&action=expire")
        if lease_state(blob) != ("expired", "unlocked", None):
            return False
        lease.renew()
        control(info, "blob-lease?container=leases&blob=group/leader&action=expire")
        blob.upload_blob(b"epoch 3 by anyone", overwrite=True)
        return refused(lease.renew, 409, "LeaseIdMismatchWithLeaseOperation", ResourceExistsError)

    check(results, "expiredRenewsUntilWritten", expired)
    check(results, "acquireExpired", lambda: BlobLeaseClient(blob, lease_id=lease.id).acquire(lease_duration=60) is None)

    # Leased → breaking → broken.
    def breaking():
        seconds = lease.break_lease(lease_break_period=10)
        ok = isinstance(seconds, int) and 0 < seconds <= 10 and lease_state(blob)[:2] == ("breaking", "locked")
        ok = ok and refused(lambda: BlobLeaseClient(blob).acquire(lease_duration=15), 409, "LeaseAlreadyPresent", ResourceExistsError)
        ok = ok and refused(lambda: BlobLeaseClient(blob, lease_id=lease.id).acquire(lease_duration=15), 409, "LeaseIsBreakingAndCannotBeAcquired", ResourceExistsError)
        ok = ok and refused(lease.renew, 409, "LeaseIsBrokenAndCannotBeRenewed", ResourceExistsError)
        ok = ok and refused(lambda: lease.change(str(uuid.uuid4())), 409, "LeaseIsBreakingAndCannotBeChanged", ResourceExistsError)
        return ok and blob.upload_blob(b"epoch 3", overwrite=True, lease=lease)

    check(results, "breaking", breaking)

    def broken():
        control(info, "blob-lease?container=leases&blob=group/leader&action=break")
        ok = lease_state(blob)[:2] == ("broken", "unlocked") and lease.break_lease() == 0
        ok = ok and refused(lease.renew, 409, "LeaseIsBrokenAndCannotBeRenewed", ResourceExistsError)
        ok = ok and refused(lambda: blob.upload_blob(b"x", overwrite=True, lease=lease), 412, "LeaseNotPresentWithBlobOperation")
        state["next"] = BlobLeaseClient(blob)
        state["next"].acquire(lease_duration=-1)
        return ok and lease_state(blob) == ("leased", "locked", "infinite")

    check(results, "brokenThenAcquired", broken)

    def infinite_break_is_immediate():
        return state["next"].break_lease() == 0 and lease_state(blob)[0] == "broken"

    check(results, "infiniteBreaksAtOnce", infinite_break_is_immediate)

    def release():
        again = BlobLeaseClient(blob)
        again.acquire(lease_duration=15)
        released = again.id
        again.release()
        renew = BlobLeaseClient(blob, lease_id=released).renew
        return lease_state(blob)[0] == "available" and refused(renew, 409, "LeaseIdMismatchWithLeaseOperation", ResourceExistsError)

    check(results, "release", release)
    check(results, "breakAvailableRefused", lambda: refused(BlobLeaseClient(blob).break_lease, 409, "LeaseNotPresentWithLeaseOperation", ResourceExistsError))
    check(results, "changeAvailableRefused", lambda: refused(lambda: BlobLeaseClient(blob, lease_id=str(uuid.uuid4())).change(str(uuid.uuid4())), 409, "LeaseNotPresentWithLeaseOperation", ResourceExistsError))
    check(results, "durationOutOfRangeRefused", lambda: refused(lambda: BlobLeaseClient(blob).acquire(lease_duration=14), 400, "InvalidHeaderValue"))

    def empty_blob():
        empty = container.get_blob_client("empty")
        empty.upload_blob(b"")
        return empty.download_blob().readall() == b""

    check(results, "emptyBlobDownload", empty_blob)
    check(results, "listByPrefix", lambda: [b.name for b in container.list_blobs(name_starts_with="group/")] == ["group/leader"])

    def delete_with_lease():
        gone = container.get_blob_client("group/gone")
        gone.upload_blob(b"x")
        held = gone.acquire_lease()
        ok = refused(gone.delete_blob, 412, "LeaseIdMissing")
        gone.delete_blob(lease=held)
        return ok and not gone.exists()

    check(results, "deleteWithLease", delete_with_lease)

    # Entra tokens for Storage: the writer writes, the reader reads and is refused writes.
    writer = client(Credential(info, info["clientID"], info["clientSecret"]))
    reader_credential = Credential(info, info["readerClientID"], info["readerClientSecret"])
    reader = client(reader_credential)

    def bearer_writer():
        target = writer.get_blob_client("leases", "bearer")
        target.upload_blob(b"by token", overwrite=True)
        return target.download_blob().readall() == b"by token"

    check(results, "bearerWriter", bearer_writer)

    def bearer_reader():
        target = reader.get_blob_client("leases", "bearer")
        ok = target.download_blob().readall() == b"by token"
        ok = ok and reader_credential.asked and all(s == ("https://storage.azure.com/.default",) for s, _ in reader_credential.asked)
        return ok and refused(lambda: target.upload_blob(b"x", overwrite=True), 403, "AuthorizationPermissionMismatch")

    check(results, "bearerReaderReadsOnly", bearer_reader)

    def wrong_key():
        bad = client({"account_name": info["storageAccount"], "account_key": "QUJD" * 22})
        return refused(lambda: bad.get_blob_client("leases", "group/leader").download_blob().readall(), 403, "AuthenticationFailed", ClientAuthenticationError)

    check(results, "wrongKeyRefused", wrong_key)

    # Faults: one 503 is retried by the SDK; a 403 on renewal is not.
    def faults():
        held = BlobLeaseClient(blob)
        held.acquire(lease_duration=15)
        control(info, "storage-fault?answer=503&on=lease&count=1")
        held.renew()
        control(info, "storage-fault?answer=403&on=lease&count=1")
        ok = refused(held.renew, 403, "AuthorizationFailure")
        control(info, "storage-fault")
        held.release()
        return ok

    check(results, "faults", faults)

    def container_lease():
        held = container.acquire_lease(lease_duration=-1)
        ok = refused(container.delete_container, 412, "LeaseIdMissing")
        container.delete_container(lease=held)
        return ok

    check(results, "containerLease", container_lease)
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
