#!/usr/bin/env python3
"""Idle memory of keyrotd at N resources, read several times, and where it goes.

The private figure of one reading moves by about half a megabyte between runs (where the heap's
long-lived objects land among start-up garbage), so the per-resource figure of docs/performance.md
comes from several runs at each size. Per run: start the emulator with N resources, start
`keyrotd run`, wait for READY=1, then print `RssAnon` (heap and stacks, private) and `VmRSS` every
10 s for 60 s. The last reading of each run is the figure.

With `--heaptrack FILE` one run is traced instead: the daemon is killed with SIGKILL 40 s after
READY=1, so what heaptrack reports as leaked is what the idle daemon held, grouped by the innermost
keyrotd frame (needs the Debian package heaptrack).

    python3 Benchmarks/idle_memory.py --bin .build/release --resources 1000 10000 --runs 3
    python3 Benchmarks/idle_memory.py --bin .build/release --resources 10000 --heaptrack /tmp/keyrotd.heap
"""
import argparse, collections, os, re, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark  # noqa: E402  (the emulator, notify socket and /proc helpers)

KEYROTD_MODULES = re.compile(r"KeyRotation|SecretFiles|AzureClient|ConfigurationFile|keyrotd|Systemd|Control|Hooks|Follower")


def started(bindir, workdir, n):
    emulator, _ = benchmark.start_emulator(bindir, workdir, n, ["--no-throttle", "--every", "30d", "--grace", "1h"])
    sock, path = benchmark.notify_socket(workdir)
    return emulator, os.path.join(workdir, "keyrotd.toml"), sock, path


def readings(bindir, n):
    with tempfile.TemporaryDirectory() as w:
        emulator, config, sock, path = started(bindir, w, n)
        daemon = benchmark.run_daemon(bindir, config, w, path)
        benchmark.wait_ready(sock)
        values = []
        for _ in range(7):
            values.append((benchmark.status_mb(daemon.pid, "RssAnon"), benchmark.rss_mb(daemon.pid)))
            time.sleep(10)
        benchmark.stop(daemon, emulator)
        return values


def traced(bindir, n, output):
    with tempfile.TemporaryDirectory() as w:
        emulator, config, sock, path = started(bindir, w, n)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        daemon = subprocess.Popen(["heaptrack", "-o", output, os.path.join(bindir, "keyrotd"), "run", "--config", config, "--log", "stderr"],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(w, "daemon.err"), "w"), env=env)
        benchmark.wait_ready(sock)
        time.sleep(40)
        # heaptrack runs keyrotd as its child: kill that one, whose command line names this config.
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and config in open(f"/proc/{pid}/cmdline").read() and "heaptrack" not in open(f"/proc/{pid}/comm").read():
                    os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        daemon.wait()
        emulator.kill()
        emulator.wait()
    data = output + ".zst" if os.path.exists(output + ".zst") else output + ".gz"
    stacks = output + ".stacks"
    subprocess.run(["heaptrack_print", "-f", data, "--flamegraph-cost-type", "leaked", "-F", stacks], stdout=subprocess.DEVNULL, check=True)
    sites = collections.Counter()
    for line in open(stacks):
        stack, size = line.rsplit(" ", 1)
        frames = stack.split(";")
        site = next((f for f in reversed(frames) if KEYROTD_MODULES.search(f)), "(outside keyrotd: NIO buffers, TLS trust store, runtime)")
        sites[site] += int(size)
    total = sum(sites.values())
    print(f"live heap after adoption, {n} resources: {total / 1e6:.2f} MB")
    top = sites.most_common(12)
    names = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(site.split(" (")[0] for site, _ in top),
                           capture_output=True, text=True).stdout.splitlines()
    for (site, size), name in zip(top, names + [s for s, _ in top][len(names):]):
        print(f"{size / n:8.1f} bytes per resource  {name[:150]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=".build/release")
    parser.add_argument("--resources", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heaptrack", metavar="FILE", help="trace one run at the first size instead")
    args = parser.parse_args()
    if args.heaptrack:
        traced(args.bin, args.resources[0], args.heaptrack)
        return
    last = {}
    for n in args.resources:
        for run in range(args.runs):
            values = readings(args.bin, n)
            print(f"{n} resources, run {run + 1}: private " + " ".join(f"{a:.1f}" for a, _ in values) + f" MB (every 10 s); RSS {values[-1][1]:.1f} MB", flush=True)
            last.setdefault(n, []).append(values[-1][0])
    if len(args.resources) >= 2:
        small, large = args.resources[0], args.resources[-1]
        low = (min(last[large]) - max(last[small])) * 1000 / (large - small)
        high = (max(last[large]) - min(last[small])) * 1000 / (large - small)
        print(f"private per resource beyond the first {small}: {low:.2f} to {high:.2f} KB")


if __name__ == "__main__":
    main()
