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

def notify_socket(workdir, name="notify.sock"):
    path = os.path.join(workdir, name)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(120)
    return s, path

def proc_times(pid, split=False):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    user, system = int(fields[11]) / tick, int(fields[12]) / tick
    return (user, system) if split else user + system

def status_mb(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0

def rss_mb(pid):
    return status_mb(pid, "VmRSS")

def switches(pid):
    """Context switches so far, per thread (a thread that exits takes its count with it)."""
    counts = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in open(f"/proc/{pid}/task/{tid}/status"):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    counts[tid] = counts.get(tid, 0) + int(line.split()[1])
        except FileNotFoundError:
            pass  # exited while listed
    return counts

def switches_between(before, after):
    """Switches of the threads alive at the end, and how many threads exited in between (theirs are lost)."""
    return sum(count - before.get(tid, 0) for tid, count in after.items()), len(set(before) - set(after))

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

def log_values(workdir, field):
    """Every value of `field=` in the daemon's log lines."""
    values = []
    for line in open(os.path.join(workdir, "daemon.err"), errors="replace"):
        for part in line.split():
            if part.startswith(field + "="):
                values.append(part.split("=", 1)[1])
    return values

def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0

def failures(workdir):
    return sum(1 for v in log_values(workdir, "keyrotd_event") if v == "rotation-failed")

def row(rows, name, value):
    rows.append((name, value))
    print(f"{name}: {value}", file=sys.stderr, flush=True)

def wait_ready(sock, status=None):
    """Waits for READY=1 (and then for a STATUS= holding `status`, if given), then keeps draining
    the socket as systemd would (a full socket blocks sd_notify)."""
    import threading
    while True:
        if b"READY=1" in sock.recv(4096):
            break
    while status is not None and status.encode() not in sock.recv(4096):
        pass
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
        row(rows, f"RSS idle, {n} resources adopted, none due", f"{rss_mb(d.pid):.1f} MB: {status_mb(d.pid, 'RssAnon'):.1f} MB heap and stacks (private) + {status_mb(d.pid, 'RssFile'):.1f} MB of the binary's pages (clean, shared)")
        before = switches(d.pid); time.sleep(idle_seconds); after = switches(d.pid)
        count, exited = switches_between(before, after)
        row(rows, f"context switches in {idle_seconds} s idle, {n} resources (all threads)", str(count) + (f" ({exited} threads exited meanwhile, not counted)" if exited else ""))
        if idle_seconds >= 60:
            # The window above holds the HTTP pool closing the adoption burst's connections (its idle
            # timeout is a minute); this one is the steady state.
            before = switches(d.pid); time.sleep(idle_seconds); after = switches(d.pid)
            count, exited = switches_between(before, after)
            row(rows, f"context switches in the next {idle_seconds} s idle, {n} resources (all threads)", str(count) + (f" ({exited} threads exited meanwhile, not counted)" if exited else ""))
        stop(d, emu)

def https_floor(bindir, requests, rows):
    """AsyncHTTPClient alone, linked as keyrotd is, idle after `requests` HTTPS requests: the least keyrotd can weigh."""
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, 1, [])
        p = subprocess.Popen([os.path.join(bindir, "keyrotd-https-floor"), info["baseURL"] + "/_emulator/stats", info["caFile"], str(requests)],
                             stdout=subprocess.PIPE, text=True)
        p.stdout.readline(); time.sleep(2)
        row(rows, f"for comparison: AsyncHTTPClient alone after {requests} HTTPS requests, idle (Benchmarks/HTTPSFloor, linked as keyrotd is)",
            f"{rss_mb(p.pid):.1f} MB: {status_mb(p.pid, 'RssAnon'):.1f} MB private + {status_mb(p.pid, 'RssFile'):.1f} MB of the binary's pages")
        p.kill(); p.wait()
        stop(emu)

def throughput(bindir, n, rows):
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, ["--no-throttle"])
        config = set_schedule(w, "5s", "0s")
        sock, path = notify_socket(w)
        d = run_daemon(bindir, config, w, path); wait_ready(sock)
        while stats(info)["listKeys"] < n:
            time.sleep(0.2)
        start_rot, start_cpu, t = rotations(w), proc_times(d.pid, split=True), time.monotonic()
        while rotations(w) < start_rot + n and time.monotonic() - t < 600:
            time.sleep(0.2)
        end_cpu = proc_times(d.pid, split=True)
        done, elapsed = rotations(w) - start_rot, time.monotonic() - t
        user, system = end_cpu[0] - start_cpu[0], end_cpu[1] - start_cpu[1]
        cpu = user + system
        s = stats(info)
        row(rows, f"throughput, {n} resources, full, grace 0, throttling off", f"{done / elapsed:.0f} rotations/s ({done} in {elapsed:.1f} s; includes the 5 s `every` wait)")
        row(rows, "CPU per rotation (2 regenerations, 2 durable publishes, a durable state record per step)",
            f"{cpu / max(done, 1) * 1000:.2f} ms (user {user / max(done, 1) * 1000:.2f} ms, kernel {system / max(done, 1) * 1000:.2f} ms)")
        row(rows, "ARM writes per regenerated key (excluding adoption listKeys)", f"{(s['armWrites'] - s['listKeys']) / max(s['regenerations'], 1):.2f}")
        latencies = [int(v) / 1000 for v in log_values(w, "keyrotd_publish_latency_us")]
        row(rows, "publish latency, regenerate answer → file and directory fsynced", f"p50 {percentile(latencies, 0.5):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms ({len(latencies)} publishes)")
        row(rows, f"token requests for {n} resources under one credential", str(s["tokenRequests"]))
        stop(d, emu)

def writes_per_type(bindir, n, seconds, rows):
    """ARM writes per regenerated key for every type: what each type's calls cost the write budget."""
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, ["--no-throttle", "--types", "all", "--operation-duration", "200ms"])
        config = set_schedule(w, "3s", "0s")
        sock, path = notify_socket(w)
        d = run_daemon(bindir, config, w, path); wait_ready(sock)
        types = len(info["resources"]) // n
        while stats(info)["listKeys"] < types * n:
            time.sleep(0.2)
        time.sleep(1)  # adoption's listConnectionStrings (Cosmos DB) follows its listKeys
        before = stats(info)
        time.sleep(seconds)
        after = stats(info)
        figures = []
        for name in sorted(after["regenerationsByType"]):
            keys = after["regenerationsByType"][name] - before["regenerationsByType"].get(name, 0)
            writes = after["armWritesByType"].get(name, 0) - before["armWritesByType"].get(name, 0)
            figures.append(f"{name} {writes / max(keys, 1):.2f}")
        row(rows, f"ARM writes per regenerated key by type, {n} of each, full, {seconds} s", ", ".join(figures))
        stop(d, emu)

def budget(bindir, n, seconds, rows, latency=None, subscriptions=1, group=False):
    """A wave under ARM's real budgets: n resources adopted and then all due at once, the daemon's
    default configuration (concurrency included), ARM answering after `latency` (e.g. 800ms-1200ms).
    With `group`, the node leads a high-availability group: its journal in Blob Storage answering
    in 20-50 ms, a Key Vault output per resource, a 30-s grace (a vault's consumers, this node's
    followers among them, read it every 30 s) and so rotations every 35 s; the adoption's listKeys
    are writes too, so the wave still wants more than the budget allows."""
    with tempfile.TemporaryDirectory() as w:
        extra = ["--subscriptions", str(subscriptions)] + (["--latency", latency] if latency else [])
        extra += ["--storage-latency", "20ms-50ms"] if group else []
        emu, info = start_emulator(bindir, w, n, extra)
        config = set_schedule(w, "35s" if group else "5s", "30s" if group else "0s")
        if group:
            make_group(w, info, "30s")
        text = open(config).read()
        open(config, "w").write("\n".join(l for l in text.split("\n") if not l.startswith("concurrency =")))
        sock, path = notify_socket(w)
        t = time.monotonic(); d = run_daemon(bindir, config, w, path); wait_ready(sock)
        time.sleep(seconds)
        s, elapsed = stats(info), time.monotonic() - t
        budget_tokens = subscriptions * (200 + 10 * elapsed)
        served = s["armWrites"]
        where = f"{n} resources" + (f" in {subscriptions} subscriptions" if subscriptions > 1 else "")
        at = (f"ARM answering in {latency}" if latency else "loopback") + (", HA with the journal in Blob Storage at 20-50 ms, grace 30 s" if group else "")
        row(rows, f"write budget used, {at}, {where}, default configuration, {elapsed:.0f} s", f"{served / budget_tokens * 100:.1f} % of the budget ({subscriptions} × (200 + 10/s)); {s['throttled']} of {served + s['throttled']} writes answered 429 ({s['throttled'] / max(served + s['throttled'], 1) * 100:.1f} %); {failures(w)} failed rotations")
        stop(d, emu)

def tls_context(info):
    import ssl
    return ssl.create_default_context(cafile=info["caFile"]) if info.get("caFile") else None

def bearer(info, scope):
    """A token of the emulator's writer principal, as an operator's tooling would get one."""
    import urllib.parse, urllib.request
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": info["clientID"],
                                   "client_secret": info["clientSecret"], "scope": scope}).encode()
    url = f'{info["baseURL"]}/{info["tenant"]}/oauth2/v2.0/token'
    return json.load(urllib.request.urlopen(urllib.request.Request(url, data=body), context=tls_context(info)))["access_token"]

def make_group(workdir, info, consumer_refresh):
    """Makes the emulator's configuration one node of a group: each resource gets a Key Vault output,
    the file an [ha] table whose journal is the container `group`, created here as an operator would."""
    import urllib.request
    token = bearer(info, "https://storage.azure.com/.default")
    request = urllib.request.Request(info["blobServiceURL"] + "/group?restype=container", method="PUT",
                                     headers={"Authorization": "Bearer " + token, "x-ms-version": "2021-08-06"})
    urllib.request.urlopen(request, context=tls_context(info))
    path = os.path.join(workdir, "keyrotd.toml")
    lines = []
    for line in open(path).read().split("\n"):
        lines.append(line)
        if line.startswith('id = "/subscriptions/'):
            name = line.rstrip('"').rsplit("/", 1)[1]
            lines += ["", "[[resource.outputs]]", f'key_vault = "{info["keyVaultURL"]}"', f'secret = "{name}-conn"',
                      f'consumer_refresh = "{consumer_refresh}"']
    lines += ["", "[ha]", f'journal = "{info["blobServiceURL"]}/group"', 'credential = "emulator"', 'node = "bench"']
    open(path, "w").write("\n".join(lines) + "\n")

def journal_cost(bindir, n, seconds, rows):
    """Blob Storage requests and bytes per regenerated key with the journal in Azure: one node
    leading a group of n resources, throttling off, counted over `seconds` once all are adopted."""
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, ["--no-throttle"])
        # The node's followers read each secret every 5 s: at 10,000 resources more than the
        # emulator's vault serves, which slows them, not the journal's counts.
        config = set_schedule(w, "20s", "10s")
        make_group(w, info, "10s")
        sock, path = notify_socket(w)
        d = run_daemon(bindir, config, w, path); wait_ready(sock)
        deadline = time.monotonic() + 1800
        while stats(info)["listKeys"] < n and time.monotonic() < deadline:
            time.sleep(1)
        before = stats(info)
        time.sleep(seconds)
        after = stats(info)
        keys = after["regenerations"] - before["regenerations"]
        per = lambda field: (after[field] - before[field]) / max(keys, 1)
        row(rows, f"Blob Storage per regenerated key, journal in Azure, {n} resources, {keys} keys in {seconds} s",
            f'{per("storageRequests"):.2f} requests, {per("storageWrites"):.2f} writes, {per("storageBytesWritten"):.0f} bytes written')
        # A clean stop releases the lease; the next start takes the journal over as epoch 2, which
        # rewrites every record blob (the fence), and says so in STATUS= once its rotators run.
        stop(d)
        writes = stats(info)["storageWrites"]
        sock, path = notify_socket(w, "notify-2.sock")
        t = time.monotonic(); d = run_daemon(bindir, config, w, path); wait_ready(sock, "(epoch 2)")
        row(rows, f"takeover of a group of {n} resources released cleanly, loopback storage: start to rotating",
            f"{time.monotonic() - t:.2f} s, {stats(info)['storageWrites'] - writes} blob writes (the head and every record: the fence)")
        stop(d, emu)

def peak_mb(pid):
    return status_mb(pid, "VmHWM")

def python_venv():
    """A throwaway venv with Microsoft's SDK, made once under .build/ (pip needs the network or a mirror)."""
    venv = os.path.join(".build", "python-bench")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(os.path.join(venv, "installed")):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "azure-mgmt-communication==3.0.0", "azure-core", "azure-mgmt-core"], check=True)
        open(os.path.join(venv, "installed"), "w").close()
    return python

def side_by_side(bindir, n, rows):
    """The same n full rotations (2 regenerations, 2 durable writes each), keyrotd against the SDK script."""
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, ["--no-throttle"])
        config = set_schedule(w, "1s", "0s")
        sock, path = notify_socket(w)
        d = run_daemon(bindir, config, w, path); wait_ready(sock)
        while stats(info)["regenerations"] == 0:
            time.sleep(0.05)
        t, cpu = time.monotonic(), proc_times(d.pid)
        while stats(info)["regenerations"] < 2 * n and time.monotonic() - t < 600:
            time.sleep(0.05)
        ours = {"wall": time.monotonic() - t, "cpu": proc_times(d.pid) - cpu, "peak_rss_mb": peak_mb(d.pid)}
        stop(d, emu)
    python = python_venv()
    with tempfile.TemporaryDirectory() as w:
        emu, info = start_emulator(bindir, w, n, ["--no-throttle"])
        json.dump(info, open(os.path.join(w, "info.json"), "w"))
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_sdk_rotation.py")
        result = subprocess.run([python, script, os.path.join(w, "info.json"), os.path.join(w, "out"), "32"], capture_output=True, text=True)
        stop(emu)
        if result.returncode != 0:
            raise SystemExit("the SDK script failed:\n" + result.stderr[-2000:])
        theirs = json.loads(result.stdout.strip().splitlines()[-1])
    for key, label, unit in [("wall", "wall time", "s"), ("cpu", "CPU time", "s"), ("peak_rss_mb", "peak memory", "MB")]:
        row(rows, f"side by side, {n} rotations, {label}: keyrotd / Python SDK (32 threads)",
            f"{ours[key]:.2f} {unit} / {theirs[key]:.2f} {unit} = {ours[key] / max(theirs[key], 1e-9):.2f}")

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", default=".build/release", help="folder with keyrotd and keyrotd-emulator")
    p.add_argument("--scale", type=int, nargs="*", default=[1000, 10000], help="resource counts for the check/ready/idle figures")
    p.add_argument("--throughput", type=int, default=2000)
    p.add_argument("--budget", type=int, default=600, help="resources of the write-budget waves (loopback, 1 s and 2 s latency, 5 subscriptions)")
    p.add_argument("--budget-seconds", type=int, default=60)
    p.add_argument("--idle-seconds", type=int, default=60)
    p.add_argument("--side-by-side", type=int, default=1000, help="rotations for the comparison with the Python SDK (0 skips it)")
    p.add_argument("--types", type=int, default=20, help="resources of each type for the writes-per-key figures (0 skips them)")
    p.add_argument("--group-budget", action="store_true", help="also the budget waves of a group's leader (journal in Blob Storage)")
    p.add_argument("--journal", type=int, nargs="*", default=[100, 10000], help="resource counts for the storage cost per regenerated key of a group (none skips it)")
    p.add_argument("--quick", action="store_true", help="a small run that finishes in about a minute (CI runs it so the script cannot rot)")
    a = p.parse_args()
    if a.quick:
        a.scale, a.throughput, a.budget, a.budget_seconds, a.idle_seconds, a.side_by_side, a.types = [50], 50, 30, 10, 3, 0, 2
        a.journal, a.group_budget = [20], True
    rows = []
    for n in a.scale or []:
        scale(a.bin, n, a.idle_seconds, rows)
    if a.scale: https_floor(a.bin, 50, rows)
    if a.throughput: throughput(a.bin, a.throughput, rows)
    if a.types: writes_per_type(a.bin, a.types, 20 if a.quick else 60, rows)
    if a.budget:
        budget(a.bin, a.budget, a.budget_seconds, rows)
        for latency, subscriptions in [("800ms-1200ms", 1), ("1800ms-2200ms", 1), ("800ms-1200ms", 5)]:
            budget(a.bin, a.budget, a.budget_seconds, rows, latency, subscriptions)
        if a.group_budget:
            for latency in [None, "800ms-1200ms"]:
                budget(a.bin, a.budget, a.budget_seconds, rows, latency, group=True)
    for n in a.journal or []:
        journal_cost(a.bin, n, 10 if a.quick else 60, rows)
    if a.side_by_side: side_by_side(a.bin, a.side_by_side, rows)
    print("| figure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")

if __name__ == "__main__":
    main()
