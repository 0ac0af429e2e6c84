import DaemonExecutor

// Before any thread allocates: the arenas a thread gets are its for life.
Daemon.limitHeapArenas()
// Every task runs on NIO's event loops, none on Dispatch's pool (see `DaemonExecutor`).
DaemonExecutor.run { await Keyrotd.main() }
