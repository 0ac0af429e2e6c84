import DaemonExecutor

// Before any thread allocates: the arenas a thread gets are its for life.
Daemon.limitHeapArenas()
// Every task runs on keyrotd's own job pool threads, none on Dispatch's pool (see `DaemonExecutor`).
DaemonExecutor.run { await Keyrotd.main() }
