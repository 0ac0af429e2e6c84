import DaemonExecutor

// Every task runs on NIO's event loops, none on Dispatch's pool (see `DaemonExecutor`).
DaemonExecutor.run { await Keyrotd.main() }
