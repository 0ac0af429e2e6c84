import EventLoopExecutor

// Every task runs on NIO's event loops, none on Dispatch's pool (see `EventLoopExecutor`).
EventLoopExecutor.run { await Keyrotd.main() }
