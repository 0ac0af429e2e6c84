#!/usr/bin/env python3
"""Measures which functions the release daemon runs and writes them to Linker/keyrotd.order.

The release link (the Makefile's `RELEASE`) places the listed functions together at
the start of the text, so the pages a running daemon maps hold code it runs. Without it the few MB
of code keyrotd runs lie scattered over 30 MB of text, and the kernel's fault-around maps 64 KB
around every first touch: 17 MB of an idle daemon's resident memory was its own binary.

How it measures: the daemon runs from a copy of the binary on a loop device whose readahead is
off, with the copy's pages dropped from the page cache first. Then a page enters the cache only
when the process touches it, and `mincore` afterwards lists exactly the touched pages. Pages are
coarser than functions (a 4 KB page holds ~30 functions), so candidates are then isolated in
rounds: each is linked between 4 KB of code that never ran, and its page is touched only if the
function itself ran.

Rerun after changes that move much code (a new dependency, a new subsystem); stale entries are
ignored by the linker and new functions are merely placed after the listed ones. Needs root (loop
device, readahead setting) and takes about 15 minutes here; `make link-order` runs it with the
release build command of the Makefile (KEYROTD_RELEASE_BUILD).
"""
import argparse, collections, ctypes, mmap, os, shlex, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Benchmarks"))
import benchmark  # noqa: E402  (the emulator, notify socket and stop helpers)

ORDER = os.path.join(ROOT, "Linker", "keyrotd.order")
BIN = os.path.join(ROOT, ".build", "release")
PAGE = 4096
SPACER = PAGE + 64  # never-run code between two isolated candidates, alignment included


def release_build(*args):
    """The Makefile's release build (its flags must not change between builds, or all is recompiled)."""
    command = os.environ.get("KEYROTD_RELEASE_BUILD")
    if not command:
        raise SystemExit("run it as `make link-order` (it needs the Makefile's release build command)")
    subprocess.run(shlex.split(command) + list(args), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def build(order):
    """Links the release daemon with `order` as its ordering file; returns the binary's path."""
    with open(ORDER, "w") as f:
        f.writelines(name + "\n" for name in order)
    binary = os.path.realpath(os.path.join(BIN, "keyrotd"))
    if os.path.exists(binary):
        os.remove(binary)  # the ordering file is not a tracked input: force the link
    release_build("--product", "keyrotd")
    return binary


def functions(binary):
    """(file offset, size, name) of every function in .text."""
    text = None
    for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == ".text":
            text = int(fields[3], 16), int(fields[4], 16), int(fields[5], 16)
    address, offset, size = text
    result = []
    nm = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    for line in nm.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "tTwW":
            start, length = int(fields[0], 16), int(fields[1], 16)
            if length and address <= start < address + size:
                result.append((start - address + offset, length, fields[3]))
    result.sort()
    return result


def pages_of(offset, size):
    return range(offset // PAGE, (offset + size - 1) // PAGE + 1)


class ColdFiles:
    """A loop-mounted scratch file system without readahead, to run binaries from cold pages."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="keyrotd-link-order.")
        image, self.mount = os.path.join(self.dir, "image"), os.path.join(self.dir, "mnt")
        os.mkdir(self.mount)
        subprocess.run(["truncate", "-s", "600M", image], check=True)
        subprocess.run(["mkfs.ext4", "-q", image], check=True)
        subprocess.run(["mount", "-o", "loop", image, self.mount], check=True)
        device = subprocess.run(["findmnt", "-n", "-o", "SOURCE", self.mount], capture_output=True, text=True).stdout.strip()
        with open(f"/sys/block/{os.path.basename(device)}/queue/read_ahead_kb", "w") as f:
            f.write("0")
        return self

    def __exit__(self, *exc):
        subprocess.run(["umount", self.mount])
        subprocess.run(["rm", "-rf", self.dir])

    def touched(self, binary, resources):
        """The file pages of `binary` that one daemon run touches."""
        copy = os.path.join(self.mount, "keyrotd")
        subprocess.run(["cp", binary, copy], check=True)
        os.sync()
        fd = os.open(copy, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
        if cached_pages(copy):
            raise SystemExit("could not drop the binary's pages from the page cache")
        workload(copy, binary, resources)
        return cached_pages(copy)


def cached_pages(path):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    base = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    os.close(fd)
    count = (size + PAGE - 1) // PAGE
    vector = (ctypes.c_ubyte * count)()
    if libc.mincore(base, size, vector) != 0:
        raise OSError(ctypes.get_errno(), "mincore")
    libc.munmap(base, size)
    return {page for page in range(count) if vector[page] & 1}


def workload(daemon, cli, resources):
    """What an operator's daemon does: start, adopt, idle, rotate on demand, an emergency, status, reload, stop."""
    with tempfile.TemporaryDirectory() as work:
        emulator, info = benchmark.start_emulator(BIN, work, resources, ["--no-throttle", "--every", "30d", "--grace", "1h"])
        config = os.path.join(work, "keyrotd.toml")
        sock, path = benchmark.notify_socket(work)
        proc = subprocess.Popen([daemon, "run", "--config", config, "--log", "stderr"], stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(work, "daemon.err"), "w"), env=dict(os.environ, NOTIFY_SOCKET=path))
        try:
            benchmark.wait_ready(sock)
            while benchmark.stats(info)["listKeys"] < resources:
                time.sleep(0.2)
            time.sleep(2)
            for args in (["rotate", "acs-001"], ["status"], ["status", "--json"], ["rotate", "--emergency", "acs-002"]):
                subprocess.run([cli, args[0], "--config", config] + args[1:], capture_output=True, timeout=120, check=True)
            proc.send_signal(signal.SIGHUP)
            time.sleep(5)
        finally:
            benchmark.stop(proc, emulator)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=200)
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unmount the scratch file system on the way out
    if os.geteuid() != 0:
        raise SystemExit("needs root: it mounts a loop device and turns its readahead off")
    release_build()
    with ColdFiles() as cold:
        binary = build([])
        layout = functions(binary)
        touched = cold.touched(binary, options.resources)
        counts = collections.Counter(name for _, _, name in layout)
        candidates, spacers = [], []
        for offset, size, name in layout:
            if any(page in touched for page in pages_of(offset, size)):
                candidates.append(name)
            elif counts[name] == 1:
                spacers.append((name, size))
        candidates = list(dict.fromkeys(candidates))
        print(f"{len(touched)} pages touched; {len(candidates)} candidate functions on them", file=sys.stderr)
        ran, retried = set(), set()
        while candidates:
            order, batch, pool = [], [], iter(spacers)
            for name in candidates:
                gap, padding = 0, []
                for spacer, size in pool:
                    padding.append(spacer)
                    gap += size
                    if gap >= SPACER:
                        break
                if gap < SPACER:
                    break
                order += [name] + padding
                batch.append(name)
            if not batch:
                raise SystemExit("not enough never-run code to isolate candidates")
            binary = build(order)
            layout_now = functions(binary)
            where = {}
            for offset, size, name in layout_now:
                where.setdefault(name, []).append((offset, size))
            # A function sharing a page with anything but its spacers (it sits in an input section
            # with other functions, which the linker moves as one) cannot be judged: keep it.
            pages = {name: [page for offset, size in where.get(name, []) for page in pages_of(offset, size)] for name in batch}
            neighbours = {page: set() for name in batch for page in pages[name]}
            for offset, size, name in layout_now:
                for page in pages_of(offset, size):
                    if page in neighbours:
                        neighbours[page].add(name)
            padding = set(order) - set(batch)
            # A spacer that is not followed by what the order lists next shares its input section
            # with other code, which it drags along: it spaces nothing, so it is not used again.
            following = {}
            for i, (offset, _, name) in enumerate(layout_now):
                if name in padding:
                    # the next function at a higher address (aliases share the address)
                    following[name] = next((n for o, _, n in layout_now[i + 1:i + 8] if o > offset), None)
            dragging = {name for name, next_name in zip(order, order[1:]) if name in padding and following.get(name) != next_name}
            spacers = [(name, size) for name, size in spacers if name not in dragging]
            touched = cold.touched(binary, options.resources)
            unjudged, again = 0, []
            for name in batch:
                if any(neighbours[page] - padding - {name} for page in pages[name]):
                    if counts.get(name, 0) == 1 and name not in retried:
                        retried.add(name)  # once more, between spacers that proved themselves
                        again.append(name)
                    else:
                        unjudged += 1
                        ran.add(name)
                elif any(page in touched for page in pages[name]):
                    ran.add(name)
            candidates = candidates[len(batch):] + again
            if unjudged > 0.9 * len(batch):
                # What is left sits in input sections of several functions each (the Swift runtime's
                # and Foundation's archives, assembly): the linker can only move them whole. Keep them.
                ran.update(candidates)
                candidates = []
            print(f"round: {len(batch)} isolated ({unjudged} could not be, {len(again)} to retry, {len(dragging)} spacers "
                  f"dropped), {len(ran)} ran so far, {len(candidates)} left", file=sys.stderr)
        final = [name for name in dict.fromkeys(name for _, _, name in layout) if name in ran]
        binary = build(final)
        size = sum(length for _, length, name in functions(binary) if name in ran)
        print(f"{len(final)} functions ({size / 2**20:.1f} MB) written to {os.path.relpath(ORDER, ROOT)}; "
              f"text pages touched by the same run now: "
              f"{len(cold.touched(binary, options.resources))} file pages in all", file=sys.stderr)


if __name__ == "__main__":
    main()
