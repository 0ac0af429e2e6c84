#define _GNU_SOURCE
#include "CSignalPipe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

// Written once, before any handler is installed; read only by the handler.
static volatile sig_atomic_t pipe_write_fd = -1;

static void forward(int signal_number) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal_number;
    // A full pipe already holds a wake-up for the reader; nothing is lost that it would act on.
    ssize_t ignored = write(pipe_write_fd, &byte, 1);
    (void)ignored;
    errno = saved;
}

int keyrotd_signal_pipe_install(const int *signals, int count) {
    int descriptors[2];
    if (pipe2(descriptors, O_CLOEXEC) != 0) return -1;
    if (fcntl(descriptors[1], F_SETFL, O_NONBLOCK) != 0) return -1;
    pipe_write_fd = descriptors[1];
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = forward;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    return descriptors[0];
}
