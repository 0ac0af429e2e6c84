import DaemonExecutor
import Glibc

// Before any thread allocates: the arenas a thread gets are its for life.
Daemon.limitHeapArenas()
// Before anything runs: a peer closing a connection must never kill the daemon (systemd units
// ignore SIGPIPE by default, a shell does not).
signal(SIGPIPE, SIG_IGN)
// Every task runs on keyrotd's own job pool threads, none on Dispatch's pool (see `DaemonExecutor`).
DaemonExecutor.run { await Keyrotd.main() }
