#ifndef KEYROTD_SIGNAL_PIPE_H
#define KEYROTD_SIGNAL_PIPE_H

/// Opens a pipe (both ends close-on-exec, the write end non-blocking, so that a full pipe drops a
/// signal instead of stopping the thread it arrived on) and installs a handler for each of
/// `signals` that writes the signal's number, as one byte, to it: the self-pipe trick, the only
/// work a handler may safely do. Call once per process.
///
/// Returns the read end, or -1 with errno set.
int keyrotd_signal_pipe_install(const int *_Nonnull signals, int count);

#endif
