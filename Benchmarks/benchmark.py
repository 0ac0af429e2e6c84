#!/usr/bin/env python3
"""Whole-process benchmark of keyrotd against keyrotd-emulator on loopback.

Prints a table of: check time and start-to-ready time at N resources, idle RSS and wake-ups,
throughput with throttling off, ARM writes per regenerated key, and behaviour under ARM's real
write budget. Uses only the standard library; run `make benchmark` (release build) or
`python3 Benchmarks/benchmark.py --bin .build/debug` for a quick look.
"""
import argparse, json, os, signal, socket, subprocess, sys, tempfile, time

def start_emulator(bindir, workdir, resources, extra):
    out = open(os.path.join(workdir, "emulator.out"), "w+")
    proc = subprocess.Popen([os.path.join(bindir, "keyrotd-emulator"), "--port", "0", "--resources", str(resources),
                             "--ca-file", os.path.join(workdir, "ca.pem"), "--write-config", os.path.join(workdir, "keyrotd.toml")] + extra,
                            stdout=out, stderr=open(os.path.join(workdir, "emulator.err"), "w"))
    for _ in range(600):
        out.seek(0)
        line = out.readline()
        if line.endswith("\n"):
            return proc, json.loads(line)
        time.sleep(0.05)
    raise SystemExit("emulator did not start")

def set_schedule(workdir, every, grace):
    path = os.path.join(workdir, "keyrotd.toml")
    text = open(path).read()
    text = text.replace('every = "1m"', f'every = "{every}"').replace('grace = "10s"', f'grace = "{grace}"')
    text = text.replace("concurrency = 8", "concurrency = 32")
    open(path, "w").write(text)
    return path

def stats(info):
    import ssl, urllib.request
    ctx = ssl.create_default_context(cafile=info["caFile"]) if info.get("caFile") else None
    return json.load(urllib.request.urlopen(info["baseURL"] + "/_emulator/stats", context=ctx))

def notify_socket(workdir):
    path = os.path.join(workdir, "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(120)
    return s, path

def proc_times(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick

def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0

def switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        for line in open(f"/proc/{pid}/task/{tid}/status"):
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
    return total

def rotations(workdir):
    total, states = 0, os.path.join(workdir, "state", "resources")
    for name in os.listdir(states) if os.path.isdir(states) else []:
        try:
            total += json.load(open(os.path.join(states, name))).get("rotations", 0)
        except (ValueError, OSError):
            pass
    return total

def run_daemon(bindir, config, workdir, sock_path):
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    return subprocess.Popen([os.path.join(bindir, "keyrotd"), "run", "--config", config, "--log", "stderr"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "daemon.err"), "w"), env=env)

def stop(*procs):
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            print(f"{proc.args[0]} did not stop within 30 s of SIGTERM; killing it", file=sys.stderr)
            proc.kill()
            proc.wait()

def row(rows, name, value):
    rows.append((name, value))
    print(f"{name}: {value}", file=sys.stderr, flush=True)

def wait_ready(sock):
    """Waits for READY=1, then keeps draining the socket as systemd would (a full socket blocks sd_notify)."""
    import threading
    while True:
        if b"READY=1" in sock.recv(4096):
            break
    def drain():
        sock.settimeout(None)
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass
    threading.Thread(target=drain, daemon=True).start()

def scale(bindir, n, idle_seconds, rows):
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, ["--no-throttle", "--every", "30d", "--grace", "1h"])
        config = os.path.join(w, "keyrotd.toml")
        t = time.monotonic(); subprocess.run([os.path.join(bindir, "keyrotd"), "check", "--config", config], capture_output=True, check=True)
        row(rows, f"`keyrotd check`, {n} resources", f"{time.monotonic() - t:.2f} s")
        sock, path = notify_socket(w)
        t = time.monotonic(); d = run_daemon(bindir, config, w, path); wait_ready(sock)
        row(rows, f"start to READY=1, {n} resources (first start, adoption follows)", f"{time.monotonic() - t:.2f} s")
        deadline = time.monotonic() + 600
        while stats(info)["listKeys"] < n and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)
        row(rows, f"RSS idle, {n} resources adopted, none due", f"{rss_mb(d.pid):.1f} MB")
        before = switches(d.pid); time.sleep(idle_seconds); after = switches(d.pid)
        row(rows, f"context switches in {idle_seconds} s idle, {n} resources (all threads)", str(after - before))
        stop(d, emu)

def throughput(bindir, n, rows):
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, ["--no-throttle"])
        config = set_schedule(w, "5s", "0s")
        sock, path = notify_socket(w)
        d = run_daemon(bindir, config, w, path); wait_ready(sock)
        while stats(info)["listKeys"] < n:
            time.sleep(0.2)
        start_rot, start_cpu, t = rotations(w), proc_times(d.pid), time.monotonic()
        while rotations(w) < start_rot + n and time.monotonic() - t < 600:
            time.sleep(0.2)
        done, elapsed, cpu = rotations(w) - start_rot, time.monotonic() - t, proc_times(d.pid) - start_cpu
        s = stats(info)
        row(rows, f"throughput, {n} resources, full, grace 0, throttling off", f"{done / elapsed:.0f} rotations/s ({done} in {elapsed:.1f} s; includes the 5 s `every` wait)")
        row(rows, "CPU per rotation (2 regenerations, 2 durable publishes)", f"{cpu / max(done, 1) * 1000:.2f} ms")
        row(rows, "ARM writes per regenerated key (excluding adoption listKeys)", f"{(s['armWrites'] - s['listKeys']) / max(s['regenerations'], 1):.2f}")
        stop(d, emu)

def budget(bindir, n, seconds, rows):
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, [])
        config = set_schedule(w, "5s", "0s")
        sock, path = notify_socket(w)
        t = time.monotonic(); d = run_daemon(bindir, config, w, path); wait_ready(sock)
        time.sleep(seconds)
        s, elapsed = stats(info), time.monotonic() - t
        budget_tokens = 200 + 10 * elapsed
        served = s["armWrites"]
        row(rows, f"under ARM's write budget (200 + 10/s), {n} resources, {elapsed:.0f} s", f"{served / budget_tokens * 100:.0f} % of the budget used; {s['throttled']} of {served + s['throttled']} writes answered 429 ({s['throttled'] / max(served + s['throttled'], 1) * 100:.1f} %)")
        stop(d, emu)

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", default=".build/release", help="folder with keyrotd and keyrotd-emulator")
    p.add_argument("--scale", type=int, default=10000)
    p.add_argument("--throughput", type=int, default=2000)
    p.add_argument("--budget", type=int, default=500)
    p.add_argument("--budget-seconds", type=int, default=60)
    p.add_argument("--idle-seconds", type=int, default=60)
    a = p.parse_args()
    rows = []
    if a.scale: scale(a.bin, a.scale, a.idle_seconds, rows)
    if a.throughput: throughput(a.bin, a.throughput, rows)
    if a.budget: budget(a.bin, a.budget, a.budget_seconds, rows)
    print("| figure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")

if __name__ == "__main__":
    main()
